// Geometric-mean policy optimisation.
import Autograd
import Support
import TensorCore

/// GMPO, Zhao et al. 2025, arXiv 2507.20673: the arithmetic mean of token ratios in GRPO is replaced
/// by their geometric mean, which outlier tokens move less, so a wider clip is safe. Clipping is in
/// log space and pessimistic by the sign of the sequence advantage Ā_i:
///   δ_t = ℓ_t − ℓ^old_t,   c_t = min(δ_t, ε_high) if Ā_i > 0,   max(δ_t, −ε_low) if Ā_i < 0,
///   ρ̄_i = exp(Σ_t m c_t / |y_i|),   L_i = −Ā_i ρ̄_i,   L = Σ_i L_i / N,
/// with Ā_i the token mean of A over the response (GMPO supports sequence-level advantages only),
/// as `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_policy_loss_geo_mean`) and
/// `callsys/GMPO:train_zero_math_gmpo.py`. ∂L_i/∂ℓ_t = −Ā_i ρ̄_i m_t 1[unclipped]/|y_i|: every
/// unclipped token of a response gets the same gradient. The policy-gradient term is always a mean
/// over sequences (N = `Normalizer.sequences`); the aggregation setting applies to the KL and
/// entropy terms. Defaults ε_low = ε_high = 0.4 (the paper's, TRL's experimental GMPO).
public struct GMPOLoss: PolicyLoss {
    public var clipLow: Float
    public var clipHigh: Float
    public var regularizers: PolicyRegularizers

    public init(clipLow: Float = 0.4, clipHigh: Float = 0.4, regularizers: PolicyRegularizers = PolicyRegularizers()) throws {
        guard clipLow >= 0, clipHigh >= 0 else {
            throw RLInputError.invalidSetting(key: "clip_ratio_low/high", value: "\(clipLow)/\(clipHigh)", reason: "log-space clip bounds must be ≥ 0")
        }
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.regularizers = regularizers
    }

    public var name: String { "gmpo" }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let mask = x.mask
        let B = mask.shape[0]
        let lengths = Masking.clampedLengths(mask)
        let seqAdvantage = Masking.rowSum(x.advantages, mask: mask) / lengths  // Ā_i: [B]
        let sign = signs(seqAdvantage).reshaped([B, 1])
        let delta = x.logRatio
        let clippedDelta = delta.clamped(min: -clipLow, max: clipHigh)
        // sgn · min(sgn·δ, sgn·clip(δ)): c_t above, and 0 when Ā_i = 0.
        let c = (delta * sign).minimum(clippedDelta * sign) * sign
        let ratio = (Masking.rowSum(c, mask: mask) / lengths).exp()  // ρ̄_i: [B]
        let perSequence = ratio * (-seqAdvantage)
        let loss = meanOverItems(perSequence, count: normalizer.sequences)
        let dv = delta.value
        let clipped = dv.notEqual(clippedDelta.value)
        let a = x.advantages
        let metrics = clipMetrics(low: clipped * a.less(Tensor(0)), high: clipped * a.greater(Tensor(0)), mask: mask)
        return (loss, metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "gmpo", aliases: ["geo_mean"],
                         summary: "Geometric mean of token ratios, log-space clip by the advantage's sign",
                         arxiv: ["2507.20673"], inputs: ["ℓ (differentiable)", "ℓ^old", "sequence advantages"],
                         defaults: regularizerDefaults.merging([
                             "clip_ratio_low": "0.4", "clip_ratio_high": "0.4", "loss_agg_mode": "token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try GMPOLoss(clipLow: s.clipLow ?? 0.4, clipHigh: s.clipHigh ?? 0.4,
                         regularizers: s.regularizers(defaultAggregation: .tokenMean))
        })
}
