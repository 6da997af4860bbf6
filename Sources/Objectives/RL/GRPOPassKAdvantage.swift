// Pass@k advantage: only the best response of each group is reinforced.
import Support
import TensorCore

/// GRPO Pass@k advantage (arXiv 2503.19595, as `volcengine/verl:verl/trainer/ppo/core_algos.py`
/// `compute_grpo_passk_outcome_advantage`): in each group only the best response gets a non-zero
/// advantage, R_max − R_second, divided by (std_G R + ε) when scaling by the group std (verl's
/// `norm_adv_by_std_in_grpo`, default on, ε = 1e-6). Ties for the best give 0 whichever row is
/// chosen (the first one is). Groups need at least two responses (verl raises too).
public struct GRPOPassKAdvantage: AdvantageEstimator {
    public var scaleByStd: Bool
    public var epsilon: Float

    public init(scaleByStd: Bool = true, epsilon: Float = 1e-6) throws {
        guard epsilon >= 0 else { throw RLInputError.invalidSetting(key: "epsilon", value: "\(epsilon)", reason: "must be ≥ 0") }
        self.scaleByStd = scaleByStd
        self.epsilon = epsilon
    }

    public var name: String { "grpo-passk" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        var perRow = [Double](repeating: 0, count: R.count)
        for (g, rows) in zip(batch.groupIDsInOrder, batch.groups) {
            guard rows.count >= 2 else { throw RLInputError.groupTooSmall(method: name, group: g, size: rows.count, needed: 2) }
            var best = rows[0]
            for i in rows where R[i] > R[best] { best = i }
            var second = -Float.infinity
            for i in rows where i != best { second = max(second, R[i]) }
            var a = Double(R[best]) - Double(second)
            if scaleByStd { a /= AdvantageStatistics.unbiasedStd(rows.map { R[$0] }) + Double(epsilon) }
            perRow[best] = a
        }
        let a = Tensor(shape: batch.mask.shape, data: AdvantageStatistics.broadcast(perRow, mask: batch.mask.scalars, length: batch.length))
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "grpo-passk", aliases: ["grpo_passk"],
                         summary: "Pass@k: only each group's best response, advantage best − second best",
                         arxiv: ["2503.19595"], inputs: ["sequence rewards", "group ids (≥ 2 per group)"],
                         defaults: ["scale_rewards": "group", "epsilon": "1e-6"]),
        make: { s in
            let scale = s.scaleRewards ?? .group
            guard scale != .batch else {
                throw RLInputError.invalidSetting(key: "scale_rewards", value: "batch", reason: "grpo-passk scales by the group std or not at all")
            }
            return try GRPOPassKAdvantage(scaleByStd: scale == .group, epsilon: s.epsilon ?? 1e-6)
        })
}
