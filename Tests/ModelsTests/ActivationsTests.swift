import Autograd
@testable import Models
import NN
import TensorCore
import Testing
import TestSupport

/// `ActivationInspecting` on tiny random GPT-2 and Llama (GQA: 4 query heads, 2 key/value heads)
/// models: the collected layers are the forward's own graph, and the attention weights are the ones
/// the forward used (rebuilding a layer's output from them reproduces it).
@Suite struct ActivationsTests {
    static let kinds = ["gpt2", "llama-gqa"]

    static func model(_ kind: String) -> any ActivationInspecting {
        switch kind {
        case "gpt2":
            return GPT2LMHeadModel(GPT2Configuration(vocabSize: 40, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4), seed: 5)
        default:
            return LlamaForCausalLM(LlamaConfiguration(vocabSize: 40, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2,
                                                       numAttentionHeads: 4, numKeyValueHeads: 2), seed: 3)
        }
    }

    /// B = 2, T = 6; row 1 is left-padded by two positions.
    static let ids = IndexTensor(shape: [2, 6], data: [3, 17, 5, 9, 22, 1, 0, 0, 8, 31, 4, 12])
    static let mask = Tensor(shape: [2, 6], data: [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1])

    @Test(arguments: kinds)
    func finalEqualsHiddenStatesAndLastLayerNormsToIt(_ kind: String) {
        let m = Self.model(kind)
        for mask in [nil, Self.mask] {
            let acts = withoutGradients { m.layerActivations(Self.ids, attentionMask: mask) }
            let h = withoutGradients { m.hiddenStates(Self.ids, attentionMask: mask, cache: nil) }.value
            #expect(acts.layers.count == m.layerCount)
            #expect(acts.layers.allSatisfy { $0.shape == [2, 6, 32] })
            let r = compareClose(acts.final.value, h, atol: 0, rtol: 0)
            #expect(r.ok, "\(kind) final vs hiddenStates: \(r)")
            // The last layer's output, through the final norm, is the final hidden state.
            let normed: Tensor = withoutGradients {
                if let g = m as? GPT2LMHeadModel { return g.transformer.lnF(acts.layers[1]).value }
                return (m as! LlamaForCausalLM).model.norm(acts.layers[1]).value
            }
            let r2 = compareClose(normed, h, atol: 0, rtol: 0)
            #expect(r2.ok, "\(kind) norm(last layer) vs hiddenStates: \(r2)")
            // Hugging Face's hidden_states[1:] ends with the normed state.
            #expect(acts.huggingFaceHiddenStates.count == 2 && acts.huggingFaceHiddenStates[1] === acts.final)
            // The earlier layer differs from the last (it is not the same tensor repeated).
            #expect(!compareClose(acts.layers[0].value, acts.layers[1].value).ok)
        }
    }

    /// The collected layers are differentiable: finite differences of the first layer's output
    /// with respect to that layer's first norm weight match the gradient.
    @Test(arguments: kinds)
    func layerOutputsAreDifferentiable(_ kind: String) {
        let m = Self.model(kind)
        let w0: Tensor
        if let g = m as? GPT2LMHeadModel { w0 = g.transformer.h[0].ln1.weight.value } else {
            w0 = (m as! LlamaForCausalLM).model.layers[0].postAttentionLayernorm.weight.value
        }
        let ids = IndexTensor(shape: [1, 4], data: [3, 17, 5, 9])
        let result = gradcheck([w0], step: 1e-2, atol: 2e-3, rtol: 2e-2) { v in
            if let g = m as? GPT2LMHeadModel { g.transformer.h[0].ln1.weight = v[0] } else {
                (m as! LlamaForCausalLM).model.layers[0].postAttentionLayernorm.weight = v[0]
            }
            let acts = m.layerActivations(ids, attentionMask: nil)
            // Both the layer output and the final state depend on the weight.
            return acts.layers[0].sum() + acts.final.sum()
        }
        #expect(result.ok, "\(kind): \(result)")
    }

