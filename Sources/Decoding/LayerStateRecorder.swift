// The per-layer states a decoding run computes anyway, kept for the hidden-state verifiers (ELHSR,
// arXiv 2505.12225; CLUE, arXiv 2510.01591), so scoring a sample needs no second pass of the policy
// over prompt ⊕ answer. A batched KV-cache decoder (`Generator.generate`, the searchers' shared-
// prefix decoding) hands its forward passes to the recorder when one is given:
//  - the prefill's last column is each row's start state: every layer at the prompt's last position
//    (the position that has read the whole prompt and no answer yet, CLUE's reference);
//  - step k's column is, for each row still active at step k − 1, the states at the position whose
//    input is generated token k − 1 (ELHSR's h_t of that token).
// A token's state exists only once the token is fed back, so the last token of a row that ended on
// its length or a stop string when the loop stopped was never fed: `finish` runs one more one-column
// step for those rows (B positions, counted in `extraPositions`; a row ended by a stop token needs
// none, since the stop token is not part of the answer). Each row's states go into one contiguous
// buffer reserved up front, token-major, layers concatenated within a token (t·L·C + l·C + c): the
// layout `HiddenStateFeatures` produces from a full pass.
import Autograd
import Models
import TensorCore

/// What decoding recorded for one row.
public struct LayerStateRecord: Sendable, Equatable {
    /// L·C: each layer's state at the prompt's last position.
    public var start: [Float]
    /// count × (L·C): the states at the positions fed generated tokens 0 ..< count, row-major.
    public var tokens: [Float]
    /// Generated tokens whose states were recorded.
    public var count: Int

    public init(start: [Float], tokens: [Float], count: Int) {
        self.start = start
        self.tokens = tokens
        self.count = count
    }
}

/// Collects per-layer states while a batch decodes; one recorder per decoding call, used by that
/// call's loop only.
public final class LayerStateRecorder {
    public let model: any LayerStateDecoding
    /// L·C, the numbers of one position.
    public let width: Int
    /// One record per row of the call, in row order.
    public private(set) var records: [LayerStateRecord] = []
    /// Forward passes and positions run only to read states (`finish`), beyond what sampling ran.
    public private(set) var extraForwardCalls = 0
    public private(set) var extraPositions = 0
    private let reserve: Int

    /// A recorder for one decoding call of `model` with up to `maxNewTokens` new tokens per row;
    /// nil when the model cannot hand out its layer states while decoding (it does not expose them,
    /// or it recomputes its cache midway, as Phi-3's LongRoPE does).
    public init?(model: any LanguageModel, maxNewTokens: Int) {
        guard let m = model as? any LayerStateDecoding, model.cacheRecomputeWidth == nil else { return nil }
        self.model = m
        width = m.layerCount * m.hiddenSize
        reserve = max(0, maxNewTokens) * width
    }

    /// One cached forward of the decoding loop; returns the final hidden states [rows, T, C].
    /// Step 0 (the prefill, any T) records each row's start state; a later step (T = 1) appends the
    /// column to every row whose generated count is `step` (it was fed its token `step − 1`).
    public func forward(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache, step: Int, generated: [[Int]]) -> Tensor {
        let a = withoutGradients { model.layerActivations(ids, attentionMask: attentionMask, cache: cache) }
        if step == 0 {
            records = (0 ..< ids.shape[0]).map { r in
                var start = [Float](repeating: 0, count: width)
                start.withUnsafeMutableBufferPointer { copyLastColumn(a.layers, row: r, into: $0.baseAddress!) }
                var tokens: [Float] = []
                tokens.reserveCapacity(reserve)
                return LayerStateRecord(start: start, tokens: tokens, count: 0)
            }
        } else {
            append(a.layers, rows: generated.indices.filter { generated[$0].count == step && records[$0].count == step - 1 })
        }
        return a.final.value
    }

    /// Row b takes row `source[b]`'s record (samples that share a context's prefill).
    public func selectRows(_ source: [Int]) {
        records = source.map { s in
            var r = records[s]
            r.tokens.reserveCapacity(reserve)
            return r
        }
    }

    /// After the loop: one more one-column step for the rows whose last generated token was never
    /// fed (its state is part of the answer): rows not ended by a stop token with a token unrecorded.
    /// `maskRows` are the rows' attention masks so far (nil when the batch needs none).
    public func finish(generated: [[Int]], finished: [FinishReason?], maskRows: [[Float]]?, padTokenID: Int, cache: KVCache) {
        let rows = generated.indices.filter { finished[$0] != .stopToken && records[$0].count < generated[$0].count }
        guard !rows.isEmpty else { return }
        let B = generated.count
        let ids = IndexTensor(shape: [B, 1], data: generated.map { Int32(truncatingIfNeeded: $0.last ?? padTokenID) })
        let mask = maskRows.map { m in Tensor(shape: [B, m[0].count + 1], data: m.flatMap { $0 + [1] }) }
        let a = withoutGradients { model.layerActivations(ids, attentionMask: mask, cache: cache) }
        append(a.layers, rows: rows.filter { records[$0].count == generated[$0].count - 1 })
        extraForwardCalls += 1
        extraPositions += B
    }

    /// Appends the last column of `layers` to each of `rows` (into the room reserved up front).
    private func append(_ layers: [Variable], rows: [Int]) {
        for b in rows {
            for h in layers {
                let t = h.value, T = t.shape[1], C = t.shape[2]
                records[b].tokens.append(contentsOf: UnsafeBufferPointer(start: t.unsafePointer + (b * T + T - 1) * C, count: C))
            }
            records[b].count += 1
        }
    }

    /// Layer l's state at row `row`'s last position into out[l·C ..< (l + 1)·C].
    private func copyLastColumn(_ layers: [Variable], row: Int, into out: UnsafeMutablePointer<Float>) {
        for (l, h) in layers.enumerated() {
            let t = h.value, T = t.shape[1], C = t.shape[2]
            (out + l * C).update(from: t.unsafePointer + (row * T + T - 1) * C, count: C)
        }
    }
}
