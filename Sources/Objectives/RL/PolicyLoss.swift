// Policy losses: one protocol, one settings struct, one registry, and the terms every policy loss
// shares (KL-as-loss, entropy bonus, metrics). Losses are minimised and differentiable in the
// policy log-probs ℓ; advantages, old/reference/rollout log-probs are constants.
import Autograd
import Support
import TensorCore

/// What a policy loss reads.
public struct PolicyLossInput {
    /// ℓ_t = log π_θ(y_t | s_t): [B, T], differentiable.
    public var logps: Variable
    /// A_t: [B, T] (constants; from an `AdvantageEstimator`).
    public var advantages: Tensor
    /// Mask, ℓ^old, ℓ^ref, ℓ^μ (the other fields are not read here).
    public var batch: RolloutBatch
    /// H_t: [B, T], differentiable (from the policy logits), for the entropy bonus.
    public var entropy: Variable?
    /// The full-vocabulary KL to the reference in the loss's `referenceKLDirection`: [B, T],
    /// differentiable, for losses that anchor the whole next-token distribution rather than the
    /// sampled token's log-ratio (Quark).
    public var referenceKL: Variable?

    public init(logps: Variable, advantages: Tensor, batch: RolloutBatch, entropy: Variable? = nil, referenceKL: Variable? = nil) {
        self.logps = logps
        self.advantages = advantages
        self.batch = batch
        self.entropy = entropy
        self.referenceKL = referenceKL
    }
}

/// The checked inputs a policy-gradient term works on. Every masked entry is 0 (so nothing written
/// into a masked position can reach a value or a gradient).
public struct PolicyGradientInputs {
    /// ℓ, 0 at masked positions: [B, T].
    public let logps: Variable
    /// ℓ^old, 0 at masked positions: [B, T]. Without `RolloutBatch.oldLogps` this is ℓ's own value
    /// (the first, on-policy step: ρ ≡ 1, as TRL does with `num_iterations = 1`).
    public let oldLogps: Tensor
    /// A, 0 at masked positions: [B, T].
    public let advantages: Tensor
    public let mask: Tensor
    public let batch: RolloutBatch
    /// H, 0 at masked positions: [B, T], differentiable, when the input has one (EM-FT's loss).
    public let entropy: Variable?
    /// The full-vocabulary KL to the reference, 0 at masked positions: [B, T], differentiable, when
    /// the input has one (Quark's loss).
    public let referenceKL: Variable?

    init(_ input: PolicyLossInput, method: String) throws {
        let batch = input.batch, mask = batch.mask
        guard input.logps.shape == mask.shape else { throw RLInputError.shape(field: "logps", got: input.logps.shape, expected: mask.shape) }
        guard input.advantages.shape == mask.shape else {
            throw RLInputError.shape(field: "advantages", got: input.advantages.shape, expected: mask.shape)
        }
        _ = try batch.finiteRows(input.logps.value, "logps")
        _ = try batch.finiteRows(input.advantages, "advantages")
        logps = Masking.zeroed(input.logps, mask: mask)
        if let old = batch.oldLogps {
            _ = try batch.finiteRows(old, "oldLogps")
            oldLogps = Masking.zeroed(old, mask: mask)
        } else {
            oldLogps = logps.value
        }
        advantages = Masking.zeroed(input.advantages, mask: mask)
        if let h = input.entropy, h.shape == mask.shape {
            _ = try batch.finiteRows(h.value, "entropy")
            entropy = Masking.zeroed(h, mask: mask)
        } else {
            entropy = nil
        }
        if let kl = input.referenceKL {
            guard kl.shape == mask.shape else { throw RLInputError.shape(field: "referenceKL", got: kl.shape, expected: mask.shape) }
            _ = try batch.finiteRows(kl.value, "referenceKL")
            referenceKL = Masking.zeroed(kl, mask: mask)
        } else {
            referenceKL = nil
        }
        self.mask = mask
        self.batch = batch
    }

    /// δ_t = ℓ_t − ℓ^old_t (differentiable), 0 at masked positions.
    var logRatio: Variable { logps - oldLogps }
}

/// The terms every policy loss can add to its policy-gradient term.
public struct PolicyRegularizers: Sendable, Equatable {
    /// How per-token terms (the policy gradient where it is per-token, the KL loss, the entropy bonus)
    /// are aggregated.
    public var aggregation: LossAggregation
    /// β of KL-as-loss, β · agg(k(ℓ, ℓ^ref)) (GRPO, arXiv 2402.03300: β = 0.04 with k3; verl
    /// `kl_loss_coef` 0.001; TRL and DAPO: 0, off).
    public var klCoefficient: Float
    /// The KL estimator of KL-as-loss (k3 = verl `low_var_kl`, TRL GRPO).
    public var klEstimator: KLEstimator
    /// c_H of the entropy bonus −c_H · agg(H) (verl `entropy_coeff`, default 0).
    public var entropyCoefficient: Float

    public init(aggregation: LossAggregation = .tokenMean, klCoefficient: Float = 0, klEstimator: KLEstimator = .k3,
                entropyCoefficient: Float = 0) {
        self.aggregation = aggregation
        self.klCoefficient = klCoefficient
        self.klEstimator = klEstimator
        self.entropyCoefficient = entropyCoefficient
    }
}

/// A policy loss: a policy-gradient term plus the shared regularisers.
public protocol PolicyLoss: Sendable {
    /// The registry's canonical name.
    var name: String { get }
    var regularizers: PolicyRegularizers { get }
    /// Whether the trainer must pass a differentiable entropy even without an entropy bonus.
    var needsEntropy: Bool { get }
    /// The full-vocabulary KL to the reference the trainer must pass (`referenceKL`); nil: none.
    var referenceKLDirection: KLDirection? { get }
    /// The policy-gradient term (a scalar, already aggregated with `normalizer`) and its metrics.
    func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float])
}

