// How the segment reward model's values become dense token rewards in online RL (Yin et al. 2025,
// arXiv 2501.02790; `get_segment_rewards` in
// `yinyueqin/DenseRewardRLHF-PPO:denserlhf/trainer/ppo_utils/experience_maker.py`): each segment
// reward is normalised by the statistics of segment rewards at its relative position, then spread
// over the tokens of its segment (docs/design/rewards.md §5).
import Objectives

/// How a segment's (normalised) reward is placed on its tokens.
public enum SegmentSpread: String, CaseIterable, Sendable {
    /// r/|segment| on every token of the segment, so the segment's tokens sum to r (the reference
    /// code's `segment_normalization`, the paper's interpolation and its default).
    case split
    /// r on every token of the segment (`same_segment_last`).
    case copy
    /// r on the segment's last token only, 0 elsewhere (`every_segment_last`).
    case end
}

/// The location-aware normaliser: r̂ = (r − μ(p))/σ(p), μ and σ the mean and standard deviation of
/// segment rewards at relative position p = (k + 1)/K (segment k of K, the reference code's
/// `position_percentage`).
///
/// The reference code fits μ(p) = a·log p + c and σ(p) = b·log p + d offline on an RM's rewards over
/// a data set. An online run has no such data set, so here μ and σ are the statistics of the
/// current batch of completions (every call: one rollout batch) in `bins` equal bins of p ∈ (0, 1]:
/// deterministic, stateless (a resumed run normalises exactly as the uninterrupted one) and free of
/// a fitted curve's shape. A bin with fewer than 2 segments uses the whole batch's statistics; a
/// batch with fewer than 2 segments is left as it is (μ = 0, σ = 1); σ below 1e-6 (all values
/// equal) is replaced by 1, so such values are only centred. `bins = 0`: no normalisation.
public struct LocationAwareNormaliser: Sendable, Equatable {
    public var bins: Int

    public init(bins: Int) {
        precondition(bins >= 0, "LocationAwareNormaliser: bins must be ≥ 0")
        self.bins = bins
    }

    /// The bin of segment k of K: ⌈(k + 1)·bins / K⌉ − 1, in integers (no rounding at bin edges).
    public func bin(segment k: Int, of count: Int) -> Int { ((k + 1) * bins + count - 1) / count - 1 }

    /// Normalises every completion's segment rewards (one array per completion, in segment order).
    public func normalise(_ rewards: [[Float]]) -> [[Float]] {
        guard bins > 0 else { return rewards }
        var sums = [Double](repeating: 0, count: bins), squares = sums, counts = [Int](repeating: 0, count: bins)
        for row in rewards {
            for (k, r) in row.enumerated() {
                let b = bin(segment: k, of: row.count)
                sums[b] += Double(r)
                squares[b] += Double(r) * Double(r)
                counts[b] += 1
            }
        }
        let total = (sums.reduce(0, +), squares.reduce(0, +), counts.reduce(0, +))
        func statistics(_ s: Double, _ q: Double, _ n: Int) -> (mean: Double, std: Double) {
            let mean = s / Double(n)
            let std = max(0, q / Double(n) - mean * mean).squareRoot()
            return (mean, std < 1e-6 ? 1 : std)
        }
        let pooled = total.2 >= 2 ? statistics(total.0, total.1, total.2) : (mean: 0, std: 1)
        let perBin = (0 ..< bins).map { counts[$0] >= 2 ? statistics(sums[$0], squares[$0], counts[$0]) : pooled }
        return rewards.map { row in
            row.enumerated().map { k, r in
                let s = perBin[bin(segment: k, of: row.count)]
                return Float((Double(r) - s.mean) / s.std)
            }
        }
    }
}

extension SegmentSpread {
    /// Token rewards for an `n`-token response from its segment ends (ascending, last = n − 1) and one
    /// value per segment.
    public func place(_ values: [Float], ends: [Int], count n: Int) -> [Float] {
        precondition(values.count == ends.count, "SegmentSpread: \(values.count) values for \(ends.count) segments")
        var out = [Float](repeating: 0, count: n)
        for (segment, v) in zip(EntropySegmentation.segments(ends: ends), values) {
            switch self {
            case .split: for t in segment { out[t] = v / Float(segment.count) }
            case .copy: for t in segment { out[t] = v }
            case .end: out[segment.upperBound] = v
            }
        }
        return out
    }
}
