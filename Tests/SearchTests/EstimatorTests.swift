// The unbiased best-of-n estimator against a hand-computed example and brute-force enumeration of
// every n-subset of the pool (ties included), and its input checks.
import Search
import Testing

@Suite struct EstimatorTests {
    /// E over all n-subsets of the gold score of the subset's proxy-best (ties: the earliest sample).
    func bruteForce(_ proxy: [Double], _ gold: [Double], n: Int) -> Double {
        var total = 0.0, count = 0
        func visit(_ start: Int, _ chosen: [Int]) {
            if chosen.count == n {
                var best = chosen[0]
                for i in chosen where proxy[i] > proxy[best] { best = i }
                total += gold[best]
                count += 1
                return
            }
            guard start < proxy.count else { return }
            for i in start ..< proxy.count { visit(i + 1, chosen + [i]) }
        }
        visit(0, [])
        return total / Double(count)
    }

    @Test func handComputedExample() throws {
        // Pool of 3, n = 2: subsets {0,1} → 1 (gold 0), {0,2} → 2 (gold 1), {1,2} → 1 (gold 0): 1/3.
        let e = try BestOfNEstimator.expected(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 1], n: 2)
        #expect(abs(e - 1.0 / 3) < 1e-12)
        // n = 1 is the pool mean; n = N is the gold of the proxy-best.
        #expect(abs(try BestOfNEstimator.expected(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 1], n: 1) - 2.0 / 3) < 1e-12)
        #expect(try BestOfNEstimator.expected(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 1], n: 3) == 0)
    }

    @Test func matchesBruteForceOverEverySubset() throws {
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 33) / Double(1 << 31)
        }
        for trial in 0 ..< 12 {
            let N = 3 + trial % 7
            // Coarse proxies so that ties occur; gold partly 0/1, partly continuous.
            let proxy = (0 ..< N).map { _ in (next() * 4).rounded(.down) }
            let gold = (0 ..< N).map { _ in trial % 2 == 0 ? (next() < 0.5 ? 0 : 1) : next() }
            for n in 1 ... N {
                let e = try BestOfNEstimator.expected(proxy: proxy, gold: gold, n: n)
                let b = bruteForce(proxy, gold, n: n)
                #expect(abs(e - b) < 1e-9, "N \(N) n \(n): \(e) vs brute force \(b)")
            }
        }
    }

    @Test func poolSmallerThanNIsAClearError() {
        #expect(throws: SearchError.self) { try BestOfNEstimator.expected(proxy: [1, 2], gold: [0, 1], n: 3) }
        do {
            _ = try BestOfNEstimator.expected(proxy: [1, 2], gold: [0, 1], n: 3)
        } catch {
            #expect("\(error)".contains("N = 2") && "\(error)".contains("n = 3"))
        }
        #expect(throws: SearchError.self) { try BestOfNEstimator.expected(proxy: [1, 2], gold: [0], n: 1) }
    }

    @Test func klOfBestOfN() {
        #expect(BestOfNEstimator.klBestOfN(1) == 0)
        #expect(abs(BestOfNEstimator.klBestOfN(4) - (1.3862943611198906 - 0.75)) < 1e-12)
    }
}

@Suite struct ValueTargetTests {
    @Test func handComputedTrieTargets() {
        // Paths 1-2-3 (correct), 1-2-4 (wrong), 1-5 (correct), 6 (wrong):
        // prefix [1] is shared by three paths, two correct: 2/3; [1,2] by two, one correct: 1/2.
        let v = ValueTargets.targets(paths: [[1, 2, 3], [1, 2, 4], [1, 5], [6]], correct: [true, false, true, false])
        let twoThirds: Float = 2.0 / 3
        let expected: [[Float]] = [[twoThirds, 0.5, 1], [twoThirds, 0.5, 0], [twoThirds, 1], [0]]
        #expect(v == expected)
    }

    @Test func identicalPathsShareTheirOutcomeRate() {
        let v = ValueTargets.targets(paths: [[7, 8], [7, 8], [7, 8], [7]], correct: [true, false, true, true])
        let first: [Float] = [0.75, 2.0 / 3]
        #expect(v[0] == first)
        #expect(v[1] == v[0])
        #expect(v[3] == [0.75])
        #expect(ValueTargets.targets(paths: [[]], correct: [true]) == [[]])
    }
}
