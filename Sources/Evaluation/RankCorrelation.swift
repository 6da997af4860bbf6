// Rank correlations between two scorings of the same items — e.g. a method's implicit token
// rewards against a lexicon's ground-truth token sentiment. Ranks, not values, are compared
// because the two scales are unrelated (log-ratio units vs lexicon valence) and only the order
// matters for credit assignment. Spearman's ρ is the usual headline; Kendall's τ-b is reported
// beside it because it is more robust to the heavy ties of sparse truth (most tokens score 0).
// Conventions follow SciPy (`scipy.stats.spearmanr`, `scipy.stats.kendalltau`, variant "b"), which
// the tests reproduce to 1e-6.

import Foundation

public enum RankCorrelation {
    /// 1-based ranks of `values` with ties given the average of the ranks they span
    /// (SciPy's `rankdata(method="average")`): [10, 20, 20, 5] → [2, 3.5, 3.5, 1].
    /// NaN has no rank; callers that may hold NaN should check first (the correlations do).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i ... j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Pearson's product-moment correlation r.
    /// - Returns: nil when undefined: lengths differ, fewer than 2 pairs, a NaN, or either input is
    ///   constant (zero variance).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else {
            return nil
        }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            let dx = a - mx, dy = b - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        // Clamp the last-ulp overshoot so perfectly monotone data reads exactly ±1 at most.
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman's rank correlation ρ (Spearman 1904): Pearson's r between the average ranks of `x`
    /// and of `y`. With ties this is the correct form; the textbook 1 − 6Σd²/(n(n²−1)) shortcut
    /// holds only without ties.
    /// - Returns: nil when undefined: lengths differ, n < 2, a NaN, or either input constant.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else {
            return nil
        }
        return pearson(averageRanks(x), averageRanks(y))
    }

    /// Kendall's τ-b (Kendall 1945), the tie-corrected rank correlation SciPy's `kendalltau`
    /// returns by default:
    ///
    ///     τ_b = (C − D) / √((n₀ − T_x)(n₀ − T_y)),   n₀ = n(n − 1)/2,
    ///
    /// where C and D count concordant and discordant pairs, T_x the pairs tied in x (including
    /// those also tied in y) and T_y likewise. Without ties it equals τ-a = (C − D)/n₀.
    ///
    /// Computed over all pairs, O(n²): about 12.5 M pair comparisons at n = 5000 (tens of
    /// milliseconds), which is fine for the per-token evaluations here. For much larger n use
    /// Knight's O(n log n) merge-sort algorithm (Knight 1966) instead.
    /// - Returns: nil when undefined: lengths differ, n < 2, a NaN, or either input constant.
    public static func kendallTauB(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else {
            return nil
        }
        let n = x.count
        var concordant = 0, discordant = 0, tiedX = 0, tiedY = 0
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                for i in 0 ..< n - 1 {
                    let xi = xs[i], yi = ys[i]
                    for j in (i + 1) ..< n {
                        // Compare rather than subtract: ∞ − ∞ would be NaN.
                        let tx = xs[j] == xi, ty = ys[j] == yi
                        if tx || ty {
                            if tx { tiedX += 1 }
                            if ty { tiedY += 1 }
                        } else if (xs[j] > xi) == (ys[j] > yi) {
                            concordant += 1
                        } else {
                            discordant += 1
                        }
                    }
                }
            }
        }
        let pairs = n * (n - 1) / 2
        let denominator = (Double(pairs - tiedX) * Double(pairs - tiedY)).squareRoot()
        guard denominator > 0 else { return nil }
        return min(1, max(-1, Double(concordant - discordant) / denominator))
    }
}
