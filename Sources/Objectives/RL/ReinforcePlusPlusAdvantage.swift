// REINFORCE++ advantages: discounted token returns, or group-centred outcomes, whitened over the batch.
import Support
import TensorCore

/// REINFORCE++, Hu 2025, arXiv 2501.03262: the discounted return of the per-token rewards,
///   G_t = r_t + γ G_next   (next = the next trained token),
/// whitened over the trained tokens of the whole batch (global normalisation instead of a critic):
/// `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_reinforce_plus_plus_outcome_advantage`)
/// and OpenRLHF's `reinforce` estimator. Token rewards usually already hold the in-reward KL penalty
/// (`KLPenalty.rewards`). Masked positions are skipped with the running return carried through them,
/// as verl 0.9.1 does (older verl reset it at every masked position, which is the same for trailing
/// padding with zero reward but cut the return at a tool-token hole). Default γ = 1 (verl).
public struct ReinforcePlusPlusAdvantage: AdvantageEstimator {
    public var gamma: Float

    public init(gamma: Float = 1) throws {
        try requireRange("gamma", gamma, 0 ... 1)
        self.gamma = gamma
    }

    public var name: String { "reinforce++" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let r = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        let m = batch.mask.scalars
        let B = batch.rowCount, T = batch.length
        var ret = [Float](repeating: 0, count: B * T)
        let g = Double(gamma)
        for i in 0 ..< B {
            var running = 0.0
            for t in stride(from: T - 1, through: 0, by: -1) where m[i * T + t] != 0 {
                running = Double(r[i * T + t]) + g * running
                ret[i * T + t] = Float(running)
            }
        }
        let adv = AdvantageStatistics.maskedWhiten(ret, mask: m)
        return Advantages(advantages: Tensor(shape: [B, T], data: adv), returns: Tensor(shape: [B, T], data: ret))
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "reinforce++", aliases: ["reinforce_plus_plus"],
                         summary: "Discounted token returns, whitened over the batch",
                         arxiv: ["2501.03262"], inputs: ["token rewards (KL already in them)"],
                         defaults: ["gamma": "1.0"]),
        make: { s in try ReinforcePlusPlusAdvantage(gamma: s.gamma ?? 1) })
}

/// REINFORCE++-baseline, arXiv 2501.03262: subtract the group's mean outcome, broadcast to the
/// tokens, then whiten over the trained tokens of the whole batch, as
/// `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_reinforce_plus_plus_baseline_outcome_advantage`).
/// A group of size 1 uses mean 0 (verl).
public struct ReinforcePlusPlusBaselineAdvantage: AdvantageEstimator {
    public init() {}

    public var name: String { "reinforce++-baseline" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        let perRow = AdvantageStatistics.groupCentred(R, groups: batch.groups) { _ in 1 }
        let m = batch.mask.scalars
        let centred = AdvantageStatistics.broadcast(perRow, mask: m, length: batch.length)
        let a = Tensor(shape: batch.mask.shape, data: AdvantageStatistics.maskedWhiten(centred, mask: m))
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "reinforce++-baseline", aliases: ["reinforce_plus_plus_baseline"],
                         summary: "Group-mean baseline, then batch whitening",
                         arxiv: ["2501.03262"], inputs: ["sequence rewards", "group ids"], defaults: [:]),
        make: { _ in ReinforcePlusPlusBaselineAdvantage() })
}
