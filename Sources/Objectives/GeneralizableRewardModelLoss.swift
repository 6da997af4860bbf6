// GRM, "Regularizing Hidden States Enables Learning Generalizable Reward Model for LLMs" (Yang et
// al. 2024, arXiv 2406.10216; `YangRui2015/Generalizable-Reward-Model`
// `reward_models/grm_reward_trainer.py`): Bradley–Terry on the reward head plus a text-generation
// regulariser on the same hidden states through the retained LM head, which keeps the trunk a
// language model and so generalises better (docs/design/rewards.md §8).
import Autograd
import TensorCore

/// L = (1 − α)·mean_pairs −log σ(r_c − r_r − μ) + α·L_reg, with S_c = Σ_t m ℓ_t over a chosen
/// response (the LM head's summed log-probs, `policyLogps` [B, T] over `mask`):
///
/// - `.sft` (the paper's and code's default, `sft_only`): L_reg = mean_pairs −log σ(β·S_c);
/// - `.nll` (the code's `no_logsigmoid_sft`): L_reg = mean_pairs −S_c, plain SFT on the chosen;
/// - `.dpo` (the code's `sft_only = False`, `reference_free`): L_reg = mean_pairs −log σ(β·(S_c − S_r)).
///
/// r is the head `scores` [B, T] read at `tokenWeights[.rewardReadout]`; μ the margin
/// `sequenceValues[.margin]` when present. Structure `.pairs`. Defaults: α = `weight_ratio` = 0.01,
/// β = 0.1, as the reference code.
///
/// Metrics: `BradleyTerryRM`'s on r, `loss/reward`, `loss/regularizer`, `logps/chosen`, `logps/rejected`.
public struct GeneralizableRewardModelLoss: Objective {
    public enum Regularizer: String, Sendable, CaseIterable {
        case sft, nll, dpo
    }

    /// α ∈ [0, 1], the regulariser's share.
    public var alpha: Float
    /// β, the log-sigmoid's scale (`.sft`, `.dpo`).
    public var beta: Float
    public var regularizer: Regularizer
    /// The code's `weight_ratio` default.
    public static let defaultAlpha: Float = 0.01

    public init(alpha: Float = GeneralizableRewardModelLoss.defaultAlpha, beta: Float = 0.1, regularizer: Regularizer = .sft) {
        self.alpha = alpha
        self.beta = beta
        self.regularizer = regularizer
    }

    public var name: String { "grm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let (reward, m) = batch.readoutBradleyTerry("GeneralizableRewardModelLoss", normalizer: normalizer)
        let (sc, sr) = Pairs.split(batch.sequenceLogps)
        let perPair: Variable
        switch regularizer {
        case .sft: perPair = (-sc * beta).softplus()
        case .nll: perPair = -sc
        case .dpo: perPair = (-(sc - sr) * beta).softplus()
        }
        let reg = meanOverItems(perPair, count: normalizer.items)
        var metrics = m
        metrics["loss/regularizer"] = reg.scalar
        metrics[MetricName.logpsChosen] = sc.value.mean().scalar
        metrics[MetricName.logpsRejected] = sr.value.mean().scalar
        return ObjectiveOutput(loss: reward * (1 - alpha) + reg * alpha, metrics: metrics)
    }
}
