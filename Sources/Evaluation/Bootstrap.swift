// Percentile bootstrap confidence intervals (Efron & Tibshirani 1993). Resampling is over groups
// (prompts), not individual responses: responses to one prompt are correlated, and resampling them
// independently would understate the uncertainty. Resampling draws from Support's SplitMix64, so
// Evaluation needs no tensor engine.
import Support

/// A point estimate with a confidence interval.
public struct Estimate: Sendable, Equatable, Codable, CustomStringConvertible {
    public var value: Double
    public var low: Double
    public var high: Double
    /// Number of observations behind the estimate.
    public var count: Int

    public init(value: Double, low: Double, high: Double, count: Int) {
        self.value = value
        self.low = low
        self.high = high
        self.count = count
    }

    public var description: String {
        count == 0 ? "–" : "\(format(value)) [\(format(low)), \(format(high))]"
    }

    func format(_ x: Double) -> String {
        let r = (x * 1000).rounded() / 1000
        return "\(r)"
    }
}

public enum Bootstrap {
    /// Mean of all observations, with a CI from resampling groups with replacement.
    public static func meanOverGroups(_ groups: [[Double]], resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) -> Estimate {
        let nonEmpty = groups.filter { !$0.isEmpty }
        let all = nonEmpty.flatMap { $0 }
        guard !all.isEmpty else { return Estimate(value: .nan, low: .nan, high: .nan, count: 0) }
        let mean = all.reduce(0, +) / Double(all.count)
        guard nonEmpty.count > 1, resamples > 0 else { return Estimate(value: mean, low: mean, high: mean, count: all.count) }
        var rng = SplitMix64(seed: seed)
        let sums = nonEmpty.map { $0.reduce(0, +) }, counts = nonEmpty.map { Double($0.count) }
        var stats: [Double] = []
        stats.reserveCapacity(resamples)
        for _ in 0 ..< resamples {
            var s = 0.0, c = 0.0
            for _ in 0 ..< nonEmpty.count {
                let g = Int(rng.next() % UInt64(nonEmpty.count))
                s += sums[g]
                c += counts[g]
            }
            stats.append(s / c)
        }
        stats.sort()
        let alpha = (1 - level) / 2
        let lo = stats[min(stats.count - 1, max(0, Int((alpha * Double(stats.count)).rounded(.down))))]
        let hi = stats[min(stats.count - 1, max(0, Int(((1 - alpha) * Double(stats.count)).rounded(.up)) - 1))]
        return Estimate(value: mean, low: lo, high: hi, count: all.count)
    }
}