extension PolicyLoss {
    public var needsEntropy: Bool { false }
    public var referenceKLDirection: KLDirection? { nil }

    /// loss = pg + β · agg(k(ℓ, ℓ^ref)) − c_H · agg(H).
    ///
    /// Metrics (this micro-batch; token means over trained tokens): `loss`, `pg_loss`, `ppo_kl`
    /// (mean ℓ^old − ℓ, verl), `kl` (mean k(ℓ, ℓ^ref) when ℓ^ref is given, TRL), `entropy` (when an
    /// entropy is given), plus the loss's own (`clip_ratio/…` under TRL's names).
    /// - Throws: `RLInputError` for shape mismatches, non-finite inputs at trained positions (naming
    ///   the row), or inputs the settings need but the batch lacks.
    public func compute(_ input: PolicyLossInput, normalizer: Normalizer = .local) throws -> ObjectiveOutput {
        let x = try PolicyGradientInputs(input, method: name)
        let mask = x.mask
        var (loss, metrics) = try policyGradient(x, normalizer: normalizer)
        metrics[MetricName.pgLoss] = loss.scalar
        metrics[MetricName.ppoKL] = maskedMean(x.oldLogps - x.logps.value, mask: mask)
        let r = regularizers
        let reduction = r.aggregation.reduction
        if let ref = input.batch.referenceLogps {
            _ = try input.batch.finiteRows(ref, "referenceLogps")
            let kl = Masking.zeroed(r.klEstimator(x.logps, Masking.zeroed(ref, mask: mask)), mask: mask)
            metrics[MetricName.kl] = maskedMean(kl.value, mask: mask)
            if r.klCoefficient != 0 { loss = loss + reduce(kl, mask: mask, reduction, normalizer: normalizer) * r.klCoefficient }
        } else if r.klCoefficient != 0 {
            throw RLInputError.missing(field: "referenceLogps (KL loss coefficient \(r.klCoefficient))", method: name)
        }
        if let h = input.entropy {
            guard h.shape == mask.shape else { throw RLInputError.shape(field: "entropy", got: h.shape, expected: mask.shape) }
            _ = try input.batch.finiteRows(h.value, "entropy")
            let hz = Masking.zeroed(h, mask: mask)
            metrics[MetricName.entropy] = maskedMean(hz.value, mask: mask)
            if r.entropyCoefficient != 0 {
                loss = loss - reduce(hz, mask: mask, reduction, normalizer: normalizer) * r.entropyCoefficient
            }
        } else {
            if let h = input.batch.entropies { metrics[MetricName.entropy] = maskedMean(h, mask: mask) }
            if r.entropyCoefficient != 0 {
                throw RLInputError.missing(field: "a differentiable entropy (entropy coefficient \(r.entropyCoefficient))", method: name)
            }
        }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}

/// Per-micro-batch clip fractions under TRL's GRPO names (`huggingface/trl:trl/trainer/grpo_trainer.py`):
/// low = clipped from below with A < 0, high = clipped from above with A > 0, region = either.
/// - Parameters: boolean [B, T] tensors (1 = clipped).
func clipMetrics(low: Tensor, high: Tensor, mask: Tensor) -> [String: Float] {
    [
        MetricName.clipRatioLow: maskedMean(low, mask: mask),
        MetricName.clipRatioHigh: maskedMean(high, mask: mask),
        MetricName.clipRatioRegion: maskedMean((low + high).clamped(max: 1), mask: mask),
    ]
}

/// Sign of each entry (−1, 0, 1).
func signs(_ t: Tensor) -> Tensor { t.greater(Tensor(0)) - t.less(Tensor(0)) }

extension MetricName {
    /// The policy-gradient term alone (verl `actor/pg_loss`).
    public static let pgLoss = "pg_loss"
    /// Mean of ℓ^old − ℓ over trained tokens (verl `actor/ppo_kl`).
    public static let ppoKL = "ppo_kl"
    /// Mean token entropy over trained tokens.
    public static let entropy = "entropy"
    /// TRL GRPO: fraction of trained tokens clipped from below (A < 0, ρ < 1 − ε_low).
    public static let clipRatioLow = "clip_ratio/low_mean"
    /// TRL GRPO: fraction clipped from above (A > 0, ρ > 1 + ε_high).
    public static let clipRatioHigh = "clip_ratio/high_mean"
    /// TRL GRPO: fraction clipped either way.
    public static let clipRatioRegion = "clip_ratio/region_mean"
    /// verl `actor/pg_clipfrac_lower`: fraction of trained tokens where dual-clip binds (A < 0, ρ > c).
    public static let dualClipFraction = "pg_clipfrac_lower"
    /// Value loss (½ · aggregated clipped squared error) and its clip fraction (verl `critic/vf_loss`,
    /// `critic/vf_clipfrac`).
    public static let vfLoss = "vf_loss"
    public static let vfClipFraction = "vf_clipfrac"
    /// Importance weights of the rollout correction (TRL `sampling/importance_sampling_ratio/*`).
    public static let isRatioMean = "sampling/importance_sampling_ratio/mean"
    public static let isRatioMax = "sampling/importance_sampling_ratio/max"
    /// Fraction of trained tokens whose weight the `mask` mode zeroed.
    public static let isMaskedFraction = "sampling/importance_sampling_ratio/masked_fraction"
}