    @Test(arguments: kinds)
    func attentionRowsAreCausalDistributions(_ kind: String) {
        let m = Self.model(kind)
        let B = 2, T = 6, H = 4
        for layer in 0 ..< 2 {
            let p = m.attentionProbabilities(Self.ids, layer: layer, attentionMask: Self.mask)
            #expect(p.shape == [B, H, T, T])
            let s = p.scalars, mk = Self.mask.scalars
            var worstSum: Float = 0, worstOutside: Float = 0
            for b in 0 ..< B {
                for h in 0 ..< H {
                    for t in 0 ..< T {
                        let row = (((b * H) + h) * T + t) * T
                        let sum = (0 ..< T).reduce(Float(0)) { $0 + s[row + $1] }
                        // Real queries see at least themselves; padding queries see no real key.
                        let expected: Float = mk[b * T + t] != 0 ? 1 : 0
                        worstSum = max(worstSum, abs(sum - expected))
                        for j in 0 ..< T where j > t || mk[b * T + j] == 0 { worstOutside = max(worstOutside, abs(s[row + j])) }
                        #expect((0 ..< T).allSatisfy { s[row + $0] >= 0 })
                    }
                }
            }
            #expect(worstSum < 1e-5, "\(kind) layer \(layer): row sums off by \(worstSum)")
            #expect(worstOutside == 0, "\(kind) layer \(layer): weight \(worstOutside) on a future or padding key")
            // Not uniform: the weights come from the queries and keys.
            let real = (0 ..< T).map { s[((0 * H + 0) * T + 5) * T + $0] }
            #expect(real.max()! - real.min()! > 1e-4)
        }
    }

    /// Independent check: Σ_j P[b, h, t, j] · V[b, j, h / group] through the output projection,
    /// residual and MLP reproduces the layer's output, so P is the forward's attention (RoPE
    /// included for Llama, grouped heads included).
    @Test(arguments: kinds)
    func probabilitiesTimesValuesRebuildTheLayer(_ kind: String) {
        let m = Self.model(kind)
        let B = 2, T = 6, H = 4, C = 32, D = C / H
        for mask in [nil, Self.mask] {
            let acts = withoutGradients { m.layerActivations(Self.ids, attentionMask: mask) }
            for layer in 0 ..< 2 {
                let p = m.attentionProbabilities(Self.ids, layer: layer, attentionMask: mask).scalars
                let rebuilt: Tensor = withoutGradients {
                    let xin: Variable
                    if layer > 0 {
                        xin = acts.layers[layer - 1]
                    } else if let g = m as? GPT2LMHeadModel {
                        xin = g.residual(Self.ids, attentionMask: mask, upTo: 0)
                    } else {
                        xin = (m as! LlamaForCausalLM).residual(Self.ids, attentionMask: mask, upTo: 0).0
                    }
                    // Values [B, T, Hkv·D] from the layer's own projection.
                    let values: Tensor, kvHeads: Int
                    if let g = m as? GPT2LMHeadModel {
                        values = g.transformer.h[layer].attn.cAttn(g.transformer.h[layer].ln1(xin)).value.slice(axis: 2, 2 * C ..< 3 * C)
                        kvHeads = H
                    } else {
                        let block = (m as! LlamaForCausalLM).model.layers[layer]
                        values = block.selfAttn.vProj(block.attentionInput(xin)).value
                        kvHeads = 2
                    }
                    let v = values.scalars, group = H / kvHeads, W = kvHeads * D
                    var y = [Float](repeating: 0, count: B * T * H * D)
                    for b in 0 ..< B {
                        for h in 0 ..< H {
                            for t in 0 ..< T {
                                for j in 0 ..< T {
                                    let w = p[(((b * H) + h) * T + t) * T + j]
                                    for d in 0 ..< D { y[((b * T + t) * H + h) * D + d] += w * v[(b * T + j) * W + (h / group) * D + d] }
                                }
                            }
                        }
                    }
                    let attn = Variable(Tensor(shape: [B, T, H * D], data: y))
                    if let g = m as? GPT2LMHeadModel {
                        let block = g.transformer.h[layer]
                        let h1 = xin + block.attn.cProj(attn)
                        return (h1 + block.mlp(block.ln2(h1))).value
                    }
                    let block = (m as! LlamaForCausalLM).model.layers[layer]
                    let h1 = xin + block.selfAttn.oProj(attn)
                    return (h1 + block.mlp(block.postAttentionLayernorm(h1))).value
                }
                let r = compareClose(rebuilt, acts.layers[layer].value, atol: 1e-5, rtol: 1e-4)
                #expect(r.ok, "\(kind) layer \(layer) mask \(mask != nil): \(r)")
            }
        }
    }
}
