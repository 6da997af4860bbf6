// Group sequence policy optimisation: a sequence-level, length-normalised importance ratio.
import Autograd
import Support
import TensorCore

/// GSPO, Zheng et al. 2025, arXiv 2507.18071. The importance ratio is the sequence's geometric
/// mean ratio s_i = exp((1/|y_i|) Σ_t m (ℓ_t − ℓ^old_t)), clipped like PPO's token ratio, so a whole
/// response is kept or clipped together. The token-level form of the paper (GSPO-token, eq. 13),
///   s_{i,t} = sg[s_i] · π_θ(y_t)/sg[π_θ(y_t)],  i.e. log s_{i,t} = sg[log s_i] + ℓ_t − sg[ℓ_t],
/// has s_i's value and lets each token carry its own advantage; with A_{i,t} = A_i it equals
/// sequence-level GSPO in value, clipping and gradient (∂/∂ℓ_t = −A_i s_i · w_t where unclipped).
///   L_{i,t} = max(−A_{i,t} s_{i,t}, −A_{i,t} clip(s_{i,t}, 1 − ε_low, 1 + ε_high)),
/// aggregated `seq-mean-token-mean` (as the paper and verl). As
/// `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_policy_loss_gspo`), log s_{i,t} is
/// clamped at 10 before exp. Ratios near 1 per sequence make the clip range tiny: defaults
/// ε_low = 3e-4, ε_high = 4e-4 (the paper's).
public struct GSPOLoss: PolicyLoss {
    public var clipLow: Float
    public var clipHigh: Float
    public var regularizers: PolicyRegularizers

    public init(clipLow: Float = 3e-4, clipHigh: Float = 4e-4,
                regularizers: PolicyRegularizers = PolicyRegularizers(aggregation: .seqMeanTokenMean)) throws {
        try validateClip(low: clipLow, high: clipHigh)
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.regularizers = regularizers
    }

    public var name: String { "gspo" }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let a = x.advantages, mask = x.mask
        let B = mask.shape[0]
        // sg[log s_i]: the mean log-ratio of each sequence, a constant [B, 1].
        let meanLogRatio = Masking.rowSum(x.logps.value - x.oldLogps, mask: mask) / Masking.clampedLengths(mask)
        let logS = (x.logps - x.logps.value + meanLogRatio.reshaped([B, 1])).clamped(max: 10)
        let s = logS.exp()
        let negA = Variable(-a)
        let perToken = (negA * s).maximum(negA * s.clamped(min: 1 - clipLow, max: 1 + clipHigh))
        let sv = s.value
        let metrics = clipMetrics(low: sv.less(Tensor(1 - clipLow)) * a.less(Tensor(0)),
                                  high: sv.greater(Tensor(1 + clipHigh)) * a.greater(Tensor(0)), mask: mask)
        return (reduce(perToken, mask: mask, regularizers.aggregation.reduction, normalizer: normalizer), metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "gspo", aliases: ["gspo-token"],
                         summary: "Sequence-level geometric-mean ratio with token-level straight-through (GSPO-token)",
                         arxiv: ["2507.18071"], inputs: ["ℓ (differentiable)", "ℓ^old", "advantages"],
                         defaults: regularizerDefaults.merging([
                             "clip_ratio_low": "3e-4", "clip_ratio_high": "4e-4", "loss_agg_mode": "seq-mean-token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try GSPOLoss(clipLow: s.clipLow ?? 3e-4, clipHigh: s.clipHigh ?? 4e-4,
                         regularizers: s.regularizers(defaultAggregation: .seqMeanTokenMean))
        })
}
