// RRM's filter step (Liu et al., arXiv 2409.13156; docs/design/rewards.md §6.1): of the pairs the
// augmentation adds, keep those the reward model trained on the original data still gets wrong,
// so the augmented training spends its steps on the shortcuts the model has learned rather than
// on pairs it already ranks right. The original rows are always kept.
import Datasets
import Foundation

public enum RRMFilter {
    /// How far the model's probability must be from an added pair's target for the pair to be kept.
    public static let defaultThreshold = 0.2

    public struct Result {
        /// The kept rows, in input order.
        public var rows: [[String: Any]]
        /// Kept and dropped rows by `rrm_augmentation` kind.
        public var kept: [String: Int]
        public var dropped: [String: Int]
    }

    /// The target probability P(chosen ≻ rejected) of an augmented row: ½ for a tie, 1 otherwise.
    static func target(_ row: [String: Any]) -> Double { (row["tie"] as? Bool) == true ? 0.5 : 1 }

    /// Keeps every row whose `rrm_augmentation` is "original" (or absent), and each added row
    /// (non-contextual or neutral) for which |target − σ(r(x, chosen) − r(x, rejected))| ≥ `threshold`
    /// under `scorer`.
    /// - Parameters:
    ///   - source: the file name errors name; row n of `rows` is its line n + 1.
    /// - Throws: `DatasetError` naming the line and field of an added row whose prompt or responses
    ///   are not plain strings (a message-list file is scored by a chat reward model, not here).
    public static func filter(_ rows: [[String: Any]], scorer: any ResponseScorer, threshold: Double, source: String) throws -> Result {
        var added: [Int] = [], items: [(prompt: String, response: String)] = []
        for (i, row) in rows.enumerated() {
            guard let kind = row[RRMAugmentation.column] as? String, kind != "original" else { continue }
            var text: [String] = []
            for field in ["prompt", "chosen", "rejected"] {
                guard let s = row[field] as? String else {
                    throw DatasetError.wrongType(RowLocation(file: source, line: i + 1), field: field,
                                                 expected: "a plain string (the RRM filter scores text with the reward model)")
                }
                text.append(s)
            }
            added.append(i)
            items += [(text[0], text[1]), (text[0], text[2])]
        }
        let scores = try scorer.scores(items) { RowLocation(file: source, line: added[$0 / 2] + 1) }
        var keep = [Bool](repeating: true, count: rows.count)
        for (k, i) in added.enumerated() {
            let p = 1 / (1 + exp(-(scores[2 * k] - scores[2 * k + 1])))
            keep[i] = abs(target(rows[i]) - p) >= threshold
        }
        var result = Result(rows: [], kept: [:], dropped: [:])
        for (i, row) in rows.enumerated() {
            let kind = row[RRMAugmentation.column] as? String ?? "original"
            if keep[i] {
                result.rows.append(row)
                result.kept[kind, default: 0] += 1
            } else {
                result.dropped[kind, default: 0] += 1
            }
        }
        return result
    }
}
