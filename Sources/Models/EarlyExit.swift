// Early exit and candidate-row bookkeeping for decoding-time guides (docs/design/decoding.md):
//  - layer-contrastive decoding (DoLa, Chuang et al. 2023, arXiv 2309.03883) reads an early layer's
//    next-token distribution through the final norm and the LM head; with a cache of its own the
//    guide runs only layers 0 ..< n per new token instead of the whole stack, and its dynamic variant
//    reads every candidate depth from that one pass;
//  - RAD (Deng & Raffel 2023, arXiv 2310.09520) keeps k rows of reward-model cache per sequence, one
//    per candidate token; after the sampler picks candidate j, row j's last position is copied into
//    the other k − 1 rows so all of them again hold the accepted prefix.
import Autograd
import NN
import TensorCore

/// A causal LM that can stop after its first decoder layers, and read several depths from one pass.
public protocol EarlyExiting: LanguageModel {
    /// Hidden states [B, T, C] after decoder layers 0 ..< `exits[i]`, one per entry of `exits`
    /// (ascending, each from 0 = the embeddings to `layerCount`), from one pass through layers
    /// 0 ..< `exits.last`; through the final norm when `finalNorm` (the input `logits(fromHidden:)`
    /// expects), the raw residual stream otherwise (what DoLa's released code and transformers'
    /// `dola_layers` put through the head). With a cache, only those layers' keys and values are
    /// written and the cache advances by T positions, exactly as `hiddenStates` does.
    func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, exits: [Int], finalNorm: Bool) -> [Variable]
    /// True when the LM head is the transposed token embedding: then exiting after 0 layers maps a
    /// token to itself, which is why transformers' `dola_layers` buckets skip the first layers.
    var tiesWordEmbeddings: Bool { get }
}

/// Checks `exits` (non-empty, ascending, within 0 ... `layers`) for the early-exit forwards.
func checkExits(_ exits: [Int], layers: Int, model: String) {
    precondition(!exits.isEmpty && exits.first! >= 0 && exits.last! <= layers && zip(exits, exits.dropFirst()).allSatisfy { $0 < $1 },
                 "\(model) early exit: exits \(exits) must ascend within 0 ... \(layers)")
}

extension LlamaForCausalLM: EarlyExiting {
    public var tiesWordEmbeddings: Bool { lmHead == nil }

    public func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, exits: [Int], finalNorm: Bool) -> [Variable] {
        precondition(ids.rank == 2, "Llama early exit: ids must be [B, T], got \(ids.shape)")
        checkExits(exits, layers: layerCount, model: "Llama")
        let B = ids.shape[0], T = ids.shape[1]
        let positions = tokenPositions(start: cache?.length ?? 0, count: T, batch: B, attentionMask: attentionMask)
        var x = embedInputs(ids)
        var out: [Variable] = []
        out.reserveCapacity(exits.count)
        for depth in 0 ... exits.last! {
            if depth > 0 { x = decoderLayer(depth - 1, x, positions: positions, attentionMask: attentionMask, cache: cache) }
            if exits[out.count] == depth { out.append(finalNorm ? self.finalNorm(x) : x) }
        }
        if let cache { cache.length += T }
        return out
    }
}

extension GPT2LMHeadModel: EarlyExiting {
    public var tiesWordEmbeddings: Bool { lmHead == nil }

    public func earlyExitHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, exits: [Int], finalNorm: Bool) -> [Variable] {
        checkExits(exits, layers: transformer.h.count, model: "GPT-2")
        var out: [Variable] = []
        out.reserveCapacity(exits.count)
        _ = residual(ids, attentionMask: attentionMask, cache: cache, upTo: exits.last!) { depth, x in
            if out.count < exits.count && exits[out.count] == depth { out.append(finalNorm ? self.transformer.lnF(x) : x) }
        }
        return out
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
