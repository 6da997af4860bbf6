// One model run incrementally beside the decoder with a KV cache of its own: the prompts are
// prefilled once (left-padded, masked, positions counted as the decoder counts them), then every
// step feeds one token per row. Guides use it so that no step recomputes the prefix.
import Autograd
import Models
import TensorCore

final class CachedStepper {
    let model: any LanguageModel
    /// Stop after this many decoder layers (layer-contrastive decoding); nil runs them all.
    let exitLayers: Int?
    private(set) var cache: KVCache?
    /// Attention mask rows [rows][positions]; grows by one column per fed token.
    private var maskRows: [[Float]] = []
    private var needsMask = false
    private(set) var forwardTokens = 0

    init(model: any LanguageModel, exitLayers: Int? = nil) {
        precondition(exitLayers == nil || model is any EarlyExiting, "early exit needs an EarlyExiting model")
        self.model = model
        self.exitLayers = exitLayers
    }

    /// Prefills `prompts` (left-padded to the longest) and returns the last position's hidden
    /// states [B, C].
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

    /// Feeds one token per row; returns the new position's hidden states [rows, C].
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
            let h: Tensor
            if let n = exitLayers, let early = model as? any EarlyExiting {
                h = early.earlyExitHiddenStates(ids, attentionMask: maskTensor, cache: cache, layers: n).value
            } else {
                h = model.hiddenStates(ids, attentionMask: maskTensor, cache: cache).value
            }
            return Self.lastPosition(h)
        }
    }

    /// Rows of the last position of [B, T, C].
    static func lastPosition(_ h: Tensor) -> Tensor {
        let B = h.shape[0], T = h.shape[1], C = h.shape[2]
        if T == 1 { return h.reshaped([B, C]) }
        let last = Tensor(uninitializedShape: [B, C])
        for b in 0 ..< B {
            (last.unsafeMutablePointer + b * C).update(from: h.unsafePointer + (b * T + T - 1) * C, count: C)
        }
        return last
    }
}
