// Per-token KL estimators between the policy and the reference, and KL-in-reward shaping.
import Autograd
import Support
import TensorCore

/// Schulman's per-sampled-token estimators of KL(π‖π_ref) ("Approximating KL divergence", 2020),
/// with verl's names as aliases (`volcengine/verl:verl/trainer/ppo/core_algos.py`, `kl_penalty`).
/// Δ = ℓ − ℓ^ref:
/// - k1 = Δ (verl `kl`; TRL PPO's default), ∂/∂ℓ = 1;
/// - k2 = ½Δ² (verl `mse`), ∂/∂ℓ = Δ;
/// - k3 = e^{−Δ} + Δ − 1 (verl `low_var_kl`, TRL GRPO's KL loss), ∂/∂ℓ = 1 − e^{−Δ}. Non-negative and
///   unbiased for KL(π‖π_ref) under samples from π. As verl, the input −Δ is clamped to [−20, 20]
///   and the output to [−10, 10] so one stray token cannot blow up the loss (the clamps pass no
///   gradient outside their range).
public enum KLEstimator: String, Sendable, CaseIterable {
    case k1, k2, k3

    /// Accepts our names and verl's (`kl`, `mse`, `low_var_kl`).
    public init(name: String) throws {
        switch name {
        case "k1", "kl": self = .k1
        case "k2", "mse": self = .k2
        case "k3", "low_var_kl": self = .k3
        default: throw RLInputError.invalidSetting(key: "kl estimator", value: name, reason: "expected k1, k2 or k3 (kl, mse, low_var_kl)")
        }
    }

    /// Per-token estimate for constants (in-reward shaping, metrics).
    public func callAsFunction(_ logps: Tensor, _ referenceLogps: Tensor) -> Tensor {
        withoutGradients { self(Variable(logps), referenceLogps).value }
    }

    /// Per-token estimate, differentiable in the policy log-probs (KL as a loss).
    public func callAsFunction(_ logps: Variable, _ referenceLogps: Tensor) -> Variable {
        switch self {
        case .k1:
            return logps - referenceLogps
        case .k2:
            return (logps - referenceLogps).squared() * 0.5
        case .k3:
            let x = (referenceLogps - logps).clamped(min: -20, max: 20)  // −Δ
            return (x.exp() - x - 1).clamped(min: -10, max: 10)
        }
    }
}

/// KL-in-reward shaping: r_t ← r_t − β · k(ℓ^old_t, ℓ^ref_t) at trained tokens, with the detached
/// ℓ^old (PPO for LMs: Ziegler et al. 2019, arXiv 1909.08593; InstructGPT, arXiv 2203.02155;
/// `volcengine/verl:verl/trainer/ppo/ray_trainer.py` `apply_kl_penalty`). RLOO and REINFORCE++ put
/// the KL into the reward the same way before estimating advantages.
public enum KLPenalty {
    /// - Returns: the shaped token rewards ([B, T], 0 at masked positions) and the batch's mean KL
    ///   (mean over rows of the per-row token mean, verl's `actor/reward_kl_penalty`), the value an
    ///   adaptive controller is updated with.
    /// - Throws: `RLInputError` when ℓ^old or ℓ^ref is missing or non-finite at a trained token.
    public static func rewards(_ batch: RolloutBatch, coefficient beta: Float,
                               estimator: KLEstimator = .k1) throws -> (rewards: Tensor, meanKL: Float) {
        let method = "KL-in-reward"
        guard let oldLogps = batch.oldLogps else { throw RLInputError.missing(field: "oldLogps", method: method) }
        guard let referenceLogps = batch.referenceLogps else { throw RLInputError.missing(field: "referenceLogps", method: method) }
        _ = try batch.finiteRows(oldLogps, "oldLogps")
        _ = try batch.finiteRows(referenceLogps, "referenceLogps")
        _ = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        let m = batch.mask
        let old = Masking.zeroed(oldLogps, mask: m)
        let ref = Masking.zeroed(referenceLogps, mask: m)
        let kl = Masking.zeroed(estimator(old, ref), mask: m)
        let shaped = Masking.zeroed(batch.tokenRewards, mask: m) - kl * beta
        let perRow = kl.sum(axis: 1) / Masking.clampedLengths(m)
        return (Masking.zeroed(shaped, mask: m), perRow.mean().scalar)
    }
}
