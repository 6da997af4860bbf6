// REINFORCE leave-one-out advantage.
import Support
import TensorCore

/// RLOO, Ahmadian et al. 2024, arXiv 2402.14740 (after Kool et al. 2019): each response's
/// baseline is the mean reward of the *other* k−1 responses to the same prompt,
///   A_i = R_i − (1/(k−1)) Σ_{j≠i} R_j = k/(k−1) · (R_i − mean R),
/// the second form as `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_rloo_outcome_advantage`).
/// A group of size 1 has no other response; as verl, its advantage is R itself.
/// KL-in-reward (RLOO puts the KL into the sequence reward) is applied to the token rewards
/// beforehand with `KLPenalty.rewards`.
public struct RLOOAdvantage: AdvantageEstimator {
    public init() {}

    public var name: String { "rloo" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        let perRow = AdvantageStatistics.groupCentred(R, groups: batch.groups) { k in k / (k - 1) }
        let a = Tensor(shape: batch.mask.shape, data: AdvantageStatistics.broadcast(perRow, mask: batch.mask.scalars, length: batch.length))
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "rloo", summary: "Leave-one-out baseline: k/(k−1)(R − mean)",
                         arxiv: ["2402.14740"], inputs: ["sequence rewards", "group ids"], defaults: [:]),
        make: { _ in RLOOAdvantage() })
}
