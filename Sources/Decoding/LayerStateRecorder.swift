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
// Only each row's last column of a pass is ever read, so the forward streams its layers
// (`hiddenStates(…, visitingLayers:)`) and the recorder copies that column out as each layer runs:
// a prefill of B rows × T positions keeps B·L·C floats for the recorder, not every layer's B·T·C
// until the pass ends. The last column is each row's last prompt position because the cached
// decoders left-pad their prompts (`Generator.generate`, `SharedPrefixDecoding`).
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
    /// The latest pass's last column of every layer, per row (r·L·C + l·C + c): all a pass gives.
    private var columns: [Float] = []

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
        let final = lastColumns(ids, attentionMask: attentionMask, cache: cache)
        if step == 0 {
            records = (0 ..< ids.shape[0]).map { r in
                var tokens: [Float] = []
                tokens.reserveCapacity(reserve)
                return LayerStateRecord(start: Array(columns[r * width ..< (r + 1) * width]), tokens: tokens, count: 0)
            }
        } else {
            append(rows: generated.indices.filter { generated[$0].count == step && records[$0].count == step - 1 })
        }
        return final
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
        _ = lastColumns(ids, attentionMask: mask, cache: cache)
        append(rows: rows.filter { records[$0].count == generated[$0].count - 1 })
        extraForwardCalls += 1
        extraPositions += B
    }

    /// One cached forward that copies each layer's last column into `columns` as the layer runs
    /// (the layer's [B, T, C] is dropped after it); returns the final hidden states [B, T, C].
    private func lastColumns(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache) -> Tensor {
        let B = ids.shape[0], width = width
        if columns.count != B * width { columns = [Float](repeating: 0, count: B * width) }
        return columns.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            return withoutGradients {
                model.hiddenStates(ids, attentionMask: attentionMask, cache: cache) { l, h in
                    let T = h.shape[1], C = h.shape[2]
                    for r in 0 ..< B { (base + r * width + l * C).update(from: h.unsafePointer + (r * T + T - 1) * C, count: C) }
                }
            }.value
        }
    }

    /// Appends the latest pass's columns of each of `rows` (into the room reserved up front).
    private func append(rows: [Int]) {
        for b in rows {
            records[b].tokens.append(contentsOf: columns[b * width ..< (b + 1) * width])
            records[b].count += 1
        }
    }
}
