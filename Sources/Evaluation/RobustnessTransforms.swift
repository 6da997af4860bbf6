// Paraphrase-free input transformations in the style of reWordBench (Wu et al., arXiv 2503.11751):
// edits that keep what a response says and which response is better, so a reward model's ranking
// should not change. Each is applied to both responses of a pair (`answer-order` instead changes
// where the pair sits in the scoring batch: the rejected response goes first). The accuracy under a
// transformation is compared with the accuracy on the same pairs untransformed (`PairedDrop`).

import Foundation

public enum RobustnessTransform: String, CaseIterable, Sendable, Codable {
    /// Every space doubled.
    case whitespace
    /// The response in upper case.
    case casing
    /// A space before each , . ; : ! ? (the marks stay, their spacing changes).
    case punctuation
    /// The response prefixed "Answer: " (a change of answer format).
    case format
    /// Rejected scored before chosen (position in the batch; a scalar RM should not care).
    case answerOrder = "answer-order"

    /// The transformed response text (the identity for `answerOrder`).
    public func apply(_ text: String) -> String {
        switch self {
        case .whitespace:
            return text.replacingOccurrences(of: " ", with: "  ")
        case .casing:
            return text.uppercased()
        case .punctuation:
            var out = ""
            out.reserveCapacity(text.count + 8)
            for ch in text {
                if ",.;:!?".contains(ch) { out.append(" ") }
                out.append(ch)
            }
            return out
        case .format:
            return "Answer: " + text
        case .answerOrder:
            return text
        }
    }
}

/// Accuracy on pairs before and after a change, paired by pair.
public struct PairedDrop: Sendable, Equatable, Codable {
    public var original: Double
    public var transformed: Double
    /// original − transformed (positive: the change hurt).
    public var drop: Double
    /// Pairs right before and wrong after, and the reverse.
    public var lost: Int
    public var gained: Int
    public var pairs: Int

    public init(original: [Bool], transformed: [Bool]) {
        precondition(original.count == transformed.count, "PairedDrop: \(original.count) vs \(transformed.count) pairs")
        let n = Double(max(original.count, 1))
        self.original = Double(original.filter { $0 }.count) / n
        self.transformed = Double(transformed.filter { $0 }.count) / n
        drop = self.original - self.transformed
        lost = zip(original, transformed).filter { $0 && !$1 }.count
        gained = zip(original, transformed).filter { !$0 && $1 }.count
        pairs = original.count
    }
}
