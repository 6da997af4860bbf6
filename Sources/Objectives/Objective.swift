// The objective protocol, its output, TRL-named metrics, and loss mixing.
import Autograd
import TensorCore

/// TRL's metric names (`huggingface/trl:trl/trainer/dpo_trainer.py`, `kto_trainer.py`,
/// `reward_trainer.py`), plus ours for token-level quantities.
public enum MetricName {
    public static let loss = "loss"
    public static let rewardsChosen = "rewards/chosen"
    public static let rewardsRejected = "rewards/rejected"
    public static let rewardsAccuracies = "rewards/accuracies"
    public static let rewardsMargins = "rewards/margins"
    public static let logpsChosen = "logps/chosen"
    public static let logpsRejected = "logps/rejected"
    /// KTO's KL baseline z₀.
    public static let kl = "kl"
    /// Reward-model trainer (TRL `RewardTrainer`).
    public static let accuracy = "accuracy"
    public static let margin = "margin"
    public static let minReward = "min_reward"
    public static let meanReward = "mean_reward"
    public static let maxReward = "max_reward"
    /// Ours: sequential KL Σ_t m KL_t(q‖p), averaged over chosen / rejected responses.
    public static let klChosen = "kl/chosen"
    public static let klRejected = "kl/rejected"
    /// Ours: KL per trained token, averaged over all trained tokens.
    public static let klPerToken = "kl/per_token"
    /// Ours: token-weight statistics (mean over trained tokens).
    public static let weightsChosen = "token_weights/chosen"
    public static let weightsRejected = "token_weights/rejected"
    /// Ours: fraction of trained tokens whose weight is negative (TGDPO pitfall).
    public static let negativeWeightFraction = "token_weights/negative_fraction"
}

/// What an objective returns: the scalar loss (differentiable) and metrics (plain numbers).
public struct ObjectiveOutput {
    /// The scalar loss to back-propagate. With a global `Normalizer`, micro-batch losses sum to the
    /// optimizer-batch loss.
    public var loss: Variable
    /// Metrics under TRL's names (and ours), for this micro-batch.
    public var metrics: [String: Float]

    public init(loss: Variable, metrics: [String: Float] = [:]) {
        self.loss = loss
        self.metrics = metrics
        self.metrics[MetricName.loss] = loss.scalar
    }
}

/// A loss on a `TokenBatch`: pure maths, no model calls.
public protocol Objective {
    /// The objective's name as the CLI spells it (`sigmoid`, `tdpo1`, `kto`, …).
    var name: String { get }
    /// Computes the loss and metrics.
    func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput
}

extension Objective {
    public func callAsFunction(_ batch: TokenBatch, normalizer: Normalizer = .local) -> ObjectiveOutput {
        compute(batch, normalizer: normalizer)
    }
}

/// A weighted sum of objectives on the same batch (`--loss a,b --loss-weights x,y`), as MPO mixes
/// `sigmoid`, `bco_pair` and `sft` (TRL `DPOConfig.loss_type` list + `loss_weights`). The metrics
/// are the first component's, plus `loss/<name>` for every component.
public struct ObjectiveMix: Objective {
    public var components: [(objective: any Objective, weight: Float)]

    public init(_ components: [(any Objective, Float)]) {
        precondition(!components.isEmpty, "ObjectiveMix: no components")
        self.components = components.map { (objective: $0.0, weight: $0.1) }
    }

    public var name: String { components.map(\.objective.name).joined(separator: ",") }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        var total: Variable?
        var metrics: [String: Float] = [:]
        for (k, c) in components.enumerated() {
            let out = c.objective.compute(batch, normalizer: normalizer)
            let term = out.loss * c.weight
            total = total.map { $0 + term } ?? term
            if k == 0 { metrics = out.metrics }
            metrics["loss/\(c.objective.name)"] = out.loss.scalar
        }
        return ObjectiveOutput(loss: total!, metrics: metrics)
    }
}

/// TRL's preference metrics from per-pair implicit rewards and sequence log-probs (constants):
/// means over pairs; accuracy = mean 1[chosen > rejected].
/// - Parameters: all [P].
func preferenceMetrics(chosenRewards: Tensor, rejectedRewards: Tensor,
                       chosenLogps: Tensor, rejectedLogps: Tensor) -> [String: Float] {
    [
        MetricName.rewardsChosen: chosenRewards.mean().scalar,
        MetricName.rewardsRejected: rejectedRewards.mean().scalar,
        MetricName.rewardsAccuracies: chosenRewards.greater(rejectedRewards).mean().scalar,
        MetricName.rewardsMargins: (chosenRewards - rejectedRewards).mean().scalar,
        MetricName.logpsChosen: chosenLogps.mean().scalar,
        MetricName.logpsRejected: rejectedLogps.mean().scalar,
    ]
}

/// Mean of a [B, T] weight over the trained tokens of the given rows.
func maskedMean(_ w: Tensor, mask: Tensor) -> Float {
    let n = mask.sum().scalar
    return n > 0 ? Masking.zeroed(w, mask: mask).sum().scalar / n : 0
}
