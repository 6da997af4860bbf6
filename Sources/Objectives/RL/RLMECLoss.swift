// RLMEC's token-level policy objective: each token's clipped importance-weighted reward as its weight.
import Autograd
import Support
import TensorCore

/// RLMEC's token-level RL term, Chen et al. 2024, arXiv 2401.06081, as the authors' training code
/// has it (`RUCAIBox/RLMEC`, `train/train_rlmec.py`): with ρ_t = exp(ℓ_t − ℓ^old_t) and A_t the
/// token's reward (the `rlmec` estimator),
///   w_t = min(ρ_t A_t, clip(ρ_t, 1 − ε_low, 1 + ε_high) A_t)      (held constant)
///   ∂L/∂ℓ_t = −w_t × the aggregation weight,
/// i.e. REINFORCE on the sampled token with a clipped importance weight. Unlike PPO the clip does
/// not zero the gradient: where it binds (A > 0 ∧ ρ > 1 + ε_high, or A < 0 ∧ ρ < 1 − ε_low) the
/// token still gets the bound c = 1 ± ε times its reward, so a token the policy has already moved
/// keeps being pushed, at a capped rate.
///
/// The authors write the loss as −sg[w_t] ℓ_t, whose value is not a function of ℓ (w reads ℓ's
/// value). We use the per-token potential with exactly that gradient, L_t = −A_t φ(ρ_t):
///   φ(ρ) = ρ                        where the bound does not bind (PPO's surrogate there),
///   φ(ρ) = c (1 + log ρ − log c)    where it binds (linear in ℓ, continuous with slope c at ρ = c),
/// so the value is meaningful (−A at ρ = 1, PPO's) and finite differences check the gradient.
///
/// Choices (docs/design/online-rl.md §18): ε_low = ε_high = 0.3 (the code's `epsilon`); the ratio is
/// taken to ℓ^old, the policy that sampled the batch (offline, the authors' sampler is the SFT model,
/// so their ratio to the SFT model is the same ratio); the KL to the SFT model is the shared
/// `kl_loss_coef` term; the default aggregation is `token-mean` over the trained tokens (the code
/// divides by the number of tokens with a non-zero reward, which has no value on a batch of zeros).
public struct RLMECLoss: PolicyLoss {
    public var clipLow: Float
    public var clipHigh: Float
    public var regularizers: PolicyRegularizers

    /// The code's ε.
    public static let defaultClip: Float = 0.3

    public init(clipLow: Float = RLMECLoss.defaultClip, clipHigh: Float = RLMECLoss.defaultClip, regularizers: PolicyRegularizers = PolicyRegularizers()) throws {
        try validateClip(low: clipLow, high: clipHigh)
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.regularizers = regularizers
    }

    public var name: String { "rlmec" }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let a = x.advantages, mask = x.mask
        let delta = x.logRatio.clamped(min: -20, max: 20)
        let ratio = delta.exp()
        let rho = ratio.value
        let positive = a.greater(Tensor(0)), negative = a.less(Tensor(0))
        let high = rho.greater(Tensor(1 + clipHigh)) * positive
        let low = rho.less(Tensor(1 - clipLow)) * negative
        // c = 1 + ε_high on a positive token, 1 − ε_low elsewhere (only read where the bound binds).
        let bound = positive * (clipHigh + clipLow) + (1 - clipLow)
        let linear = (delta + (1 - bound.log())) * bound
        let phi = Variable.select(high + low, linear, ratio)
        let perToken = Variable(-a) * phi
        let loss = reduce(perToken, mask: mask, regularizers.aggregation.reduction, normalizer: normalizer)
        return (loss, clipMetrics(low: low, high: high, mask: mask))
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "rlmec",
                         summary: "RLMEC: REINFORCE on each token with weight min(ρA, clip(ρ, 1 ± ε)A); the clip caps the weight, never zeroes it",
                         arxiv: ["2401.06081"],
                         inputs: ["ℓ (differentiable)", "ℓ^old", "advantages (the token rewards: estimator rlmec)", "ℓ^ref (KL loss)"],
                         defaults: regularizerDefaults.merging([
                             "clip_ratio_low": "0.3", "clip_ratio_high": "0.3", "loss_agg_mode": "token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try RLMECLoss(clipLow: s.clipLow ?? RLMECLoss.defaultClip, clipHigh: s.clipHigh ?? RLMECLoss.defaultClip,
                          regularizers: s.regularizers(defaultAggregation: .tokenMean))
        })
}
