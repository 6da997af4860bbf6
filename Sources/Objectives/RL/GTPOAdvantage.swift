// GTPO's token level of dynamic entropy weighting.
import TensorCore

extension EntropyWeightedAdvantage {
    /// GTPO, Tan et al. 2025, arXiv 2508.04349 ("dynamic entropy weighting", token level). Within a
    /// group, responses with R > 0 are correct (O⁺), the others wrong (O⁻). At the k-th trained token
    /// of each response, the d_k correct responses still active there share an entropy bonus in
    /// proportion to their entropies, the h_k wrong ones in proportion to their inverse entropies:
    ///   r̃_{i,k} = α₁ R_i + α₂ · d_k H_{i,k} / Σ_{j∈O⁺_k} H_{j,k}              (i correct)
    ///   r̃_{i,k} = −α₁ − α₂ · h_k H⁻¹_{i,k} / Σ_{j∈O⁻_k} H⁻¹_{j,k}             (i wrong, H⁻¹ = 1/(H + 1e-6))
    /// The advantage of each token is r̃ normalised over all trained tokens of its group,
    /// (r̃ − mean)/(std + ε) (unbiased std). A group whose responses are all correct or all wrong
    /// (a group of one included) gets 0, as under GRPO: the paper trains with DAPO's dynamic
    /// sampling, which never lets such a group through.
    ///
    /// What could not be pinned down: no official code was found. The shaped rewards (the paper's
    /// Eq. 3 and 5) and α₂ = 0.1 follow the paper as a public re-implementation quotes it; its
    /// normalisation (Eq. 6) is read there as separate for O⁺ and O⁻, which sends every token of a
    /// binary-reward group with uniform entropy to 0 and so cannot reduce to GRPO as the paper says
    /// GTPO does. We normalise jointly over the group's tokens, the reading under which uniform
    /// entropy gives every token GRPO's advantage up to a positive per-group factor, √((kL − 1)/(L(k − 1)))
    /// for k responses of equal length L (`TokenCreditRLTests`).
    func tokenAdvantages(_ batch: RolloutBatch, _ R: [Float], _ h: [Float]) -> [Float] {
        let m = batch.mask.scalars, T = batch.length
        var out = [Float](repeating: 0, count: batch.rowCount * T)
        for rows in batch.groups {
            let positions = rows.map { batch.trainedPositions(row: $0, mask: m) }
            let correct = rows.map { R[$0] > 0 }
            // One outcome only: GRPO's advantage is 0 there, and the paper trains under DAPO's
            // dynamic sampling, which drops such groups; normalising the entropy shares alone
            // would blow tiny entropy differences up to unit advantages.
            guard correct.contains(true) && correct.contains(false) else { continue }
            var shaped = positions.map { [Double](repeating: 0, count: $0.count) }
            let longest = positions.map(\.count).max() ?? 0
            for k in 0 ..< longest {
                for side in [true, false] {
                    let members = rows.indices.filter { correct[$0] == side && positions[$0].count > k }
                    let weights = members.map { EntropyShares.weight(Double(h[rows[$0] * T + positions[$0][k]]), correct: side) }
                    for (j, share) in zip(members, EntropyShares.scaled(weights)) {
                        shaped[j][k] = EntropyShares.shaped(reward: R[rows[j]], correct: side, share: share, entropyWeight: Double(entropyWeight))
                    }
                }
            }
            let all = shaped.flatMap { $0 }
            let mean = all.reduce(0, +) / Double(all.count)
            let scale = (all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)).squareRoot() + Double(epsilon)
            for (j, i) in rows.enumerated() {
                for (k, t) in positions[j].enumerated() { out[i * T + t] = Float((shaped[j][k] - mean) / scale) }
            }
        }
        return out
    }
}
