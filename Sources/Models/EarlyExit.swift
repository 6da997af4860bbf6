// Early exit and candidate-row bookkeeping for decoding-time guides (docs/design/decoding.md):
//  - layer-contrastive decoding (DoLa, Chuang et al. 2023, arXiv 2309.03883) reads an early layer's
//    next-token distribution through the final norm and the LM head; with a cache of its own the
//    guide runs only layers 0 ..< n per new token instead of the whole stack;
//  - RAD (Deng & Raffel 2023, arXiv 2310.09520) keeps k rows of reward-model cache per sequence, one
//    per candidate token; after the sampler picks candidate j, row j's last position is copied into
//    the other k − 1 rows so all of them again hold the accepted prefix.
import Autograd
import NN
import TensorCore

/// A causal LM that can stop after its first `layers` decoder layers.
public protocol EarlyExiting: LanguageModel {
    /// Hidden states [B, T, C] after decoder layers 0 ..< `layers`, through the final norm (the
    /// input `logits(fromHidden:)` expects). With a cache, only those layers' keys and values are
    /// written and the cache advances by T positions, exactly as `hiddenStates` does.
    func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, layers: Int) -> Variable
}

extension LlamaForCausalLM: EarlyExiting {
    public func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, layers n: Int) -> Variable {
        precondition(ids.rank == 2 && n >= 0 && n <= model.layers.count, "Llama early exit: ids \(ids.shape), layers \(n) of \(model.layers.count)")
        let B = ids.shape[0], T = ids.shape[1]
        let positions = tokenPositions(start: cache?.length ?? 0, count: T, batch: B, attentionMask: attentionMask)
        var x = model.embedTokens(ids)
        for i in 0 ..< n {
            x = model.layers[i](x, positions: positions, layer: i, attentionMask: attentionMask, cache: cache)
        }
        if let cache { cache.length += T }
        return model.norm(x)
    }
}

extension GPT2LMHeadModel: EarlyExiting {
    public func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, layers n: Int) -> Variable {
        precondition(ids.rank == 2 && n >= 0 && n <= transformer.h.count, "GPT-2 early exit: ids \(ids.shape), layers \(n) of \(transformer.h.count)")
        return transformer.lnF(residual(ids, attentionMask: attentionMask, cache: cache, upTo: n))
    }
}

extension KVCache {
    /// Copies position `position` of row `source` into each row of `targets`, in every layer.
    public func copyPosition(_ position: Int, from source: Int, to targets: [Int]) {
        precondition(position >= 0 && position < capacity && (0 ..< batch).contains(source) && targets.allSatisfy { (0 ..< batch).contains($0) },
                     "KVCache.copyPosition: position \(position) of \(capacity), rows \(source) → \(targets) of \(batch)")
        for l in 0 ..< keys.count {
            let row = keys[l].shape[2] * keys[l].shape[3]
            keys[l].makeUnique()
            values[l].makeUnique()
            let kd = keys[l].unsafeMutablePointer, vd = values[l].unsafeMutablePointer
            let from = (source * capacity + position) * row
            for t in targets where t != source {
                (kd + (t * capacity + position) * row).update(from: kd + from, count: row)
                (vd + (t * capacity + position) * row).update(from: vd + from, count: row)
            }
        }
    }
}
