// The examples a trainer iterates over.
import Datasets

/// Tokenized training or evaluation data.
public enum TrainingExamples: Sendable {
    /// Preference pairs (DPO family, reward models).
    case pairs([PreferenceExample])
    /// Single sequences (SFT).
    case sequences([SequenceExample])

    public var count: Int {
        switch self {
        case .pairs(let p): p.count
        case .sequences(let s): s.count
        }
    }

    /// The examples at `indices`.
    public func subset(_ indices: [Int]) -> TrainingExamples {
        switch self {
        case .pairs(let p): .pairs(indices.map { p[$0] })
        case .sequences(let s): .sequences(indices.map { s[$0] })
        }
    }

    /// Collates into one padded batch (pairs: chosen rows then rejected rows).
    public func collate(padID: Int) -> CollatedBatch {
        switch self {
        case .pairs(let p): Collator.collatePairs(p, padID: padID)
        case .sequences(let s): Collator.collate(s.map(\.sequence), padID: padID)
        }
    }
}
