// GRPO-S's sequence level of dynamic entropy weighting.
import TensorCore

extension EntropyWeightedAdvantage {
    /// GRPO-S, Tan et al. 2025, arXiv 2508.04349 (the sequence form of dynamic entropy weighting). With
    /// Ĥ_i the mean entropy over response i's trained tokens, n⁺ correct (R > 0) and n⁻ wrong responses
    /// in the group:
    ///   r̂_i = β₁ R_i + β₂ · n⁺ Ĥ_i / Σ_{j∈O⁺} Ĥ_j                (i correct)
    ///   r̂_i = −β₁ − β₂ · n⁻ Ĥ⁻¹_i / Σ_{j∈O⁻} Ĥ⁻¹_j              (i wrong, Ĥ⁻¹ = 1/(Ĥ + 1e-6))
    /// then GRPO's advantage on r̂:
    /// (r̂_i − mean)/(std + ε) (unbiased std), copied onto the response's trained tokens; a group
    /// with one outcome (all correct, all wrong, or a single response) gets 0. With equal entropies r̂ is ±(β₁ + β₂) for binary outcomes, an
    /// affine map of R, so the advantages are GRPO's exactly (ε = 0). The constants follow the paper
    /// as quoted by a public re-implementation; no official code was found.
    func sequenceAdvantages(_ batch: RolloutBatch, _ R: [Float], _ h: [Float]) -> [Float] {
        let m = batch.mask.scalars, T = batch.length
        var perRow = [Double](repeating: 0, count: R.count)
        for rows in batch.groups where rows.contains(where: { R[$0] > 0 }) && rows.contains(where: { R[$0] <= 0 }) {
            // A group with one outcome keeps 0, as under GRPO and DAPO's dynamic sampling (GTPO's note).
            let meanEntropy = rows.map { i -> Double in
                let p = batch.trainedPositions(row: i, mask: m)
                return p.isEmpty ? 0 : p.reduce(0) { $0 + Double(h[i * T + $1]) } / Double(p.count)
            }
            var shaped = [Double](repeating: 0, count: rows.count)
            for side in [true, false] {
                let members = rows.indices.filter { (R[rows[$0]] > 0) == side }
                let shares = EntropyShares.scaled(members.map { EntropyShares.weight(meanEntropy[$0], correct: side) })
                for (j, share) in zip(members, shares) {
                    shaped[j] = EntropyShares.shaped(reward: R[rows[j]], correct: side, share: share, entropyWeight: Double(entropyWeight))
                }
            }
            let mean = shaped.reduce(0, +) / Double(rows.count)
            let std = (shaped.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows.count - 1)).squareRoot()
            for (j, i) in rows.enumerated() { perRow[i] = (shaped[j] - mean) / (std + Double(epsilon)) }
        }
        return AdvantageStatistics.broadcast(perRow, mask: m, length: T)
    }
}
