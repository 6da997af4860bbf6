// OREAL's policy loss: behaviour cloning on the positive samples, a reshaped policy gradient on the
// negative ones, each token weighted by a token-level reward model.
import Autograd
import Support
import TensorCore

/// OREAL, Lyu et al. 2025, arXiv 2502.06781. Under a binary outcome reward, behaviour cloning on
/// the correct (best-of-N) samples is the optimal update from positives; the negatives then need a
/// reshaped reward so their gradient stays consistent with it under the group's pass rate p. The
/// reference code (`InternLM/OREAL:train_oreal.py`, stage-4 loop) realises both with the
/// leave-one-out advantage A_i (estimator `rloo`: A⁺ ∝ (1 − p), A⁻ ∝ −p for ±1 outcomes) and:
///
///   L⁺ = λ⁺ Σ_{i: R_i>0} Σ_t m ω_t A_i (−ℓ_t) / N⁺       (BC, multiplied by A_i: `pos_mult_adv`)
///   L⁻ = −λ⁻ Σ_{i: R_i≤0} Σ_t m ω_t A_i ρ_t / N⁻,  ρ_t = exp(ℓ_t − ℓ^old_t)
///
/// N⁺ and N⁻ are the optimizer batch's positive and negative trained tokens (`Normalizer
/// .positiveTokens`; `tokens` − it), so each term is a token mean over its own side. ω_t
/// (`RolloutBatch.tokenWeights`; nil = 1) are the token RM's importance weights
/// (`OREALTokenWeights`): ω⁺ on positive rows, ω⁻ on negative ones. R_i is the row's total reward
/// (`RolloutBatch.tokenRewards`). ∂L/∂ℓ_t = −λ⁺ ω A/N⁺ on a positive token, −λ⁻ ω A ρ/N⁻ on a
/// negative one (ρ = 1 on-policy). As in the reference there is no clip (it takes one step per
/// batch); the log-ratio is clamped to [−20, 20] as in every loss here.
/// KL-as-loss (`kl_loss_coef`, k3 = the code's "unbias") is token-mean over all tokens, as the code's.
///
/// Defaults (the paper's 7B config): λ⁺ = 1, λ⁻ = 0.5, `pos_mult_adv` true; the KL coefficient
/// there is 0.01 (ours defaults to 0 like every loss; pass `kl_loss_coef`).
public struct OREALLoss: PolicyLoss {
    /// λ⁺ (`positive_loss_factor`).
    public var positiveFactor: Float
    /// λ⁻ (`negative_loss_factor`).
    public var negativeFactor: Float
    /// Multiply the BC term by A_i (`pos_mult_adv`).
    public var multiplyPositiveByAdvantage: Bool
    public var regularizers: PolicyRegularizers

    /// The paper's λ⁺, λ⁻ and `pos_mult_adv`: declared once, read by the initialiser, the registry
    /// card, the registry's fallbacks and `OnlineRLConfiguration`.
    public static let defaultPositiveFactor: Float = 1
    public static let defaultNegativeFactor: Float = 0.5
    public static let defaultMultiplyPositiveByAdvantage = true

    public init(positiveFactor: Float = defaultPositiveFactor, negativeFactor: Float = defaultNegativeFactor,
                multiplyPositiveByAdvantage: Bool = defaultMultiplyPositiveByAdvantage,
                regularizers: PolicyRegularizers = PolicyRegularizers()) throws {
        for (key, v) in [("positive_loss_factor", positiveFactor), ("negative_loss_factor", negativeFactor)] where !(v >= 0 && v.isFinite) {
            throw RLInputError.invalidSetting(key: key, value: "\(v)", reason: "expected a finite number ≥ 0")
        }
        self.positiveFactor = positiveFactor
        self.negativeFactor = negativeFactor
        self.multiplyPositiveByAdvantage = multiplyPositiveByAdvantage
        self.regularizers = regularizers
    }

    public var name: String { "oreal" }

    /// 1 on the trained tokens of rows whose total reward is > 0: [B, T].
    public static func positiveMask(_ batch: RolloutBatch) throws -> Tensor {
        let R = try batch.sequenceRewards(), T = batch.length
        var rows = [Float](repeating: 0, count: batch.rowCount * T)
        for (i, r) in R.enumerated() where r > 0 { for t in 0 ..< T { rows[i * T + t] = 1 } }
        return Tensor(shape: batch.mask.shape, data: rows) * batch.mask
    }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let mask = x.mask
        let positive = try Self.positiveMask(x.batch)
        let negative = mask - positive
        let omega: Tensor
        if let w = x.batch.tokenWeights {
            _ = try x.batch.finiteRows(w, "tokenWeights")
            omega = Masking.zeroed(w, mask: mask)
        } else {
            omega = mask
        }
        let localPositive = positive.sum().scalar
        let nPositive = max(normalizer.positiveTokens ?? localPositive, 1)
        let nNegative = max(normalizer.tokens.map { $0 - (normalizer.positiveTokens ?? localPositive) } ?? negative.sum().scalar, 1)
        let a = x.advantages
        let positiveCoefficient = positive * omega * (multiplyPositiveByAdvantage ? a : mask) * (positiveFactor / nPositive)
        let negativeCoefficient = negative * omega * a * (negativeFactor / nNegative)
        let ratio = x.logRatio.clamped(min: -20, max: 20).exp()
        let bc = (x.logps * positiveCoefficient).sum() * -1
        let reshaped = (ratio * negativeCoefficient).sum() * -1
        let metrics: [String: Float] = [
            MetricName.orealPositiveLoss: bc.scalar, MetricName.orealNegativeLoss: reshaped.scalar,
            MetricName.orealTokenWeight: maskedMean(omega, mask: mask),
        ]
        return (bc + reshaped, metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "oreal", aliases: [],
                         summary: "OREAL: behaviour cloning on positives, reshaped policy gradient on negatives, token weights from an online token RM",
                         arxiv: ["2502.06781"],
                         inputs: ["ℓ (differentiable)", "ℓ^old", "advantages (rloo)", "outcomes (total reward > 0)", "token weights ω (online token RM)"],
                         defaults: regularizerDefaults.merging([
                             "positive_loss_factor": "\(defaultPositiveFactor)", "negative_loss_factor": "\(defaultNegativeFactor)",
                             "pos_mult_adv": "\(defaultMultiplyPositiveByAdvantage)",
                             "loss_agg_mode": "token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try OREALLoss(positiveFactor: s.positiveLossFactor ?? defaultPositiveFactor,
                          negativeFactor: s.negativeLossFactor ?? defaultNegativeFactor,
                          multiplyPositiveByAdvantage: s.positiveMultipliedByAdvantage ?? defaultMultiplyPositiveByAdvantage,
                          regularizers: s.regularizers(defaultAggregation: .tokenMean))
        })
}

extension MetricName {
    /// OREAL's behaviour-cloning term L⁺ and reshaped negative term L⁻ (the reference code's
    /// `positive_loss`, `negative_loss`), and the mean token weight ω over trained tokens.
    public static let orealPositiveLoss = "oreal/positive_loss"
    public static let orealNegativeLoss = "oreal/negative_loss"
    public static let orealTokenWeight = "oreal/token_weight_mean"
}
