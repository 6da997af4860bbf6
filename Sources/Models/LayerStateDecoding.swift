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

    /// `hiddenStates(ids, attentionMask:, cache:)` handing each decoder layer's output [B, T, C] to
    /// `visit` (layer index, first layer first) as soon as the layer has run, and keeping none of
    /// them: a caller that needs a slice of every layer (the recorder: each row's last column) then
    /// holds one layer's B·T·C at a time, not all L. For inference: run it inside `withoutGradients`.
    func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable
}

extension LayerStateDecoding {
    /// Through `layerActivations`, for a conformer without a streaming forward (it keeps every
    /// layer until the pass ends); the model families override it (`LayerStateVisiting.swift`).
    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable {
        let a = layerActivations(ids, attentionMask: attentionMask, cache: cache)
        for (l, h) in a.layers.enumerated() { visit(l, h.value) }
        return a.final
    }
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
