// ReMax: REINFORCE with the greedy response's reward as baseline.
import Support
import TensorCore

/// ReMax, Li et al. 2023, arXiv 2310.10505: the baseline of a sampled response is the reward of the
/// greedy (argmax-decoded) response to the same prompt, given per row in
/// `RolloutBatch.rewardBaselines`. Token returns are the undiscounted reward-to-go
/// G_t = Σ_{k ≥ t} m_k r_k and A_t = G_t − b_i, as `volcengine/verl:verl/trainer/ppo/core_algos.py`
/// (`compute_remax_outcome_advantage`).
public struct ReMaxAdvantage: AdvantageEstimator {
    public init() {}

    public var name: String { "remax" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let r = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        guard let baselines = batch.rewardBaselines?.scalars else {
            throw RLInputError.missing(field: "rewardBaselines (the greedy response's reward per row)", method: name)
        }
        for (i, b) in baselines.enumerated() where !b.isFinite {
            throw RLInputError.nonFinite(field: "rewardBaselines", row: i, position: nil, value: b)
        }
        let m = batch.mask.scalars
        let B = batch.rowCount, T = batch.length
        var ret = [Float](repeating: 0, count: B * T), adv = ret
        for i in 0 ..< B {
            var running = 0.0
            for t in stride(from: T - 1, through: 0, by: -1) where m[i * T + t] != 0 {
                running += Double(r[i * T + t])
                ret[i * T + t] = Float(running)
                adv[i * T + t] = Float(running - Double(baselines[i]))
            }
        }
        return Advantages(advantages: Tensor(shape: [B, T], data: adv), returns: Tensor(shape: [B, T], data: ret))
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "remax", summary: "Reward-to-go minus the greedy response's reward",
                         arxiv: ["2310.10505"], inputs: ["token rewards", "greedy-response reward per row"], defaults: [:]),
        make: { _ in ReMaxAdvantage() })
}
