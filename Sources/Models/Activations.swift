// Reading inside a model: the residual stream after every decoder layer and the attention weights
// of one layer. Methods that assign credit from the model's internals need these:
//  - SparsePO's learned masks (Christopoulou et al. 2024, arXiv:2410.05102) read the hidden state of
//    every layer (`huawei-noah/HEBO:SparsePO/src/masks/pipeline_gpt2.py` passes
//    `output_hidden_states[1:]` of the reference to `SimpleMaskAllLayers`);
//  - attention-based credit (ABC, Chan et al. 2024, arXiv:2402.00782) spreads a sequence reward over
//    tokens by the last layer's attention, averaged over heads, in the scoring position's row.
// Legend: B rows, T positions, C hidden size, H query heads, Hkv key/value heads, D head dimension.
import Autograd
import NN
import TensorCore

/// Every layer's output plus the final normed hidden state, from one forward pass.
public struct LayerActivations {
    /// The residual stream at the output of each decoder layer (before the final norm), [B, T, C]
    /// each, `layerCount` entries, first layer first. Part of the same graph as `final`.
    public var layers: [Variable]
    /// The final hidden states [B, T, C] after the last norm: exactly what
    /// `LanguageModel.hiddenStates` returns, so `logits(fromHidden: final)` needs no second forward.
    public var final: Variable

    public init(layers: [Variable], final: Variable) {
        self.layers = layers
        self.final = final
    }

    /// Hugging Face's `output_hidden_states` without the embedding entry: layers 1 … L−1's outputs
    /// and then the *normed* last layer (transformers applies the final norm before appending the
    /// last entry). SparsePO's mask network reads this list.
    public var huggingFaceHiddenStates: [Variable] { Array(layers.dropLast()) + [final] }
}

/// A causal LM whose per-layer activations and attention weights can be read.
public protocol ActivationInspecting: LanguageModel {
    /// One forward pass (no cache) that keeps every decoder layer's output. Differentiable: the
    /// layers and `final` are the nodes `hiddenStates` builds.
    /// - Parameters:
    ///   - ids: [B, T].
    ///   - attentionMask: [B, T], 1 for tokens, 0 for padding (left padding), as for `hiddenStates`.
    func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations

    /// Softmax attention weights of decoder layer `layer` (0-based), no gradient: [B, H, T, T], row
    /// t holding query t's weights over keys 0 … T−1. Causal (entries past t are 0; in a sliding-window
    /// layer of window W also entries before t − W + 1) and padding keys
    /// get weight 0; each row sums to 1, except rows of padding queries that see no real key, which
    /// are all zeros (as the attention kernel defines them). Computed from the same queries and keys
    /// as the forward (after RoPE for Llama; query head h reads key/value head h / (H/Hkv)).
    func attentionProbabilities(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?) -> Tensor
}

extension ActivationInspecting {
    /// The residual stream at the output of every decoder layer, [B, T, C] each (`layerCount` entries).
    public func layerHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?) -> [Variable] {
        layerActivations(ids, attentionMask: attentionMask).layers
    }
}

/// The kernel's vectorised exp maps a masked score (−∞) to the smallest normal float (~1e-38), not
/// 0; the forward's output is unaffected at that size, but callers counting or ranking weights should
/// see exact zeros on future, out-of-window and padding keys. probs [B, H, T, T], keyMask [B, T],
/// `window` the layer's sliding window (keys j ≤ t − W are outside it).
func exactZeros(_ probs: Tensor, keyMask: Tensor?, window: Int? = nil) -> Tensor {
    let B = probs.shape[0], H = probs.shape[1], T = probs.shape[2]
    var out = probs.scalars
    let m = keyMask?.scalars
    for b in 0 ..< B {
        for h in 0 ..< H {
            for t in 0 ..< T {
                let row = ((b * H + h) * T + t) * T
                let first = window.map { Swift.max(0, t - $0 + 1) } ?? 0
                for j in 0 ..< T where j > t || j < first || (m.map { $0[b * T + j] == 0 } ?? false) { out[row + j] = 0 }
            }
        }
    }
    return Tensor(shape: probs.shape, data: out)
}

// MARK: - Llama / Qwen2 / Qwen3 / Mistral / Phi-3 / OLMo 2

extension LlamaForCausalLM: ActivationInspecting {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations {
        stackActivations(ids, attentionMask: attentionMask)
    }

    public func attentionProbabilities(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?) -> Tensor {
        let block = model.layers[layer]
        return inspectAttention(ids, layer: layer, attentionMask: attentionMask, window: block.selfAttn.window) { x, positions in
            let p = block.selfAttn.projections(block.attentionInput(x), positions: positions)
            return CPU.attentionForward(q: p.q.value, k: p.k.value, v: p.v.value, keyMask: attentionMask, window: block.selfAttn.window)
                .1.probabilities
        }
    }
}

// MARK: - Gemma 2 / Gemma 3

extension GemmaForCausalLM: ActivationInspecting {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations {
        stackActivations(ids, attentionMask: attentionMask)
    }

    /// The forward's own scores: query_pre_attn_scalar scaling and soft-capping included.
    public func attentionProbabilities(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?) -> Tensor {
        let block = model.layers[layer], a = block.selfAttn
        return inspectAttention(ids, layer: layer, attentionMask: attentionMask, window: a.window) { x, positions in
            let p = a.projections(block.inputLayernorm(x), positions: positions)
            return CPU.attentionForward(q: p.q.value, k: p.k.value, v: p.v.value, scale: a.scale, keyMask: attentionMask,
                                        window: a.window, softcap: a.softcap).1.probabilities
        }
    }
}

// MARK: - GPT-2

extension GPT2LMHeadModel: ActivationInspecting {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations {
        var layers: [Variable] = []
        let x = residual(ids, attentionMask: attentionMask, upTo: transformer.h.count) { layers.append($0) }
        return LayerActivations(layers: layers, final: transformer.lnF(x))
    }

    public func attentionProbabilities(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?) -> Tensor {
        precondition(transformer.h.indices.contains(layer), "GPT-2: layer \(layer) of \(transformer.h.count)")
        return withoutGradients {
            let x = residual(ids, attentionMask: attentionMask, upTo: layer)
            let block = transformer.h[layer]
            // The forward's own path: the packed c_attn projection read by the fused kernel.
            let qkv = block.attn.cAttn(block.ln1(x))  // [B, T, 3C]
            let H = block.attn.heads
            let probs = CPU.attentionForwardPacked(qkv: qkv.value, heads: H, kvHeads: H, keyMask: attentionMask).1.probabilities
            return exactZeros(probs, keyMask: attentionMask)
        }
    }
}
