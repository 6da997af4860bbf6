// RRM's causal data augmentation (Liu et al., "RRM: Robust Reward Model Training Mitigates Reward
// Hacking", arXiv 2409.13156), `tokenalign data rrm-augment`. A preference depends on the prompt
// (contextual quality) and on prompt-free artifacts (length, format); ordinary pairs answer the same
// prompt, so a reward model may rank them by the artifacts alone. Pairing each row with responses
// written for *other* prompts breaks that shortcut:
//
// - non-contextual pairs: for row i and two partner rows j, k with other prompts, either response
//   of row i beats either response of j or k under prompt x_i (2 × 4 = 8 candidates): whatever
//   their artifacts, an answer to the question beats an answer to another question;
// - neutral pairs: two responses of the partners under x_i (the 6 pairs of {c_j, r_j, c_k, r_k})
//   are ties: neither answers x_i, so neither should win.
//
// The paper trains a pairwise preference model with a tie label (target ½). The neutral pairs carry
// "tie": true; `tokenalign reward` trains them with the Bradley–Terry tie term (`bradleyTerryLoss`),
// so `--ties` adds them to the training file, and `--ties-out` writes them apart
// (docs/design/rewards.md §6.1).
import Foundation
import Support

public enum RRMAugmentation {
    /// The column that marks every output row: "original", "non-contextual" or "neutral".
    public static let column = "rrm_augmentation"
    /// The line (in the input) of the row whose response is the foreign side of an added pair.
    public static let partnerColumn = "rrm_partner_line"
    /// Non-contextual pairs per row when not given: half of the 8 candidates.
    public static let defaultPerRow = 4

    public struct Result {
        /// The original rows (every column kept) then the non-contextual pairs, in input order.
        public var rows: [[String: Any]]
        /// The neutral (tie) pairs, "tie": true (empty unless asked for).
        public var ties: [[String: Any]]
        /// Rows by kind ("original", "non-contextual", "neutral").
        public var counts: [String: Int]
    }

    /// Augments `rows` (each with "prompt", "chosen" and "rejected"; strings or message lists).
    /// - Parameters:
    ///   - perRow: non-contextual pairs added per row, drawn without replacement from its 8
    ///     candidates (1…8); the same number of neutral pairs (at most 6) when `ties` is true.
    ///   - seed: the partners and the draws are a pure function of (rows, seed).
    /// - Throws: `DatasetError` naming the line and field of a row without a prompt, chosen or
    ///   rejected response; `RRMAugmentationError` for a bad `perRow` or when fewer than two rows have another prompt.
    public static func augment(_ rows: [JSONLRow], seed: UInt64, perRow: Int = defaultPerRow, ties: Bool = false) throws -> Result {
        guard (1 ... 8).contains(perRow) else { throw RRMAugmentationError("--per-row must be in 1…8 (a row has 8 non-contextual candidates), got \(perRow)") }
        // The prompt of every row as canonical JSON: prompts are compared by value.
        var keys: [String] = []
        for r in rows {
            for field in ["prompt", "chosen", "rejected"] where r.object[field] == nil || r.object[field] is NSNull {
                throw DatasetError.missingField(r.location, field: field)
            }
            keys.append(try canonical(r.object["prompt"]!))
        }
        var g = SplitMix64(seed: seed ^ 0x5252_4D41_5547_4D54)
        var original: [[String: Any]] = [], added: [[String: Any]] = [], neutral: [[String: Any]] = []
        for (i, row) in rows.enumerated() {
            var o = row.object
            o[column] = "original"
            original.append(o)
            let (j, k) = try partners(of: i, keys: keys, rows: rows, generator: &g)
            let own = [row.object["chosen"]!, row.object["rejected"]!]
            let foreign: [(value: Any, line: Int)] = [(rows[j].object["chosen"]!, rows[j].location.line), (rows[k].object["chosen"]!, rows[k].location.line),
                                                      (rows[j].object["rejected"]!, rows[j].location.line), (rows[k].object["rejected"]!, rows[k].location.line)]
            // The 8 non-contextual candidates, then a seeded draw of perRow of them. A candidate
            // whose two sides are the same text (a response shared between prompts) has no
            // preference to learn and is left out.
            let ownText = try own.map(canonical), foreignText = try foreign.map { try canonical($0.value) }
            var candidates: [(chosen: Any, rejected: Any, line: Int)] = []
            for (a, at) in zip(own, ownText) {
                for (f, ft) in zip(foreign, foreignText) where at != ft { candidates.append((a, f.value, f.line)) }
            }
            for c in draw(perRow, from: candidates.count, generator: &g).map({ candidates[$0] }) {
                added.append(["prompt": row.object["prompt"]!, "chosen": c.chosen, "rejected": c.rejected,
                              column: "non-contextual", partnerColumn: c.line])
            }
            guard ties else { continue }
            var tieCandidates: [(Any, Any)] = []
            for a in 0 ..< 4 {
                for b in a + 1 ..< 4 where foreignText[a] != foreignText[b] {
                    tieCandidates.append((foreign[a].value, foreign[b].value))
                }
            }
            for t in draw(min(perRow, 6), from: tieCandidates.count, generator: &g).map({ tieCandidates[$0] }) {
                neutral.append(["prompt": row.object["prompt"]!, "chosen": t.0, "rejected": t.1, "tie": true, column: "neutral"])
            }
        }
        return Result(rows: original + added, ties: neutral,
                      counts: ["original": original.count, "non-contextual": added.count, "neutral": neutral.count])
    }

    /// Two distinct rows whose prompt differs from row i's: rejection sampling, then (when the
    /// other prompts are rare) the seeded choice among all of them.
    static func partners(of i: Int, keys: [String], rows: [JSONLRow], generator g: inout SplitMix64) throws -> (Int, Int) {
        let n = keys.count
        var picked: [Int] = []
        for _ in 0 ..< 64 where picked.count < 2 {
            let j = Int(g.next() % UInt64(n))
            if keys[j] != keys[i] && !picked.contains(j) { picked.append(j) }
        }
        if picked.count < 2 {
            let others = (0 ..< n).filter { keys[$0] != keys[i] && !picked.contains($0) }
            guard others.count + picked.count >= 2 else {
                throw RRMAugmentationError("\(rows[i].location): RRM pairs each row with responses to two other prompts, but only \(others.count + picked.count) row(s) have a prompt different from this one")
            }
            for p in draw(2 - picked.count, from: others.count, generator: &g) { picked.append(others[p]) }
        }
        return (picked[0], picked[1])
    }

    /// `k` distinct indices of 0..<n (all of them when k ≥ n), by a partial Fisher–Yates shuffle
    /// with our own bounded draws, in draw order.
    static func draw(_ k: Int, from n: Int, generator g: inout SplitMix64) -> [Int] {
        var p = Array(0 ..< n)
        let m = min(k, n)
        for a in 0 ..< m {
            let b = a + Int(g.next() % UInt64(n - a))
            p.swapAt(a, b)
        }
        return Array(p[..<m])
    }

    /// A JSON value as canonical text (sorted keys), for comparing prompts and responses by value.
    static func canonical(_ value: Any) throws -> String {
        if let s = value as? String { return "s:" + s }
        return try JSONValue(foundation: [value]).written(.line)
    }
}

/// An augmentation that cannot be made (bad `--per-row`, too few distinct prompts).
public struct RRMAugmentationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
