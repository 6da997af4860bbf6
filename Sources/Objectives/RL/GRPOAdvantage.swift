// Group-relative outcome advantages: GRPO and Dr. GRPO.
import Support
import TensorCore

/// GRPO's advantage, Shao et al. 2024 (DeepSeekMath), arXiv 2402.03300: for the responses of one
/// prompt with outcome rewards R_i = Σ_t m r_t,
///   A_i = (R_i − mean_G R) / (std_G R + ε),
/// broadcast to every trained token of response i. The std is the unbiased (N−1) estimator, as in
/// TRL (`nanstd`) and verl (`torch.std`). ε = 1e-4 as TRL (`huggingface/trl:trl/trainer/grpo_trainer.py`;
/// verl uses 1e-6).
///
/// `scaleRewards` (TRL's `scale_rewards`): `.group` (above), `.batch` (divide by the std of all the
/// batch's rewards, the mean staying per group), `.none` (Dr. GRPO, arXiv 2503.20783: A_i = R_i − mean).
///
/// A group of size 1 follows verl (`compute_grpo_outcome_advantage`): mean 0 and std 1, so
/// A = R/(1 + ε) with group scaling and A = R without scaling. A batch of one row under `.batch`
/// scaling likewise uses std 1.
public struct GRPOAdvantage: AdvantageEstimator {
    public var scaleRewards: RewardScaling
    public var epsilon: Float
    public let name: String

    public init(scaleRewards: RewardScaling = .group, epsilon: Float = 1e-4) throws {
        guard epsilon >= 0 else { throw RLInputError.invalidSetting(key: "epsilon", value: "\(epsilon)", reason: "must be ≥ 0") }
        self.init(unchecked: scaleRewards, epsilon: epsilon, name: "grpo")
    }

    /// Dr. GRPO's advantage: GRPO without the std.
    public static func drGRPO() -> GRPOAdvantage {
        GRPOAdvantage(unchecked: .none, epsilon: 0, name: "dr-grpo")
    }

    private init(unchecked scale: RewardScaling, epsilon: Float, name: String) {
        scaleRewards = scale
        self.epsilon = epsilon
        self.name = name
    }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        var perRow = [Double](repeating: 0, count: R.count)
        let eps = Double(epsilon)
        let batchStd = R.count >= 2 ? AdvantageStatistics.unbiasedStd(R) : 1
        for rows in batch.groups {
            let rewards = rows.map { R[$0] }
            let single = rows.count == 1
            let mean = single ? 0 : AdvantageStatistics.mean(rewards)
            let scale: Double
            switch scaleRewards {
            case .group: scale = (single ? 1 : AdvantageStatistics.unbiasedStd(rewards)) + eps
            case .batch: scale = batchStd + eps
            case .none: scale = 1
            }
            for i in rows { perRow[i] = (Double(R[i]) - mean) / scale }
        }
        let m = batch.mask.scalars
        let a = Tensor(shape: batch.mask.shape, data: AdvantageStatistics.broadcast(perRow, mask: m, length: batch.length))
        return Advantages(advantages: a, returns: a)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "grpo", summary: "Group-normalised outcome reward (R − mean)/(std + ε)",
                         arxiv: ["2402.03300"], inputs: ["sequence rewards", "group ids"],
                         defaults: ["scale_rewards": "group", "epsilon": "1e-4"]),
        make: { s in try GRPOAdvantage(scaleRewards: s.scaleRewards ?? .group, epsilon: s.epsilon ?? 1e-4) })

    static let drGRPOEntry = AdvantageEstimatorEntry(
        card: MethodCard(name: "dr-grpo", aliases: ["dr_grpo"], summary: "Group-centred outcome reward R − mean, no std",
                         arxiv: ["2503.20783"], inputs: ["sequence rewards", "group ids"], defaults: [:]),
        make: { _ in GRPOAdvantage.drGRPO() })
}
