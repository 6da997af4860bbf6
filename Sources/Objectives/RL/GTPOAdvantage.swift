// Group token policy optimisation: the outcome reward redistributed over tokens by their entropy.
import Support
import TensorCore

/// GTPO, Tan et al. 2025, arXiv 2508.04349 ("dynamic entropy weighting", token level). Within a
/// group, responses with R > 0 are correct (O⁺), the others wrong (O⁻). At the k-th trained token
/// of each response, the d_k correct responses still active there share an entropy bonus in
/// proportion to their entropies, the h_k wrong ones in proportion to their inverse entropies:
///   r̃_{i,k} = α₁ R_i + α₂ · d_k H_{i,k} / Σ_{j∈O⁺_k} H_{j,k}              (i correct)
///   r̃_{i,k} = −α₁ − α₂ · h_k H⁻¹_{i,k} / Σ_{j∈O⁻_k} H⁻¹_{j,k}             (i wrong, H⁻¹ = 1/(H + 1e-6))
/// with α₁ = 1 and α₂ = `entropy_weight` (default 0.1). The advantage of each token is r̃
/// normalised over all trained tokens of its group, (r̃ − mean)/(std + ε) (unbiased std, ε =
/// 1e-6); a group of one keeps mean 0 and std 1, as GRPO does (verl's rule).
///
/// What could not be pinned down: no official code was found. The shaped rewards (the paper's
/// Eq. 3 and 5) and α₂ = 0.1 follow the paper as a public re-implementation quotes it; its
/// normalisation (Eq. 6) is read there as separate for O⁺ and O⁻, which sends every token of a
/// binary-reward group with uniform entropy to 0 and so cannot reduce to GRPO as the paper says
/// GTPO does. We normalise jointly over the group's tokens, the reading under which uniform
/// entropy gives every token GRPO's advantage up to a positive per-group factor (exactly GRPO's
/// with equal lengths and a population std; `GTPOTests`). Entropies are the sampler's
/// (`RolloutBatch.entropies`), constants.
public struct GTPOAdvantage: AdvantageEstimator {
    public var entropyWeight: Float
    public var epsilon: Float

    public init(entropyWeight: Float = 0.1, epsilon: Float = 1e-6) throws {
        guard entropyWeight >= 0, epsilon >= 0 else {
            throw RLInputError.invalidSetting(key: "entropy_weight", value: "\(entropyWeight)", reason: "entropy_weight and epsilon must be ≥ 0")
        }
        self.entropyWeight = entropyWeight
        self.epsilon = epsilon
    }

    public var name: String { "gtpo" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        let h = try batch.required(batch.entropies, "entropies", by: name)
        let m = batch.mask.scalars, T = batch.length
        var out = [Float](repeating: 0, count: batch.rowCount * T)
        for rows in batch.groups {
            let positions = rows.map { batch.trainedPositions(row: $0, mask: m) }
            let correct = rows.map { R[$0] > 0 }
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
            var mean = 0.0, scale = 1.0
            if rows.count > 1 && all.count > 1 {
                mean = all.reduce(0, +) / Double(all.count)
                let ss = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                scale = (ss / Double(all.count - 1)).squareRoot()
            }
            scale += Double(epsilon)
            for (j, i) in rows.enumerated() {
                for (k, t) in positions[j].enumerated() { out[i * T + t] = Float((shaped[j][k] - mean) / scale) }
            }
        }
        let a = Tensor(shape: batch.mask.shape, data: out)
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "gtpo", summary: "Entropy-weighted token rewards per group (α₁ = 1, α₂ = entropy_weight), normalised over the group's tokens; normalisation is our reading",
                         arxiv: ["2508.04349"], inputs: ["sequence rewards (correct: R > 0)", "group ids", "entropies H_t"],
                         defaults: ["entropy_weight": "0.1", "epsilon": "1e-6"]),
        make: { s in try GTPOAdvantage(entropyWeight: s.entropyWeight ?? 0.1, epsilon: s.epsilon ?? 1e-6) })
}
