// Reading every decoder layer's output while decoding with the KV cache. The hidden-state verifiers
// (ELHSR, arXiv 2505.12225; CLUE, arXiv 2510.01591) score a sample from the residual stream the
// policy computed for it; a cached forward that keeps those states lets the decoder hand them over
// as it samples, instead of the scorer running the policy again over prompt ⊕ answer. The layers
// are the same nodes `hiddenStates` builds (one pass, no second forward), and `final` is exactly
// what `hiddenStates` returns, so the sampler reads its logits from it.
import Autograd
import TensorCore

/// A causal LM whose per-layer states can be read during cached decoding.
public protocol LayerStateDecoding: ActivationInspecting {
    /// `hiddenStates(ids, attentionMask:, cache:)` that also keeps every decoder layer's output
    /// ([B, T, C] each, before the final norm, first layer first). With a cache, positions start at
    /// its length and it advances by T, as `hiddenStates` does. For inference: run it inside
    /// `withoutGradients`.
    func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations
}

extension DecoderStack {
    /// `stackHiddenStates` keeping each layer's output on the way.
    func stackActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations {
        var layers: [Variable] = []
        let final = stackHiddenStates(ids, attentionMask: attentionMask, cache: cache) { layers.append($0) }
        return LayerActivations(layers: layers, final: final)
    }
}

extension LlamaForCausalLM: LayerStateDecoding {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations {
        stackActivations(ids, attentionMask: attentionMask, cache: cache)
    }
}

extension GemmaForCausalLM: LayerStateDecoding {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations {
        stackActivations(ids, attentionMask: attentionMask, cache: cache)
    }
}

extension GPT2LMHeadModel: LayerStateDecoding {
    public func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations {
        var layers: [Variable] = []
        let x = residual(ids, attentionMask: attentionMask, cache: cache, upTo: transformer.h.count) { depth, x in if depth > 0 { layers.append(x) } }
        return LayerActivations(layers: layers, final: transformer.lnF(x))
    }
}
