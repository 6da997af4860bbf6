// The Levenshtein backtrace behind minimal-edit token labels: a minimum-cost alignment (checked
// against a brute-force recursion on every pair of short sequences over three symbols), a valid one
// (replaying it turns the source into the target), the documented tie rule on hand-worked examples,
// and a clear refusal of tables past the cell limit.
import Support
import Testing

@Suite struct LevenshteinAlignmentTests {
    /// The edit distance by the textbook recursion, memoised on (i, j).
    static func bruteDistance(_ a: [Int], _ b: [Int]) -> Int {
        var memo: [Int: Int] = [:]
        func go(_ i: Int, _ j: Int) -> Int {
            if i == a.count { return b.count - j }
            if j == b.count { return a.count - i }
            if let v = memo[i * 64 + j] { return v }
            let v = min(go(i + 1, j + 1) + (a[i] == b[j] ? 0 : 1), go(i + 1, j) + 1, go(i, j + 1) + 1)
            memo[i * 64 + j] = v
            return v
        }
        return go(0, 0)
    }

    /// Every sequence of length ≤ `n` over `alphabet` symbols.
    static func sequences(upTo n: Int, alphabet: Int) -> [[Int]] {
        var all: [[Int]] = [[]], frontier: [[Int]] = [[]]
        for _ in 0 ..< n {
            frontier = frontier.flatMap { s in (0 ..< alphabet).map { s + [$0] } }
            all += frontier
        }
        return all
    }

    @Test func minimumCostAndValidOnEveryShortPair() throws {
        let seqs = Self.sequences(upTo: 4, alphabet: 3)  // 121 sequences, 14 641 pairs
        for a in seqs {
            for b in seqs {
                let ops = try LevenshteinAlignment.align(a, b)
                #expect(LevenshteinAlignment.cost(ops) == Self.bruteDistance(a, b), "\(a) → \(b): \(ops)")
                // Replaying the operations consumes both sequences and rebuilds the target.
                var i = 0, j = 0, rebuilt: [Int] = []
                for op in ops {
                    switch op {
                    case .match: #expect(a[i] == b[j]); rebuilt.append(a[i]); i += 1; j += 1
                    case .substitute: #expect(a[i] != b[j]); rebuilt.append(b[j]); i += 1; j += 1
                    case .delete: i += 1
                    case .insert: rebuilt.append(b[j]); j += 1
                    }
                }
                #expect(i == a.count && j == b.count && rebuilt == b, "\(a) → \(b): \(ops)")
            }
        }
    }

    /// Hand-worked tables (D = distance of the suffixes, read from D[0][0]).
    @Test func tieRuleOnHandWorkedExamples() throws {
        // [1,2,3] → [1,3]: match 1; at (1,1) 2≠3, substitute would cost 1 + D(2,2) = 2 > D(1,1) = 1,
        // deleting 2 costs 1 + D(2,1) = 1: delete; then match 3.
        #expect(try LevenshteinAlignment.align([1, 2, 3], [1, 3]) == [.match, .delete, .match])
        // [5,6] → [7,8,6]: substitute-then-insert and insert-then-substitute both cost 2; substitute
        // comes first in the rule.
        #expect(try LevenshteinAlignment.align([5, 6], [7, 8, 6]) == [.substitute, .insert, .match])
        // [1,1] → [1]: deleting either 1 costs 1; the earliest match is kept.
        #expect(try LevenshteinAlignment.align([1, 1], [1]) == [.match, .delete])
        // A deletion ties with an insertion only when both lead to minimum paths; delete comes first:
        // [1,2] → [2,1] can be delete 1, match 2, insert 1 (cost 2) or insert 2, match 1, delete 2
        // (cost 2) or two substitutions (cost 2); substitute is tried before delete.
        #expect(try LevenshteinAlignment.align([1, 2], [2, 1]) == [.substitute, .substitute])
        #expect(try LevenshteinAlignment.align([Int](), [3, 4]) == [.insert, .insert])
        #expect(try LevenshteinAlignment.align([3, 4], [Int]()) == [.delete, .delete])
    }

    @Test func refusesTablesPastTheLimit() {
        let long = Array(0 ..< 5000)
        #expect(throws: AlignmentTooLarge.self) { try LevenshteinAlignment.align(long, long) }
        do {
            _ = try LevenshteinAlignment.align(long, long)
        } catch {
            #expect(error.description.contains("5000 × 5000") && error.description.contains("limit"), "\(error)")
        }
        // The same lengths under a raised limit are fine (and need only the diagonal).
        #expect((try? LevenshteinAlignment.align(Array(0 ..< 300), Array(0 ..< 300), cellLimit: 301 * 301)).map(LevenshteinAlignment.cost) == 0)
    }
}
