// The unbiased best-of-n estimate from one pool of N ≥ n samples (Gao, Schulman & Hilton 2022,
// "Scaling laws for reward model overoptimization", arXiv 2210.10760): the expected gold score of
// the proxy-best of n samples drawn without replacement from the pool. Sort the pool by proxy score
// ascending; the i-th (1-based) is the proxy-best of a uniformly drawn n-subset with probability
// C(i−1, n−1)/C(N, n), so
//     E[gold of best-of-n] = Σ_i C(i−1, n−1)/C(N, n) · gold_(i).
// With gold = a verifier's 0/1 this is best-of-n accuracy; with gold = proxy it is the expected
// maximum proxy reward; n = 1…N gives the accuracy / over-optimisation curve of one pool.
//
// Ties in the proxy follow best-of-N's own rule (the earliest sample wins): among equal proxy
// scores the earlier sample ranks higher. Binomials are taken as exp of log-gamma differences.
import Foundation

public enum BestOfNEstimator {
    /// E[gold of the proxy-best of n] over the n-subsets of the pool.
    public static func expected(proxy: [Double], gold: [Double], n: Int) throws -> Double {
        let N = proxy.count
        guard gold.count == N else { throw SearchError.invalidSetting("best-of-n estimate: \(N) proxy scores but \(gold.count) gold scores") }
        guard n >= 1 else { throw SearchError.invalidSetting("best-of-n estimate: n must be ≥ 1, got \(n)") }
        guard N >= n else {
            throw SearchError.invalidSetting("best-of-n estimate: n = \(n) needs at least \(n) samples per prompt, the pool has N = \(N) (raise -n)")
        }
        // Ascending by proxy; equal proxies: the later sample first (so the earlier ranks higher).
        let order = (0 ..< N).sorted { proxy[$0] != proxy[$1] ? proxy[$0] < proxy[$1] : $0 > $1 }
        let logTotal = logBinomial(N, n)
        var sum = 0.0
        for (rank, idx) in order.enumerated() where rank + 1 >= n {
            sum += exp(logBinomial(rank, n - 1) - logTotal) * gold[idx]
        }
        return sum
    }

    /// log C(a, b) for 0 ≤ b ≤ a.
    static func logBinomial(_ a: Int, _ b: Int) -> Double {
        lgamma(Double(a + 1)) - lgamma(Double(b + 1)) - lgamma(Double(a - b + 1))
    }

    /// KL(best-of-n ‖ π) = log n − (n − 1)/n nats, the usual x-axis of these curves (exact for
    /// continuous rewards without ties).
    public static func klBestOfN(_ n: Int) -> Double { log(Double(n)) - Double(n - 1) / Double(n) }
}
