// RoPE scaling (linear, llama3, dynamic, yarn, longrope): logits parity is in ModelParityTests and
// greedy decoding in SlidingWindowTests (fixtures from Tests/Fixtures/generate_rope_scaling_parity.py);
// here, the frequencies against worked examples and transformers' printed values, the switch between
// factor sets with the length, and a check that the fixtures would catch a model ignoring the scaling.
import Autograd
import Checkpoints
import Decoding
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

@Suite struct RopeScalingTests {
    static func load(_ name: String, absolute: Bool = false) throws -> LlamaForCausalLM {
        let url = absolute ? URL(fileURLWithPath: name) : fixtureRoot.appendingPathComponent(name)
        return try #require(try ModelRegistry.load(folder: url) as? LlamaForCausalLM)
    }

    /// inv_freq of transformers 5.25 `LlamaRotaryEmbedding` for the fixtures (head_dim 16, θ 10000),
    /// printed by the generator: all three llama3 regimes appear (unchanged, smoothed, divided).
    @Test func inverseFrequenciesMatchTransformers() throws {
        let expected: [String: [Double]] = [
            "llama_rope_linear": [0.25, 0.07905694097280502, 0.02500000037252903, 0.007905694656074047, 0.0024999999441206455,
                                  0.0007905694656074047, 0.0002500000118743628, 7.905694656074047e-05],
            "llama_rope_llama3": [1.0, 0.24438458681106567, 0.013042256236076355, 0.0039528473280370235, 0.0012499999720603228,
                                  0.00039528473280370235, 0.0001250000059371814, 3.9528473280370235e-05],
        ]
        for (name, want) in expected {
            let c = try Self.load(name).config
            let scale = try #require(c.ropeFrequencyScale)
            #expect(scale.count == 8)
            for i in 0 ..< 8 {
                let ours = Double(scale[i]) / pow(Double(c.ropeTheta), Double(2 * i) / 16)
                #expect(abs(ours - want[i]) <= 1e-6 * want[i], "\(name) frequency \(i): \(ours) vs \(want[i])")
            }
        }
    }

    static func configuration(_ scaling: LlamaConfiguration.RopeScaling, headDim: Int, theta: Float, maxPositions: Int) -> LlamaConfiguration {
        var c = LlamaConfiguration(vocabSize: 8, hiddenSize: headDim, intermediateSize: 4, numHiddenLayers: 1, numAttentionHeads: 1,
                                   ropeTheta: theta, maxPositionEmbeddings: maxPositions)
        c.ropeScaling = scaling
        c.ropeScalingType = scaling.type
        return c
    }

