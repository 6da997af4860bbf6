// Gemma 2 and Gemma 3 text: the pieces checked against hand-computed worked examples, the layer
// pattern and RoPE bases read from transformers' configurations, soft-capping shown to matter,
// gradients through the whole model against finite differences, and one LoRA step lowering the
// loss. Logits, left padding, KV-cached decoding and save/reload against transformers are in
// ModelParityTests and SlidingWindowTests (fixtures: Tests/Fixtures/generate_gemma_parity.py).
import Autograd
import Foundation
import Models
import NN
import TensorCore
import Testing
import TestSupport
import Training

@Suite struct GemmaTests {
    static func load(_ name: String) throws -> GemmaForCausalLM {
        try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name)) as? GemmaForCausalLM)
    }

    /// Soft-capped attention on one query over three keys, by hand: scores q·k = (2, 0, −3) with
    /// scale 1 and cap 1.5 become 1.5·tanh(score / 1.5) = (1.305092, 0, −1.446041), softmax
    /// (0.749062, 0.203106, 0.047832), output p₀v₀ + p₁v₁ + p₂v₂ = (0.796894, 0.250938) for
    /// v = (1, 0), (0, 1), (1, 1).
    @Test func softCappedAttentionMatchesTheWorkedExample() {
        let q = Tensor(shape: [1, 3, 1, 2], data: [0, 0, 0, 0, 1, 0])
        let k = Tensor(shape: [1, 3, 1, 2], data: [2, 0, 0, 0, -3, 0])
        let v = Tensor(shape: [1, 3, 1, 2], data: [1, 0, 0, 1, 1, 1])
        let (out, ctx) = CPU.attentionForward(q: q, k: k, v: v, scale: 1, softcap: 1.5)
        let last = out.scalars[4 ..< 6].map { $0 }
        #expect(abs(last[0] - 0.796894) < 1e-5 && abs(last[1] - 0.250938) < 1e-5, "\(last)")
        let p = ctx.probabilities.scalars[6 ..< 9].map { $0 }
        #expect(zip(p, [0.749062, 0.203106, 0.047832] as [Float]).allSatisfy { abs($0 - $1) < 1e-5 }, "\(p)")
        // Without the cap the same scores give softmax(2, 0, −3) = (0.876, 0.119, 0.006): the cap matters here.
        let uncapped = CPU.attentionForward(q: q, k: k, v: v, scale: 1).1.probabilities.scalars[6]
        #expect(abs(uncapped - 0.8756) < 1e-3)
        // Cached decoding applies the same cap.
        let cached = CPU.attentionForward(q: q.slice(axis: 1, 2 ..< 3), kCache: k, vCache: v, length: 3, scale: 1, softcap: 1.5)
        #expect(compareClose(cached.reshaped([2]), Tensor(shape: [2], data: last), atol: 1e-6).ok)
    }

    /// Finite differences of soft-capped attention (with a window, GQA and a left-padded row).
    @Test(arguments: [Float(0.7), 4])
    func softCappedAttentionGradientsMatchFiniteDifferences(cap: Float) {
        let B = 2, T = 7, Hq = 4, Hkv = 2, D = 3
        var m = [Float](repeating: 1, count: B * T)
        m[T] = 0
        let mask = Tensor(shape: [B, T], data: m)
        let inputs = [randomTensor([B, T, Hq, D], seed: 14, scale: 2), randomTensor([B, T, Hkv, D], seed: 15, scale: 2),
                      randomTensor([B, T, Hkv, D], seed: 16)]
        let result = gradcheck(inputs, step: 1e-2, atol: 2e-3, rtol: 2e-2) { v in
            Functional.attention(q: v[0], k: v[1], v: v[2], scale: 0.4, keyMask: mask, window: 4, softcap: cap)
        }
        #expect(result.ok, "cap \(cap): \(result)")
    }

    /// Gemma's RMSNorm scales by (1 + w): x = (3, 4), w = (0, 1), eps 0 → rms = √12.5 = 3.535534,
    /// output (3, 4)/rms ⊙ (1, 2) = (0.848528, 2.262742).
    @Test func gemmaNormScalesByOnePlusWeight() {
        let norm = GemmaRMSNorm(2, eps: 0)
        norm.weight = Variable(Tensor(shape: [2], data: [0, 1]), requiresGrad: true)
        let y = norm(Variable(Tensor(shape: [1, 2], data: [3, 4]))).value.scalars
        #expect(abs(y[0] - 0.848528) < 1e-5 && abs(y[1] - 2.262742) < 1e-5, "\(y)")
    }

    /// Layer types, windows, RoPE bases and scales as transformers configured the fixtures.
    @Test func configurationsFollowTransformers() throws {
        let g2 = try Self.load("gemma2").config
        #expect((0 ..< 2).map(g2.attentionWindow(layer:)) == [6, nil])
        #expect(g2.attnLogitSoftcapping == 5 && g2.finalLogitSoftcapping == 3 && g2.tieWordEmbeddings)
        #expect(g2.rope(layer: 0).theta == 10_000 && g2.rope(layer: 1).frequencyScale == nil)
        let g3 = try Self.load("gemma3").config
        #expect((0 ..< 6).map(g3.attentionWindow(layer:)) == [5, 5, 5, 5, 5, nil])
        #expect(g3.rope(layer: 0).theta == 10_000 && g3.rope(layer: 0).frequencyScale == nil)
        #expect(g3.rope(layer: 5).theta == 1_000_000 && g3.rope(layer: 5).frequencyScale == [Float](repeating: 0.5, count: 6))
        #expect(g3.hasQKNorm && g3.attnLogitSoftcapping == nil && g3.finalLogitSoftcapping == nil)
        let v = try Self.load("gemma2_variant").config
        #expect((0 ..< 2).map(v.attentionWindow(layer:)) == [nil, 4])
        #expect(v.queryPreAttnScalar == 20 && v.attentionBias && !v.tieWordEmbeddings && v.hiddenActivation == "gelu")
        #expect(v.attnLogitSoftcapping == nil && v.finalLogitSoftcapping == 10)
        // Without layer_types, Gemma 3's pattern of 6 (five local, one global), as Gemma3TextConfig.
        let json = #"{"model_type": "gemma3_text", "num_hidden_layers": 7, "sliding_window_pattern": 6}"#
        let c = try JSONDecoder().decode(GemmaConfiguration.self, from: Data(json.utf8))
        #expect(c.layerTypes == Array(repeating: "sliding_attention", count: 5) + ["full_attention", "sliding_attention"])
        #expect(c.ropeTheta == 1_000_000 && c.localRopeTheta == 10_000 && c.finalLogitSoftcapping == nil)
    }

    /// The same weights without soft-capping (or without the window) are clearly off transformers'
    /// logits, so parity cannot hold while ignoring either; the final cap is c·tanh(logits / c).
    @Test func softCappingAndWindowChangeTheResult() throws {
        let model = try Self.load("gemma2")
        let c = try ParityCase("gemma2")
        let weights = try ModelRegistry.readWeights(folder: fixtureRoot.appendingPathComponent("gemma2"))
        for change in ["attention cap", "final cap", "window"] {
            var config = model.config
            switch change {
            case "attention cap": config.attnLogitSoftcapping = nil
            case "final cap": config.finalLogitSoftcapping = nil
            default: config.layerTypes = ["full_attention", "full_attention"]
            }
            let other = GemmaForCausalLM(config)
            try ModelRegistry.assign(weights, to: other, path: "gemma2")
            let gap = compareClose(withoutGradients { other(c.ids) }.value, c.logitsPlain, atol: 1e-4, rtol: 1e-4).maxAbsDifference
            #expect(gap > 0.05, "\(change): within \(gap) of transformers")
        }
        // Final logits are 3·tanh(raw / 3), raw = h·Eᵀ (tied embeddings).
        let h = withoutGradients { model.hiddenStates(c.ids, attentionMask: nil, cache: nil) }
        let raw = withoutGradients { h.matmul(model.model.embedTokens.weight, transposeOther: true) }.value.scalars
        let capped = withoutGradients { model.logits(fromHidden: h) }.value.scalars
        let worst = zip(raw, capped).map { abs(Double($1) - 3 * Foundation.tanh(Double($0) / 3)) }.max() ?? 1
        #expect(worst < 1e-5, "final soft-capping off by \(worst)")
        #expect(raw.contains { abs($0) > 3 }, "the cap never binds on these inputs")
    }

    /// Gradients of the logits with respect to weights deep in the model (a windowed soft-capped
    /// attention layer, a Gemma norm, Gemma 3's per-head k norm, the scaled embeddings) against
    /// central differences.
    @Test(arguments: ["gemma2", "gemma3"])
    func modelGradientsMatchFiniteDifferences(_ name: String) throws {
        let model = try Self.load(name)
        let c = try ParityCase(name)
        let ids = IndexTensor(shape: [1, 9], data: Array(c.ids.data[0 ..< 9]))
        let layer = model.model.layers[0]
        var inputs = [layer.selfAttn.vProj.weight.value, layer.postFeedforwardLayernorm.weight.value, model.model.norm.weight.value]
        if let k = layer.selfAttn.kNorm { inputs.append(k.weight.value) }
        let result = gradcheck(inputs, step: 1e-2, atol: 3e-3, rtol: 3e-2) { v in
            layer.selfAttn.vProj.weight = v[0]
            layer.postFeedforwardLayernorm.weight = v[1]
            model.model.norm.weight = v[2]
            if v.count > 3 { layer.selfAttn.kNorm?.weight = v[3] }
            return model(ids)
        }
        #expect(result.ok, "\(name): \(result)")
    }

    /// One LoRA step (q/k/v/o adapters, plain gradient descent) lowers the next-token loss, and a
    /// full-parameter step does too; the frozen base weights stay put under LoRA.
    @Test(arguments: ["gemma2", "gemma3"])
    func oneTrainingStepLowersTheLoss(_ name: String) throws {
        for lora in [true, false] {
            let model = try Self.load(name)
            let c = try ParityCase(name)
            let T = c.ids.shape[1]
            let inputs = IndexTensor(shape: [2, T - 1], data: (0 ..< 2).flatMap { b in Array(c.ids.data[(b * T) ..< (b * T + T - 1)]) })
            let labels = IndexTensor(shape: [2, T - 1], data: (0 ..< 2).flatMap { b in Array(c.ids.data[(b * T + 1) ..< (b * T + T)]) })
            let mask = c.mask.slice(axis: 1, 1 ..< T)
            func loss() -> Variable {
                Functional.crossEntropy(logits: model(inputs, attentionMask: c.mask.slice(axis: 1, 0 ..< T - 1)), labels: labels, mask: mask)
            }
            let base = model.model.layers[0].selfAttn.qProj.weight.value.scalars
            if lora {
                var rng = RandomGenerator(seed: 5)
                let adapted = LoRA.apply(to: model, configuration: LoRAConfiguration(rank: 4, alpha: 8), targets: ["q_proj", "k_proj", "v_proj", "o_proj"],
                                         rng: &rng)
                #expect(adapted == 4 * model.config.numHiddenLayers)
            }
            let before = withoutGradients { loss() }.scalar
            let (value, grads) = try valueAndGrad(model, loss)
            #expect(abs(value - before) < 1e-4)
            #expect(grads.values.contains { $0.scalars.contains { $0 != 0 } })
            step(model, learningRate: 0.05)
            let after = withoutGradients { loss() }.scalar
            #expect(after < before, "\(name) \(lora ? "LoRA" : "full"): loss \(before) → \(after)")
            if lora { #expect(model.model.layers[0].selfAttn.qProj.weight.value.scalars == base) }
        }
    }

    /// Plain gradient descent on the trainable parameters.
    func step(_ model: Module, learningRate: Float) {
        for (_, p) in model.trainableParameters() {
            if let g = p.grad { p.value = p.value - g * learningRate }
        }
    }

    /// A saved folder writes the float fields as floats (transformers' strict Gemma2Config refuses
    /// `3` for `final_logit_softcapping`), and explicit nulls for what is absent.
    @Test func savedConfigurationKeepsFloatsAndNulls() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-gemma-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelRegistry.save(try Self.load("gemma2"), to: dir)
        let text = try String(contentsOf: dir.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(text.contains("\"final_logit_softcapping\" : 3.0") && text.contains("\"attn_logit_softcapping\" : 5.0"), "\(text)")
        try ModelRegistry.save(try Self.load("gemma3"), to: dir)
        let three = try String(contentsOf: dir.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(three.contains("\"final_logit_softcapping\" : null") && three.contains("\"sliding_window\" : 5"), "\(three)")
    }

    /// Config fields Gemma does not implement are refused, naming the field.
    @Test func unsupportedGemmaSettingsAreRefused() throws {
        let cases: [(String, String)] = [
            (#""use_bidirectional_attention": true"#, "use_bidirectional_attention"),
            (#""hidden_activation": "relu""#, "hidden_activation"),
            (#""rope_parameters": {"rope_type": "yarn", "factor": 2.0, "rope_theta": 10000.0}"#, "rope_parameters.rope_type"),
            (#""attn_logit_softcapping": -1"#, "attn_logit_softcapping"),
            (#""layer_types": ["full_attention", "chunked_attention"]"#, "layer_types"),
        ]
        for (field, name) in cases {
            let json = #"{"model_type": "gemma2", "num_hidden_layers": 2, "hidden_size": 8, "intermediate_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4, "vocab_size": 10, "# + field + "}"
            do {
                _ = try ModelRegistry.makeModel(configurationData: Data(json.utf8), path: "cfg.json")
                Issue.record("\(name) was not refused")
            } catch let ModelError.unsupportedSetting(path, f, _, _) {
                #expect(path == "cfg.json" && f == name)
            }
        }
        // The multimodal Gemma 3 wrapper is refused by name rather than half-loaded.
        do {
            _ = try ModelRegistry.makeModel(configurationData: Data(#"{"model_type": "gemma3", "text_config": {}}"#.utf8), path: "mm.json")
            Issue.record("gemma3 (multimodal) was not refused")
        } catch let ModelError.unsupportedSetting(_, f, v, _) {
            #expect(f == "model_type" && v == "gemma3")
        }
        // Llama-family files still refuse soft-capping (only Gemma implements it).
        let llama = #"{"model_type": "llama", "final_logit_softcapping": 30.0}"#
        #expect(throws: ModelError.self) { _ = try ModelRegistry.makeModel(configurationData: Data(llama.utf8), path: "l.json") }
    }
}
