// The streaming form of `layerActivations` for cached decoding: each layer's output goes to a
// visitor as soon as the layer has run, and is then dropped (under `withoutGradients` nothing else
// holds it), so a prefill of B rows × T positions keeps one layer's [B, T, C] alive at a time
// instead of all L. The layer-state recorder reads only each row's last column of a pass, so its
// prefill needs B·L·C floats of its own rather than B·T·L·C (docs/design/search.md, hidden-state
// verifiers; ELHSR arXiv 2505.12225, CLUE arXiv 2510.01591).
import Autograd
import TensorCore

extension DecoderStack {
    /// `stackHiddenStates`, handing each layer's output to `visit` with its index.
    func stackHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable {
        withoutActuallyEscaping(visit) { visit in
            var layer = 0
            return stackHiddenStates(ids, attentionMask: attentionMask, cache: cache) { x in
                visit(layer, x.value)
                layer += 1
            }
        }
    }
}

extension LlamaForCausalLM {
    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable {
        stackHiddenStates(ids, attentionMask: attentionMask, cache: cache, visitingLayers: visit)
    }
}

extension GemmaForCausalLM {
    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable {
        stackHiddenStates(ids, attentionMask: attentionMask, cache: cache, visitingLayers: visit)
    }
}

extension GPT2LMHeadModel {
    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, visitingLayers visit: (Int, Tensor) -> Void) -> Variable {
        withoutActuallyEscaping(visit) { visit in
            // Depth 0 is the embedding, not a decoder layer's output.
            let x = residual(ids, attentionMask: attentionMask, cache: cache, upTo: transformer.h.count) { depth, x in
                if depth > 0 { visit(depth - 1, x.value) }
            }
            return transformer.lnF(x)
        }
    }
}
