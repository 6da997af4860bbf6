// Sequence-level GRPO with entropy weighting: GRPO on outcome rewards reshaped by each response's
// mean token entropy.
import Support
import TensorCore

/// GRPO-S, Tan et al. 2025, arXiv 2508.04349 (the sequence form of dynamic entropy weighting). With
/// Ĥ_i the mean entropy over response i's trained tokens, n⁺ correct (R > 0) and n⁻ wrong responses
/// in the group:
///   r̂_i = β₁ R_i + β₂ · n⁺ Ĥ_i / Σ_{j∈O⁺} Ĥ_j                (i correct)
///   r̂_i = −β₁ − β₂ · n⁻ Ĥ⁻¹_i / Σ_{j∈O⁻} Ĥ⁻¹_j              (i wrong, Ĥ⁻¹ = 1/(Ĥ + 1e-6))
/// with β₁ = 1 and β₂ = `entropy_weight` (default 0.1), then GRPO's advantage on r̂:
/// (r̂_i − mean)/(std + ε) (unbiased std, ε = 1e-6; a group of one: mean 0, std 1), copied onto
/// the response's trained tokens. With equal entropies r̂ is ±(β₁ + β₂) for binary outcomes, an
/// affine map of R, so the advantages are GRPO's exactly (ε = 0). The constants follow the paper
/// as quoted by a public re-implementation; no official code was found.
public struct GRPOSAdvantage: AdvantageEstimator {
    public var entropyWeight: Float
    public var epsilon: Float

    public init(entropyWeight: Float = 0.1, epsilon: Float = 1e-6) throws {
        guard entropyWeight >= 0, epsilon >= 0 else {
            throw RLInputError.invalidSetting(key: "entropy_weight", value: "\(entropyWeight)", reason: "entropy_weight and epsilon must be ≥ 0")
        }
        self.entropyWeight = entropyWeight
        self.epsilon = epsilon
    }

    public var name: String { "grpo-s" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        let h = try batch.required(batch.entropies, "entropies", by: name)
        let m = batch.mask.scalars, T = batch.length
        var perRow = [Double](repeating: 0, count: R.count)
        for rows in batch.groups {
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
            let single = rows.count == 1
            let mean = single ? 0 : shaped.reduce(0, +) / Double(rows.count)
            let std = single ? 1 : (shaped.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows.count - 1)).squareRoot()
            for (j, i) in rows.enumerated() { perRow[i] = (shaped[j] - mean) / (std + Double(epsilon)) }
        }
        let a = Tensor(shape: batch.mask.shape, data: AdvantageStatistics.broadcast(perRow, mask: m, length: T))
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "grpo-s", aliases: ["grpo_s"], summary: "GRPO on outcome rewards reshaped by each response's mean entropy (β₁ = 1, β₂ = entropy_weight)",
                         arxiv: ["2508.04349"], inputs: ["sequence rewards (correct: R > 0)", "group ids", "entropies H_t"],
                         defaults: ["entropy_weight": "0.1", "epsilon": "1e-6"]),
        make: { s in try GRPOSAdvantage(entropyWeight: s.entropyWeight ?? 0.1, epsilon: s.epsilon ?? 1e-6) })
}
