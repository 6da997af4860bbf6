// The PPO clipped surrogate with clip-higher and dual-clip.
import Autograd
import Support
import TensorCore

/// PPO's clipped surrogate per token, Schulman et al. 2017, arXiv 1707.06347, with separate bounds
/// (DAPO's clip-higher, arXiv 2503.14476):
///   L_t = max(−A_t ρ_t, −A_t clip(ρ_t, 1 − ε_low, 1 + ε_high)),   ρ_t = exp(ℓ_t − ℓ^old_t),
/// and optionally dual-clip for A_t < 0 (Ye et al. 2019, arXiv 1912.09729; verl `clip_ratio_c`):
///   L_t = min(L_t, −A_t c),  c > 1,
/// so a very unlikely-now negative token cannot give an unbounded loss. ∂L_t/∂ℓ_t = −A_t ρ_t, and 0
/// where the clip binds: A > 0 ∧ ρ > 1 + ε_high, A < 0 ∧ ρ < 1 − ε_low, or (dual-clip) A < 0 ∧ ρ > c.
/// At ρ = 1 the gradient is −A_t times the aggregation weight. As verl
/// (`volcengine/verl:verl/trainer/ppo/core_algos.py`, `compute_policy_loss_vanilla`), the log-ratio
/// is clamped to [−20, 20] before exp.
///
/// Defaults: ε_low = ε_high = 0.2 (PPO; DAPO uses ε_high = 0.28), dual-clip off (verl always applies
/// it with c = 3), aggregation `token-mean`.
public struct PPOLoss: PolicyLoss {
    public var clipLow: Float
    public var clipHigh: Float
    /// c of dual-clip, nil = off.
    public var dualClip: Float?
    public var regularizers: PolicyRegularizers

    public init(clipLow: Float = 0.2, clipHigh: Float = 0.2, dualClip: Float? = nil,
                regularizers: PolicyRegularizers = PolicyRegularizers()) throws {
        try validateClip(low: clipLow, high: clipHigh)
        if let c = dualClip, !(c > 1) {
            throw RLInputError.invalidSetting(key: "clip_ratio_c", value: "\(c)", reason: "dual-clip needs c > 1")
        }
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.dualClip = dualClip
        self.regularizers = regularizers
    }

    public var name: String { "ppo" }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let a = x.advantages, mask = x.mask
        let ratio = x.logRatio.clamped(min: -20, max: 20).exp()
        let negA = Variable(-a)
        let unclipped = negA * ratio
        let clipped = negA * ratio.clamped(min: 1 - clipLow, max: 1 + clipHigh)
        var perToken = unclipped.maximum(clipped)
        let negative = a.less(Tensor(0))
        let rho = ratio.value
        var metrics = clipMetrics(low: rho.less(Tensor(1 - clipLow)) * negative,
                                  high: rho.greater(Tensor(1 + clipHigh)) * a.greater(Tensor(0)), mask: mask)
        if let c = dualClip {
            let bound = Variable(-a * c)
            perToken = Variable.select(negative, perToken.minimum(bound), perToken)
            metrics[MetricName.dualClipFraction] = maskedMean(rho.greater(Tensor(c)) * negative, mask: mask)
        }
        let loss = reduce(perToken, mask: mask, regularizers.aggregation.reduction, normalizer: normalizer)
        return (loss, metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "ppo", aliases: ["vanilla"],
                         summary: "PPO clipped surrogate; clip-higher (ε_low, ε_high) and optional dual-clip",
                         arxiv: ["1707.06347", "2503.14476", "1912.09729"],
                         inputs: ["ℓ (differentiable)", "ℓ^old", "advantages", "ℓ^ref (KL loss)"],
                         defaults: regularizerDefaults.merging([
                             "clip_ratio_low": "0.2", "clip_ratio_high": "0.2", "dual_clip": "false",
                             "clip_ratio_c": "3.0", "loss_agg_mode": "token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try PPOLoss(clipLow: s.clipLow ?? 0.2, clipHigh: s.clipHigh ?? 0.2,
                        dualClip: (s.dualClip ?? false) ? (s.dualClipBound ?? 3) : nil,
                        regularizers: s.regularizers(defaultAggregation: .tokenMean))
        })
}
