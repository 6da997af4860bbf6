// One model run incrementally beside the decoder with a KV cache of its own: the prompts are
// prefilled once (left-padded, masked, positions counted as the decoder counts them), then every
// step feeds one token per row. Guides use it so that no step recomputes the prefix.
import Autograd
import Models
import TensorCore

final class CachedStepper {
    /// Where the stepper reads its hidden states (layer-contrastive decoding exits early).
    struct Exits: Equatable {
        /// Depths read, ascending (0 = the embeddings); the stepper runs layers 0 ..< `depths.last`.
        var depths: [Int]
        /// Through the final norm (our default) or the raw residual stream (DoLa's released code).
        var finalNorm: Bool
    }

    let model: any LanguageModel
    /// Early exits (layer-contrastive decoding); nil runs every layer.
    let exits: Exits?
    private(set) var cache: KVCache?
    /// Attention mask rows [rows][positions]; grows by one column per fed token.
    private var maskRows: [[Float]] = []
    private var needsMask = false
    private(set) var forwardTokens = 0

    init(model: any LanguageModel, exits: Exits? = nil) {
        precondition(exits == nil || model is any EarlyExiting, "early exit needs an EarlyExiting model")
        self.model = model
        self.exits = exits
    }

    /// Stops after `exitLayers` decoder layers, through the final norm.
    convenience init(model: any LanguageModel, exitLayers: Int) {
        self.init(model: model, exits: Exits(depths: [exitLayers], finalNorm: true))
    }

    /// Prefills `prompts` (left-padded to the longest) and returns the last position's hidden
    /// states [B, C] ([k·B, C] with k early exits: exit i's rows at i·B ..< (i+1)·B).
    func prefill(_ prompts: [[Int]], padTokenID: Int, capacity: Int) -> Tensor {
        let B = prompts.count, P = prompts.map(\.count).max() ?? 0
        var ids = [Int32](), mask = [Float]()
        ids.reserveCapacity(B * P)
        mask.reserveCapacity(B * P)
        for p in prompts {
            ids += [Int32](repeating: Int32(padTokenID), count: P - p.count) + p.map { Int32($0) }
            mask += [Float](repeating: 0, count: P - p.count) + [Float](repeating: 1, count: p.count)
        }
        needsMask = prompts.contains { $0.count != P }
        maskRows = (0 ..< B).map { Array(mask[($0 * P) ..< (($0 + 1) * P)]) }
        cache = model.makeCache(batch: B, capacity: capacity)
        return run(IndexTensor(shape: [B, P], data: ids))
    }

    /// Repeats every row `k` times (rows b·k ..< (b+1)·k copy row b): RAD's candidate rows.
    func replicateRows(_ k: Int) {
        guard let c = cache, k > 1 else { return }
        let rows = (0 ..< c.batch).flatMap { [Int](repeating: $0, count: k) }
        cache = c.selectRows(rows)
        maskRows = rows.map { maskRows[$0] }
    }

    /// Feeds one token per row; returns the new position's hidden states [rows, C] ([k·rows, C]
    /// with k early exits, as `prefill`).
    func step(_ tokens: [Int]) -> Tensor {
        precondition(tokens.count == maskRows.count, "CachedStepper: \(tokens.count) tokens for \(maskRows.count) rows")
        for b in maskRows.indices { maskRows[b].append(1) }
        return run(IndexTensor(shape: [tokens.count, 1], data: tokens.map { Int32($0) }))
    }

    /// Copies the last cached position of row `source` into rows `targets`.
    func copyLastPosition(from source: Int, to targets: [Int]) {
        guard let c = cache, c.length > 0 else { return }
        c.copyPosition(c.length - 1, from: source, to: targets)
    }

    /// Vocabulary logits [rows, V] of hidden states [rows, C].
    func logits(_ h: Tensor) -> Tensor {
        withoutGradients { model.logits(fromHidden: Variable(h)).value }
    }

    private func run(_ ids: IndexTensor) -> Tensor {
        let B = ids.shape[0]
        forwardTokens += ids.data.count
        let maskTensor: Tensor? = needsMask ? Tensor(shape: [B, maskRows[0].count], data: maskRows.flatMap { $0 }) : nil
        return withoutGradients {
            guard let exits, let early = model as? any EarlyExiting else {
                return Self.lastPosition([model.hiddenStates(ids, attentionMask: maskTensor, cache: cache).value])
            }
            let hs = early.earlyExitHiddenStates(ids, attentionMask: maskTensor, cache: cache, exits: exits.depths, finalNorm: exits.finalNorm)
            return Self.lastPosition(hs.map(\.value))
        }
    }

    /// Rows of the last position of each [B, T, C], stacked into one contiguous [k·B, C] (so that
    /// one LM-head product serves every exit).
    static func lastPosition(_ hs: [Tensor]) -> Tensor {
        let B = hs[0].shape[0], T = hs[0].shape[1], C = hs[0].shape[2]
        if hs.count == 1 && T == 1 { return hs[0].reshaped([B, C]) }
        let last = Tensor(uninitializedShape: [hs.count * B, C])
        for (i, h) in hs.enumerated() {
            for b in 0 ..< B {
                (last.unsafeMutablePointer + (i * B + b) * C).update(from: h.unsafePointer + (b * T + T - 1) * C, count: C)
            }
        }
        return last
    }
}
