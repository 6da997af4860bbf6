// Best-of-n over-optimisation curves from one pool of N samples per prompt (Gao, Schulman & Hilton,
// arXiv 2210.10760): for each n ≤ N, the expected proxy and gold reward of the proxy-best of n
// (`BestOfNEstimator`), averaged over prompts with a bootstrap interval over prompts, against
// KL_BoN(n) = log n − (n − 1)/n and d = √KL. The gold reward is also reported shifted by its n = 1
// value (the policy's own mean), the origin Gao et al.'s fitted forms assume.
import Evaluation
import Foundation

/// One prompt's pool: a proxy and a gold score per sample.
public struct ScoredPool: Sendable, Equatable {
    public var proxy: [Double]
    public var gold: [Double]

    public init(proxy: [Double], gold: [Double]) {
        self.proxy = proxy
        self.gold = gold
    }
}

/// One point of a curve.
public struct OveroptimisationPoint: Codable, Sendable, Equatable {
    /// n for best-of-n; the optimizer step for RL.
    public var x: Int
    public var kl: Double
    public var distance: Double
    public var proxy: Estimate
    public var gold: Estimate
    /// `gold` minus the starting policy's gold reward.
    public var goldShift: Double

    public init(x: Int, kl: Double, proxy: Estimate, gold: Estimate, goldShift: Double) {
        self.x = x
        self.kl = kl
        self.distance = max(kl, 0).squareRoot()
        self.proxy = proxy
        self.gold = gold
        self.goldShift = goldShift
    }

    /// The gold reward relative to the start (Gao et al.'s y axis).
    public var goldGain: Double { gold.value - goldShift }
}

public enum BestOfNCurve {
    /// The curve at each n (ascending, each ≤ every pool's size).
    public static func points(_ pools: [ScoredPool], n values: [Int], seed: UInt64 = 0) throws -> [OveroptimisationPoint] {
        guard !pools.isEmpty else { throw SearchError.invalidSetting("best-of-n curve: no prompts") }
        let smallest = pools.map(\.proxy.count).min() ?? 0
        guard let worst = values.max(), worst <= smallest, (values.min() ?? 0) >= 1 else {
            throw SearchError.invalidSetting("best-of-n curve: every n must be in 1…\(smallest) (the smallest pool), got \(values)")
        }
        let start = try pools.map { try BestOfNEstimator.expected(proxy: $0.proxy, gold: $0.gold, n: 1) }
        let shift = start.reduce(0, +) / Double(start.count)
        return try values.sorted().map { n in
            var proxy: [[Double]] = [], gold: [[Double]] = []
            for p in pools {
                proxy.append([try BestOfNEstimator.expected(proxy: p.proxy, gold: p.proxy, n: n)])
                gold.append([try BestOfNEstimator.expected(proxy: p.proxy, gold: p.gold, n: n)])
            }
            return OveroptimisationPoint(x: n, kl: BestOfNEstimator.klBestOfN(n),
                                         proxy: Bootstrap.meanOverGroups(proxy, seed: seed), gold: Bootstrap.meanOverGroups(gold, seed: seed),
                                         goldShift: shift)
        }
    }

    /// 1, 2, 4, … up to N (and N itself).
    public static func powersOfTwo(upTo N: Int) -> [Int] {
        guard N >= 1 else { return [] }
        var out: [Int] = []
        var n = 1
        while n <= N { out.append(n); n *= 2 }
        if out.last != N { out.append(N) }
        return out
    }
}
