import Autograd
import Decoding
import Foundation
@testable import Guidance
import Models
import TensorCore
import Testing

/// DoLa's dynamic premature layer (docs/design/decoding.md §6): a bucket of one is the static
/// guide; the layer chosen each step is the candidate farthest from the final distribution,
/// recomputed here from scratch; and greedy decoding reproduces transformers' `dola_layers`.
@Suite struct DynamicLayerContrastTests {
    let prompts = [[3, 5, 7, 11], [4, 9]]
    let base = tinyModel(seed: 1)

    /// Guided greedy decoding: the processed logits per step [B·V] and the rows' tokens.
    func decode(_ guide: any Guide, model: any LanguageModel, prompts: [[Int]], steps: Int = 6) throws -> (logits: [[Float]], tokens: [[Int]]) {
        let guided = try GuidedLogits(terms: [(guide, 1)], topK: 3, maxNewTokens: steps, padTokenID: 0)
        try guided.check(vocabularySize: model.vocabularySize, longestPrompt: prompts.map(\.count).max() ?? 0)
        let recorder = LogitRecorder()
        let out = Generator.generate(model: model, prompts: prompts, parameters: GenerationParameters(maxNewTokens: steps),
                                     extraProcessors: [guided, recorder])
        return (recorder.steps, out.map(\.tokens))
    }

    @Test func aBucketOfOneIsTheStaticGuide() throws {
        for exit in 0 ..< base.layerCount {
            let fixed = try decode(LayerContrastGuide(model: base, exitLayers: exit), model: base, prompts: prompts)
            let bucket = DynamicLayerContrastGuide(model: base, bucket: [exit], finalNorm: true)
            let dynamic = try decode(bucket, model: base, prompts: prompts)
            #expect(dynamic.tokens == fixed.tokens, "exit \(exit)")
            #expect(dynamic.logits == fixed.logits, "exit \(exit): the scores differ")
            #expect(bucket.selectedLayers == [[Int]](repeating: [exit, exit], count: 6))
        }
    }

    /// The committed tiny Llama (untied head, 2 layers): its layers disagree often enough that both
    /// candidates get chosen (a random tiny GPT-2 prefers the same layer throughout).
    static func llama() throws -> LlamaForCausalLM {
        try #require(try ModelRegistry.load(folder: models.appendingPathComponent("llama")) as? LlamaForCausalLM)
    }

    /// Residual stream of `seq` after `depth` layers at its last position, through the final norm or
    /// not, then the head: candidate logits computed without the early-exit code.
    func prematureLogits(_ model: LlamaForCausalLM, _ seq: [Int], depth: Int, finalNorm: Bool) -> [Float] {
        let ids = IndexTensor(shape: [1, seq.count], data: seq.map { Int32($0) })
        return withoutGradients {
            let h = depth == 0 ? model.model.embedTokens(ids) : model.layerActivations(ids, attentionMask: nil).layers[depth - 1]
            let z = model.logits(fromHidden: finalNorm ? model.model.norm(h) : h).value.scalars
            let V = model.vocabularySize
            return Array(z[((seq.count - 1) * V) ..< (seq.count * V)])
        }
    }

    /// ½[KL(m‖p) + KL(m‖q)], m = ½(p + q), in Double.
    func divergence(_ lp: [Double], _ lq: [Double]) -> Double {
        var sum = 0.0
        for v in lp.indices {
            let m = 0.5 * (exp(lp[v]) + exp(lq[v]))
            if m > 0 { sum += m * (2 * log(m) - lp[v] - lq[v]) }
        }
        return 0.5 * sum
    }

