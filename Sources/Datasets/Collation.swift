// Padded batches in the `TokenBatch` convention (docs/design/objectives.md §0.2): inputs [B, L] right-padded,
// and per-token arrays [B, L−1] aligned to the *predicted* token: entry t describes ids[t+1].
// Preference batches use TRL's layout: all chosen rows, then all rejected rows
// (`huggingface/trl:trl/trainer/dpo_trainer.py` `DataCollatorForPreference`).
//
// Legend: B rows, L input length, T = L − 1 predicted positions.

/// A padded batch as flat row-major arrays (the Training target turns them into tensors).
public struct CollatedBatch: Sendable, Equatable {
    /// B.
    public var rows: Int
    /// L (≥ 2).
    public var inputLength: Int
    /// [B, L] token ids, padding = the pad id.
    public var inputIDs: [Int]
    /// [B, L] 1 for tokens, 0 for padding.
    public var attentionMask: [Float]
    /// [B, T] the predicted token ids[t+1] (pad id where padded).
    public var labels: [Int]
    /// [B, T] 1 where the predicted token is trained.
    public var lossMask: [Float]
    /// [B, T] token rewards of the predicted tokens, when every row has them.
    public var tokenRewards: [Float]?
    /// [B, T] token labels of the predicted tokens, when any row has them (0 for rows without).
    public var tokenLabels: [Float]?
    /// Real (unpadded) length of each row.
    public var lengths: [Int]
    /// [P] each pair's Bradley–Terry margin, when any pair of the batch has one (0 for the others).
    public var pairMargins: [Float]? = nil
    /// [P] 1 for a tie pair, when any pair of the batch is one (0 for the others).
    public var pairTies: [Float]? = nil

    /// T.
    public var predictedLength: Int { inputLength - 1 }
}

public enum Collator {
    /// Right-pads sequences into one batch.
    /// - Parameter padToMultipleOf: round L up (TRL `pad_to_multiple_of`).
    public static func collate(_ sequences: [TokenizedSequence], padID: Int, padToMultipleOf: Int? = nil) -> CollatedBatch {
        precondition(!sequences.isEmpty, "Collator: empty batch")
        var L = max(2, sequences.map(\.ids.count).max() ?? 2)
        if let m = padToMultipleOf, m > 1 { L = (L + m - 1) / m * m }
        let B = sequences.count, T = L - 1
        var ids = Array(repeating: padID, count: B * L)
        var attention = Array(repeating: Float(0), count: B * L)
        var labels = Array(repeating: padID, count: B * T)
        var mask = Array(repeating: Float(0), count: B * T)
        let allRewards = sequences.allSatisfy { $0.tokenRewards != nil }
        let anyLabels = sequences.contains { $0.tokenLabels != nil }
        var rewards = allRewards ? Array(repeating: Float(0), count: B * T) : nil
        var tokenLabels = anyLabels ? Array(repeating: Float(0), count: B * T) : nil
        for (b, s) in sequences.enumerated() {
            let n = s.ids.count
            for j in 0 ..< n {
                ids[b * L + j] = s.ids[j]
                attention[b * L + j] = 1
            }
            for t in 0 ..< max(0, n - 1) {
                labels[b * T + t] = s.ids[t + 1]
                mask[b * T + t] = s.trainMask[t + 1] ? 1 : 0
                // Rewards are kept only when every row has them; labels when any row has them.
                if rewards != nil, let r = s.tokenRewards { rewards?[b * T + t] = r[t + 1] }
                if let l = s.tokenLabels { tokenLabels?[b * T + t] = l[t + 1] }
            }
        }
        return CollatedBatch(rows: B, inputLength: L, inputIDs: ids, attentionMask: attention, labels: labels, lossMask: mask,
                             tokenRewards: rewards, tokenLabels: tokenLabels, lengths: sequences.map(\.ids.count))
    }

    /// Chosen rows then rejected rows, padded to one length.
    public static func collatePairs(_ pairs: [PreferenceExample], padID: Int, padToMultipleOf: Int? = nil) -> CollatedBatch {
        var batch = collate(pairs.map(\.chosen) + pairs.map(\.rejected), padID: padID, padToMultipleOf: padToMultipleOf)
        if pairs.contains(where: { $0.margin != nil }) { batch.pairMargins = pairs.map { $0.margin ?? 0 } }
        if pairs.contains(where: \.tie) { batch.pairTies = pairs.map { $0.tie ? 1 : 0 } }
        return batch
    }
}
