// HaF-RM's hybrid loss (Liu et al. 2024, arXiv 2407.04185; `haf-rm-anonymized/Code-for-HAF-RM`
// `src/reward_model.py`): one trunk, two heads — the scalar reward head trained with Bradley–Terry
// and the retained LM head trained with DPO's policy loss — so the trunk is supervised at the
// sequence level through the head and at the token level through the policy (docs/design/rewards.md §8).
import Autograd
import TensorCore

/// L = mean_pairs −log σ(r_c − r_r − μ) + α · mean_pairs −log σ(β·[(Σℓ_c − Σℓ_r) − (Σℓ^ref_c − Σℓ^ref_r)]).
///
/// - r: the head `TokenBatch.scores` [B, T] read at `tokenWeights[.rewardReadout]` (one-hot [B, T]);
///   μ: the margin `sequenceValues[.margin]` when present (on the reward term only).
/// - ℓ: the policy (LM head) log-probs `policyLogps` [B, T] summed over `mask`; ℓ^ref: the frozen
///   starting model's `referenceLogps`, or none (reference-free: the term is then the paper code's
///   `no_ref` variant, DPO against a uniform reference).
/// Structure `.pairs`. The paper writes the policy term with a reference (its pd = log π/π_ref) and
/// its code defaults to it (`no_ref = False`), with β = τ = 0.1 and α = `dpo_ratio` = 0.2.
///
/// Metrics: `BradleyTerryRM`'s on r, `loss/reward`, `loss/policy` (the unweighted D2) and the policy
/// term's `rewards/*`, `logps/*` under `policy/`.
public struct HybridRewardModelLoss: Objective {
    /// α, the policy term's weight (≥ 0).
    public var alpha: Float
    /// β (the paper's τ), the scale of the policy log-ratio (> 0).
    public var beta: Float
    /// The code's `dpo_ratio` default.
    public static let defaultAlpha: Float = 0.2

    public init(alpha: Float = HybridRewardModelLoss.defaultAlpha, beta: Float = 0.1) {
        self.alpha = alpha
        self.beta = beta
    }

    public var name: String { "haf_rm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let (reward, m) = batch.readoutBradleyTerry("HybridRewardModelLoss", normalizer: normalizer)
        var logratio = batch.sequenceLogps
        if batch.referenceLogps != nil { logratio = batch.sequenceLogratios("HybridRewardModelLoss") }
        let (pc, pr) = Pairs.split(logratio)
        let policy = meanOverItems((-(pc - pr) * beta).softplus(), count: normalizer.items)
        var metrics = m
        metrics["loss/policy"] = policy.scalar
        let (lc, lr) = Pairs.split(batch.sequenceLogps.value)
        for (k, v) in preferenceMetrics(chosenRewards: pc.value * beta, rejectedRewards: pr.value * beta, chosenLogps: lc, rejectedLogps: lr) {
            metrics["policy/" + k] = v
        }
        return ObjectiveOutput(loss: reward + policy * alpha, metrics: metrics)
    }
}
