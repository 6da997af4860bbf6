// The rows a CLoud reward model trains on (arXiv 2408.11791; docs/design/rewards.md §11):
// preference pairs whose two responses each carry an oracle critique, as `tokenalign data critiques`
// writes them. Stage 1 fine-tunes the model to write the critiques; stage 2 regenerates them and
// fits the reward head on the pairs, so both stages read the same file.
import Foundation

/// One pair with its oracle critiques.
public struct CritiquePair: Sendable, Equatable {
    public var location: RowLocation
    public var prompt: String
    public var chosen: String
    public var rejected: String
    public var chosenCritique: String
    public var rejectedCritique: String
    /// Bradley–Terry margin (the `margin` column), when given.
    public var margin: Float?
}

public enum CritiquePairs {
    /// The columns besides prompt / chosen / rejected.
    public static let chosenColumn = "chosen_critique"
    public static let rejectedColumn = "rejected_critique"

    /// Every row of `path`.
    /// - Throws: `DatasetError.missingField` / `.wrongType` naming the line and the column (a row
    ///   without a critique cannot train a CLoud model), `.empty` for a file without rows.
    public static func read(_ path: String) throws -> [CritiquePair] {
        let rows = try JSONLReader.read(path)
        guard !rows.isEmpty else { throw DatasetError.empty(file: path) }
        return try rows.map(parse)
    }

    /// One JSONL object as a pair.
    public static func parse(_ row: JSONLRow) throws -> CritiquePair {
        func text(_ key: String) throws -> String {
            guard let v = row.object[key], !(v is NSNull) else { throw DatasetError.missingField(row.location, field: key) }
            guard let s = v as? String else { throw DatasetError.wrongType(row.location, field: key, expected: "a string") }
            return s
        }
        var margin: Float?
        if let m = row.object["margin"], !(m is NSNull) {
            guard let n = m as? NSNumber, n.doubleValue.isFinite else {
                throw DatasetError.wrongType(row.location, field: "margin", expected: "a finite number")
            }
            margin = n.floatValue
        }
        return CritiquePair(location: row.location, prompt: try text("prompt"), chosen: try text("chosen"), rejected: try text("rejected"),
                            chosenCritique: try text(chosenColumn), rejectedCritique: try text(rejectedColumn), margin: margin)
    }
}