    @Test(arguments: [true, false])
    func theChosenLayerIsTheFarthestCandidate(finalNorm: Bool) throws {
        let model = try Self.llama(), bucket = [0, 1], prompts = [[5, 17, 300, 42, 7], [9, 1]]
        let guide = DynamicLayerContrastGuide(model: model, bucket: bucket, finalNorm: finalNorm)
        let run = try decode(guide, model: model, prompts: prompts, steps: 8)
        #expect(guide.selectedLayers.count == 8)
        let V = model.vocabularySize
        var margins: [Double] = []
        for (s, step) in run.logits.enumerated() {
            for b in prompts.indices {
                let seq = prompts[b] + run.tokens[b].prefix(s)
                let z = lastLogits(model, seq), lp = logSoftmax(z)
                let candidates = bucket.map { logSoftmax(prematureLogits(model, seq, depth: $0, finalNorm: finalNorm)) }
                let d = candidates.map { divergence(lp, $0) }
                let best = d.indices.max { d[$0] < d[$1] }!
                margins.append(d[best] - d.enumerated().filter { $0.offset != best }.map(\.element).max()!)
                #expect(guide.selectedLayers[s][b] == bucket[best], "step \(s) row \(b): chose \(guide.selectedLayers[s][b]), divergences \(d)")
                // And the scores are the static contrast with that layer: z − log q_M on the plausible set.
                let top = Double(z.max()!)
                for v in 0 ..< V {
                    let got = step[b * V + v]
                    if Double(z[v]) - top >= log(0.1) {
                        #expect(abs(Double(got) - (Double(z[v]) - candidates[best][v])) < 2e-3, "step \(s) row \(b) token \(v)")
                    } else {
                        #expect(got == -.infinity, "step \(s) row \(b) token \(v) should be excluded")
                    }
                }
            }
        }
        // No choice was decided by a hair, and without the norm the run exercises a real choice (both
        // layers picked). Through the final norm this model's embeddings are the farthest at every
        // step (so are the other 2-layer fixtures' in transformers): the check above still recomputes
        // each choice, and the selection code is the same for both.
        #expect(margins.min()! > 1e-4, "\(margins)")
        if !finalNorm { #expect(Set(guide.selectedLayers.joined()) == [0, 1], "\(guide.selectedLayers)") }
    }

    struct Parity: Decodable {
        struct Case: Decodable {
            var model: String
            /// The model folder relative to Tests/Fixtures (the 8-layer `guidance/llama_deep` is made
            /// by the fixture script), or nil for `models/<model>`.
            var folder: String?
            var dola_layers: [Int]
            var prompt: [Int]
            var tokens: [Int]
            var selected: [Int]
        }
        struct Buckets: Decodable {
            var layers: Int
            var tied: Bool
            var low: [Int]
            var high: [Int]
        }
        var new_tokens: Int
        var cases: [Case]
        var buckets: [String: Buckets]
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/guidance/dola_parity.json")
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    @Test func greedyDecodingMatchesTransformersDoLa() throws {
        let parity = try JSONDecoder().decode(Parity.self, from: Data(contentsOf: Self.fixture))
        // 2-layer Llama and GPT-2 (one or two candidates), and an 8-layer Llama contrasting with 7 and
        // with 3 candidate layers, where the selection changes from step to step.
        #expect(parity.cases.count == 16)
        #expect(Set(parity.cases.filter { $0.model == "llama_deep" }.flatMap(\.selected)).count >= 5)
        for c in parity.cases {
            let folder = c.folder.map { Self.models.deletingLastPathComponent().appendingPathComponent($0) } ?? Self.models.appendingPathComponent(c.model)
            let model = try ModelRegistry.load(folder: folder)
            let spec = "layer-contrast:" + c.dola_layers.map(String.init).joined(separator: ",") + "/raw"
            let guide = try #require(try Guides.make(spec, environment: GuideEnvironment(policy: model, tokenizer: nil)) as? DynamicLayerContrastGuide)
            let run = try decode(guide, model: model, prompts: [c.prompt], steps: parity.new_tokens)
            #expect(run.tokens[0] == c.tokens, "\(c.model) \(c.prompt)")
            #expect(guide.selectedLayers.map { $0[0] } == c.selected, "\(c.model) \(c.prompt)")
        }
    }

    @Test func lowAndHighBucketsAreTransformers() throws {
        let parity = try JSONDecoder().decode(Parity.self, from: Data(contentsOf: Self.fixture))
        #expect(parity.buckets.count == 3)
        for (name, b) in parity.buckets {
            #expect(LayerBucket.transformersBucket("low", layerCount: b.layers, tiedHead: b.tied) == b.low, "\(name)")
            #expect(LayerBucket.transformersBucket("high", layerCount: b.layers, tiedHead: b.tied) == b.high, "\(name)")
        }
        // The rule at the paper's and SmolLM2's depths (transformers' generation utils).
        #expect(LayerBucket.transformersBucket("low", layerCount: 32, tiedHead: false) == Array(stride(from: 0, to: 16, by: 2)))
        #expect(LayerBucket.transformersBucket("high", layerCount: 32, tiedHead: false) == Array(stride(from: 16, to: 32, by: 2)))
        #expect(LayerBucket.transformersBucket("low", layerCount: 30, tiedHead: true) == [2, 4, 6, 8, 10, 12, 14])
        #expect(LayerBucket.transformersBucket("high", layerCount: 30, tiedHead: true) == [15, 17, 19, 21, 23, 25, 27, 29])
        #expect(LayerBucket.transformersBucket("low", layerCount: 80, tiedHead: false) == Array(stride(from: 0, to: 20, by: 2)))
        #expect(LayerBucket.transformersBucket("high", layerCount: 80, tiedHead: false) == Array(stride(from: 60, to: 80, by: 2)))
        #expect(LayerBucket.transformersBucket("dynamic", layerCount: 30, tiedHead: true) == Array(2 ..< 30))
    }

    @Test func bucketArgumentsParseOnceWithClearErrors() throws {
        func parse(_ s: String, _ L: Int = 3, tied: Bool = true) throws -> LayerBucket { try LayerBucket.parse(s, layerCount: L, tiedHead: tied) }
        func message(_ s: String, _ L: Int = 3, tied: Bool = true) -> String {
            do { _ = try parse(s, L, tied: tied) } catch { return "\(error)" }
            return "no error"
        }
        #expect(try parse("2") == LayerBucket(layers: [2], finalNorm: true, isFixed: true))
        #expect(try parse("2/raw") == LayerBucket(layers: [2], finalNorm: false, isFixed: true))
        #expect(try parse("2,0") == LayerBucket(layers: [0, 2], finalNorm: true, isFixed: false))
        #expect(try parse("high", 30, tied: true).layers == [15, 17, 19, 21, 23, 25, 27, 29])
        #expect(try parse("low/raw", 32, tied: false) == LayerBucket(layers: Array(stride(from: 0, to: 16, by: 2)), finalNorm: false, isFixed: false))
        #expect(message("0,3").contains("layer 3 is out of range; expected a layer count from 0 to 2"))
        #expect(message("-1").contains("layer -1 is out of range"))
        #expect(message("1,1").contains("layer 1 is listed twice"))
        #expect(message("0,,2").contains("'' is not a layer"))
        #expect(message("mid").contains("'mid' is not a layer"))
        #expect(message("high/norm").contains("unknown option 'norm'"))
        #expect(message("low", 3, tied: true).contains("the low bucket is empty for a 3-layer policy with a tied head"))
        // Through the registry: a bare number is the static guide, anything else the dynamic one.
        let env = GuideEnvironment(policy: base, tokenizer: nil)
        #expect(try Guides.make("layer-contrast:1", environment: env) is LayerContrastGuide)
        #expect(try Guides.make("dola:0,2", environment: env) is DynamicLayerContrastGuide)
        #expect(try Guides.make("layer-contrast:1/raw", environment: env) is DynamicLayerContrastGuide)
        #expect((try Guides.make("layer-contrast:high", environment: env) as? DynamicLayerContrastGuide)?.bucket == [1])
    }
}
