// The examples a trainer iterates over.
import Datasets

/// Tokenized training or evaluation data.
public enum TrainingExamples: Sendable {
    /// Preference pairs (DPO family, reward models).
    case pairs([PreferenceExample])
    /// Single sequences (SFT).
    case sequences([SequenceExample])
    /// Unpaired preference rows (KTO).
    case unpaired([UnpairedExample])

    public var count: Int {
        switch self {
        case .pairs(let p): p.count
        case .sequences(let s): s.count
        case .unpaired(let u): u.count
        }
    }

    /// The examples at `indices`.
    public func subset(_ indices: [Int]) -> TrainingExamples {
        switch self {
        case .pairs(let p): .pairs(indices.map { p[$0] })
        case .sequences(let s): .sequences(indices.map { s[$0] })
        case .unpaired(let u): .unpaired(indices.map { u[$0] })
        }
    }

    /// Where the rows at `indices` came from (file:line).
    public func locations(_ indices: [Int]) -> [RowLocation] {
        switch self {
        case .pairs(let p): indices.map { p[$0].location }
        case .sequences(let s): indices.map { s[$0].location }
        case .unpaired(let u): indices.map { u[$0].location }
        }
    }

    /// Collates into one padded batch (pairs: chosen rows then rejected rows).
    public func collate(padID: Int) -> CollatedBatch {
        switch self {
        case .pairs(let p): Collator.collatePairs(p, padID: padID)
        case .sequences(let s): Collator.collate(s.map(\.sequence), padID: padID)
        case .unpaired(let u): Collator.collate(u.map(\.sequence), padID: padID)
        }
    }

    /// KTO's KL batch (TRL `kto_trainer.py` `add_kl_completion_ids`: completions cycled by one
    /// within the batch, `[c[-1]] + c[:-1]`): row i is prompt i followed by completion i−1 (mod B),
    /// joined at the token level.
    public func mismatchedCollate(padID: Int) -> CollatedBatch? {
        guard case .unpaired(let u) = self, !u.isEmpty else { return nil }
        let seqs = u.indices.map { i -> TokenizedSequence in
            let p = u[i].sequence, c = u[(i + u.count - 1) % u.count].sequence
            let prompt = Array(p.ids[..<p.promptLength]), completion = Array(c.ids[c.promptLength...])
            return TokenizedSequence(ids: prompt + completion,
                                     trainMask: Array(repeating: false, count: prompt.count) + Array(repeating: true, count: completion.count),
                                     promptLength: prompt.count)
        }
        return Collator.collate(seqs, padID: padID)
    }

    /// The desirable flags of unpaired rows.
    public var desirable: [Bool] {
        if case .unpaired(let u) = self { return u.map(\.label) }
        return []
    }
}
