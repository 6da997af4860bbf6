// A minimum-edit (Levenshtein) alignment of two sequences with its backtrace: the operations that
// turn `source` into `target` with unit costs for deleting, inserting and substituting one element.
// Minimal-edit token labels (arXiv 2406.02756) read it over token ids, CreditBench's verifiers over
// Unicode scalars.
//
// The table D[i][j] is the distance between the suffixes source[i...] and target[j...], filled from
// the end in one contiguous (n+1)·(m+1) buffer of Int32 — O(n·m) time and memory, no row arrays —
// and read forward from D[0][0]. Tie rule: at each step the first of match, substitute, delete
// (a source element), insert (a target element) that stays on a minimum-cost path is taken. Because
// the backtrace walks from the start, a match is taken as early as it can be, so the first
// non-match is where the two sequences first differ, and a substitution is preferred to a
// delete + insert pair of the same cost (which would cost 2 anyway).

/// One step of an alignment.
public enum EditOperation: Equatable, Sendable {
    /// `source[i] == target[j]`: both advance.
    case match
    /// `source[i]` is replaced by `target[j]`: both advance.
    case substitute
    /// `source[i]` is not in the target: the source advances.
    case delete
    /// `target[j]` is not in the source: the target advances.
    case insert
}

/// A table too large to build.
public struct AlignmentTooLarge: Error, CustomStringConvertible, Sendable {
    public var sourceCount: Int
    public var targetCount: Int
    public var limit: Int
    public var description: String {
        "a Levenshtein alignment of \(sourceCount) × \(targetCount) elements needs \((sourceCount + 1) * (targetCount + 1)) table cells, "
            + "more than the limit of \(limit) (sequences this long are not minimal edits of each other's text)"
    }
}

public enum LevenshteinAlignment {
    /// The most table cells an alignment may use: 16 M cells of 4 bytes, 64 MiB (two 4 000-token
    /// responses).
    public static let defaultCellLimit = 1 << 24

    /// The alignment of `source` to `target` as operations in sequence order (see the tie rule above).
    /// - Throws: `AlignmentTooLarge` when (n+1)·(m+1) exceeds `cellLimit`.
    public static func align<T: Equatable>(_ source: [T], _ target: [T], cellLimit: Int = defaultCellLimit) throws(AlignmentTooLarge) -> [EditOperation] {
        let n = source.count, m = target.count
        let (cells, overflow) = (n + 1).multipliedReportingOverflow(by: m + 1)
        guard !overflow, cells <= cellLimit else { throw AlignmentTooLarge(sourceCount: n, targetCount: m, limit: cellLimit) }
        let w = m + 1
        var d = [Int32](repeating: 0, count: cells)
        var ops: [EditOperation] = []
        ops.reserveCapacity(max(n, m))
        d.withUnsafeMutableBufferPointer { t in
            // Last row and column: only deletions or only insertions remain.
            for j in 0 ... m { t[n * w + j] = Int32(m - j) }
            if n > 0 {
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let row = i * w, below = row + w
                    t[row + m] = Int32(n - i)
                    if m > 0 {
                        for j in stride(from: m - 1, through: 0, by: -1) {
                            let diagonal = t[below + j + 1] + (source[i] == target[j] ? 0 : 1)
                            t[row + j] = min(diagonal, t[below + j] + 1, t[row + j + 1] + 1)
                        }
                    }
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                let here = t[i * w + j]
                if i < n, j < m, source[i] == target[j], here == t[(i + 1) * w + j + 1] {
                    ops.append(.match); i += 1; j += 1
                } else if i < n, j < m, here == t[(i + 1) * w + j + 1] + 1 {
                    ops.append(.substitute); i += 1; j += 1
                } else if i < n, here == t[(i + 1) * w + j] + 1 {
                    ops.append(.delete); i += 1
                } else {
                    ops.append(.insert); j += 1
                }
            }
        }
        return ops
    }

    /// The number of non-match operations of an alignment (its Levenshtein distance when the
    /// alignment is a minimum one).
    public static func cost(_ ops: [EditOperation]) -> Int {
        var c = 0
        for op in ops where op != .match { c += 1 }
        return c
    }
}