    static func expectClose(_ got: [Float]?, _ want: [Double], _ what: String) {
        guard let got, got.count == want.count else { Issue.record("\(what): \(String(describing: got))"); return }
        for (g, w) in zip(got, want) { #expect(abs(Double(g) - w) <= 1e-5, "\(what): \(got) vs \(want)") }
    }

    /// Dynamic NTK, worked by hand: D 4, θ 100, M 10, factor 2. At L = 15 the base becomes
    /// 100·(2·15/10 − 1)^(4/2) = 400, so frequency 1 is multiplied by (100/400)^(2/4) = 0.5; up to
    /// L = M nothing changes.
    @Test func dynamicGrowsTheBaseWithTheLength() {
        let c = Self.configuration(.init(type: "dynamic", factor: 2), headDim: 4, theta: 100, maxPositions: 10)
        Self.expectClose(c.ropeFrequencies(sequenceLength: 15).scale, [1, 0.5], "L 15")
        #expect(c.ropeFrequencies(sequenceLength: 10).scale == nil && c.ropeFrequencies(sequenceLength: 10).amplitude == 1)
        #expect(c.ropeFrequencies(sequenceLength: 15).amplitude == 1)
    }

    /// YaRN, worked by hand: D 8, θ 100, L₀ 64, factor 2, beta_fast 4, beta_slow 1, no truncation.
    /// d(r) = 8·ln(64/(2πr)) / (2 ln 100): d(4) = 0.81188, d(1) = 2.01600; ramp γᵢ = (i − 0.81188)/1.20412
    /// clamped: 0, 0.15623, 0.98671, 1; factor γ/2 + 1 − γ: 1, 0.92188, 0.50664, 0.5. Amplitude with
    /// mscale 2 over mscale_all_dim 1: (0.2·ln 2 + 1)/(0.1·ln 2 + 1) = 1.13863/1.06931 = 1.06482.
    /// With truncation the bounds round out to 0 and 3: γ = i/3, factors 1, 5/6, 2/3, 1/2, and the
    /// default amplitude 0.1·ln 2 + 1 = 1.06931.
    @Test func yarnBlendsByRotationCount() {
        var y = LlamaConfiguration.RopeScaling(type: "yarn", factor: 2, originalMaxPositionEmbeddings: 64)
        y.parameters.betaFast = 4
        y.parameters.betaSlow = 1
        y.parameters.truncate = false
        y.parameters.mscale = 2
        y.parameters.mscaleAllDim = 1
        let f = Self.configuration(y, headDim: 8, theta: 100, maxPositions: 128).ropeFrequencies(sequenceLength: 1)
        Self.expectClose(f.scale, [1, 0.92188, 0.50664, 0.5], "no truncation")
        #expect(abs(f.amplitude - 1.06482) < 1e-5)
        y.parameters.truncate = nil
        y.parameters.mscale = nil
        y.parameters.mscaleAllDim = nil
        let t = Self.configuration(y, headDim: 8, theta: 100, maxPositions: 128).ropeFrequencies(sequenceLength: 1000)
        Self.expectClose(t.scale, [1, 5.0 / 6, 2.0 / 3, 0.5], "truncated")
        #expect(abs(t.amplitude - 1.06931) < 1e-5)
    }

    /// LongRoPE, worked by hand: L₀ 16, max_position_embeddings 64, so factor 4 and amplitude
    /// √(1 + ln 4 / ln 16) = √1.5 = 1.22474 for both sets; up to L = 16 frequencies / short_factor,
    /// beyond / long_factor.
    @Test func longropeSwitchesFactorSetsAtTheOriginalContext() {
        var l = LlamaConfiguration.RopeScaling(type: "longrope", factor: 4, originalMaxPositionEmbeddings: 16)
        l.parameters.shortFactor = [1, 2]
        l.parameters.longFactor = [4, 8]
        let c = Self.configuration(l, headDim: 4, theta: 100, maxPositions: 64)
        let short = c.ropeFrequencies(sequenceLength: 16), long = c.ropeFrequencies(sequenceLength: 17)
        Self.expectClose(short.scale, [1, 0.5], "short")
        Self.expectClose(long.scale, [0.25, 0.125], "long")
        #expect(abs(short.amplitude - 1.22474) < 1e-5 && long.amplitude == short.amplitude)
    }

    /// transformers' attention scaling and inverse frequencies for the fixtures, as the generator
    /// printed them (llama_rope_yarn: θ 10000, D 16, L₀ 16, factor 4; qwen3_rope_yarn: θ 1000, D 12;
    /// phi3_longrope after 40 tokens: long factors, factor 96/24).
    @Test func fixtureFrequenciesMatchTransformers() throws {
        let cases: [(String, Int, Double, [Double])] = [
            ("llama_rope_yarn", 1, 1.138629436111989, [1.0, 0.07905694097280502, 0.02500000037252903, 0.007905694656074047,
                                                        0.0024999999441206455, 0.0007905694656074047, 0.0002500000118743628, 7.905694656074047e-05]),
            ("qwen3_rope_yarn", 1, 1.1041407153832734, [1.0, 0.10540924966335297, 0.03333332762122154, 0.010540924966335297,
                                                         0.0033333327155560255, 0.0010540926596149802]),
            ("phi3_longrope", 40, 1.198419202103781, [1.0, 0.05263157933950424, 0.0027027027681469917, 0.00013333333481568843]),
            ("llama_rope_dynamic", 40, 1.0, [1.0, 0.2801766097545624, 0.07849893718957901, 0.021993566304445267, 0.006162083242088556,
                                             0.0017264715861529112, 0.0004837170126847923, 0.0001355261920252815]),
        ]
        for (name, length, amplitude, inverse) in cases {
            let c = try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name)) as? LlamaForCausalLM).config
            let f = c.ropeFrequencies(sequenceLength: length)
            let scale = try #require(f.scale)
            #expect(abs(Double(f.amplitude) - amplitude) < 1e-6, "\(name) amplitude \(f.amplitude)")
            for (i, want) in inverse.enumerated() {
                let ours = Double(scale[i]) / pow(Double(c.ropeTheta), Double(2 * i) / Double(c.headDimension))
                #expect(abs(ours - want) <= 2e-6 * want, "\(name) frequency \(i): \(ours) vs \(want)")
            }
        }
    }

    /// Within the original context the length-dependent types use their short set (dynamic: plain
    /// RoPE), also matching transformers on a 20-token input.
    @Test(arguments: ["llama_rope_dynamic", "phi3_longrope"])
    func shortInputsMatchTransformers(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let f = try SafeTensorsFile(url: fixtureRoot.appendingPathComponent("\(name)/expected.safetensors"))
        let want = try f.tensor("logits_short")
        let c = try ParityCase(name)
        let T = want.shape[1]
        let ids = IndexTensor(shape: [2, T], data: (0 ..< 2).flatMap { b in c.ids.data[(b * c.ids.shape[1]) ..< (b * c.ids.shape[1] + T)] })
        let r = compareClose(withoutGradients { model(ids) }.value, want, atol: 1e-4, rtol: 1e-4)
        #expect(r.ok, "\(name) first \(T) tokens: \(r)")
    }

    /// Saving keeps every scaling field, so the folder reloads with the same configuration (and
    /// transformers, reading the same keys, with the same frequencies).
    @Test(arguments: ["llama_rope_yarn", "qwen3_rope_yarn", "llama_rope_dynamic", "phi3_longrope"])
    func savedConfigurationKeepsTheScaling(_ name: String) throws {
        let model = try Self.load(name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelRegistry.save(model, to: dir)
        let again = try Self.load(dir.path, absolute: true)
        #expect(again.config.ropeScaling == model.config.ropeScaling)
        #expect(again.config.ropeScaling != nil)
    }

    /// Phi-3 LongRoPE through the Generator (left-padded batch, 28 new tokens after 8): transformers'
    /// Phi-3 drops its cache when the width first reaches original_max_position_embeddings + 1 (25)
    /// and recomputes every position with the long factors; the Generator does the same and gives
    /// transformers' greedy tokens. A plain cached loop (no recompute) diverges from them, so the
    /// recompute is what makes them agree.
    @Test func phi3LongropeGenerationRecomputesAtTheSwitch() throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent("phi3_longrope"))
        #expect(model.cacheRecomputeWidth == 25)
        #expect(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent("llama_rope_dynamic")).cacheRecomputeWidth == nil)
        let g = try SlidingWindowTests.GenerationCase("phi3_longrope")
        let P = g.prompt[0].count, N = g.ids[0].count - P
        let mask = g.promptMask.scalars
        let prompts = g.prompt.enumerated().map { b, row in row.indices.filter { mask[b * P + $0] != 0 }.map { Int(row[$0]) } }
        let out = Generator.generate(model: model, prompts: prompts, parameters: GenerationParameters(maxNewTokens: N))
        #expect(out.map(\.tokens) == g.ids.map { $0[P...].map(Int.init) })
    }

    /// The same weights with plain RoPE are far from transformers' scaled logits.
    @Test(arguments: ["llama_rope_linear", "llama_rope_llama3", "llama_rope_yarn", "qwen3_rope_yarn", "llama_rope_dynamic", "phi3_longrope"])
    func scalingChangesTheResult(_ name: String) throws {
        var config = try Self.load(name).config
        config.ropeScaling = nil
        config.ropeScalingType = nil
        let plain = LlamaForCausalLM(config)
        try ModelRegistry.assign(try ModelRegistry.readWeights(folder: fixtureRoot.appendingPathComponent(name)), to: plain, path: name)
        let c = try ParityCase(name)
        let gap = compareClose(withoutGradients { plain(c.ids) }.value, c.logitsPlain, atol: 1e-4, rtol: 1e-4).maxAbsDifference
        #expect(gap > 0.1, "\(name): unscaled model within \(gap)")
    }
}
