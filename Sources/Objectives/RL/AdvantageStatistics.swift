// The statistics advantage estimators share: group means, unbiased standard deviations and masked
// whitening. Accumulated in Double (the inputs are Float) so that group and batch statistics do not
// depend on summation order at Float precision.

enum AdvantageStatistics {
    /// Each row's sequence reward minus the mean of its group, times `scale(k)` for a group of k > 1
    /// (RLOO's k/(k−1), REINFORCE++-baseline's 1); a group of one keeps R (verl, both estimators).
    static func groupCentred(_ R: [Float], groups: [[Int]], scale: (_ k: Double) -> Double) -> [Double] {
        var perRow = R.map(Double.init)
        for rows in groups where rows.count > 1 {
            let k = Double(rows.count)
            let m = Self.mean(rows.map { R[$0] })
            for i in rows { perRow[i] = scale(k) * (Double(R[i]) - m) }
        }
        return perRow
    }

    static func mean(_ xs: [Float]) -> Double {
        guard !xs.isEmpty else { return 0 }
        var s = 0.0
        for x in xs { s += Double(x) }
        return s / Double(xs.count)
    }

    /// Unbiased (N−1) standard deviation, as `torch.std` (verl) and TRL's `nanstd`. Needs N ≥ 2.
    static func unbiasedStd(_ xs: [Float]) -> Double {
        precondition(xs.count >= 2, "unbiasedStd needs at least two values")
        let m = mean(xs)
        var s = 0.0
        for x in xs { s += (Double(x) - m) * (Double(x) - m) }
        return (s / Double(xs.count - 1)).squareRoot()
    }

    /// verl's `masked_whiten` over the trained tokens of the whole batch:
    /// (x − mean) / sqrt(var + 1e-8) with the unbiased (Bessel-corrected) masked variance.
    /// verl raises for fewer than two trained tokens; here one token gets variance 0 (so it whitens
    /// to 0) and an all-masked batch returns zeros. Masked positions are 0 in the output.
    /// - Parameters: `values`, `mask`: [B·T] row-major.
    static func maskedWhiten(_ values: [Float], mask: [Float]) -> [Float] {
        var n = 0.0, s = 0.0
        for k in 0 ..< values.count where mask[k] != 0 { n += 1; s += Double(values[k]) }
        guard n > 0 else { return [Float](repeating: 0, count: values.count) }
        let mu = s / n
        var ss = 0.0
        for k in 0 ..< values.count where mask[k] != 0 { ss += (Double(values[k]) - mu) * (Double(values[k]) - mu) }
        var variance = ss / n
        if n > 1 { variance *= n / (n - 1) }
        let scale = 1 / (variance + 1e-8).squareRoot()
        var out = [Float](repeating: 0, count: values.count)
        for k in 0 ..< values.count where mask[k] != 0 { out[k] = Float((Double(values[k]) - mu) * scale) }
        return out
    }

    /// One value per row broadcast to the row's trained tokens (0 elsewhere): [B] → [B·T].
    static func broadcast(_ perRow: [Double], mask: [Float], length T: Int) -> [Float] {
        var out = [Float](repeating: 0, count: mask.count)
        for i in 0 ..< perRow.count {
            let v = Float(perRow[i])
            for t in 0 ..< T where mask[i * T + t] != 0 { out[i * T + t] = v }
        }
        return out
    }
}
