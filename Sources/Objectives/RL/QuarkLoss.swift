// Quark's learning step: reward-conditioned maximum likelihood on a quantised data pool, anchored to
// the reference by a full-vocabulary KL.
import Autograd
import Support
import TensorCore

/// Quark, Lu et al. 2022, arXiv 2205.13636 ("Quark: Controllable Text Generation with Reinforced
/// [Un]learning"). Samples are kept in a pool, sorted by reward into K quantiles, and each is
/// trained on with its quantile's control prefix r_k in front of the prompt:
///
///   L = agg_t( −log π_θ(y_t | r_k, x, y_<t) + β · KL_t − α · H_t ),
///   KL_t = KL(π_θ(· | r_k, x, y_<t) ‖ π_ref(· | x, y_<t))   (`reverse`, the reference code's)
///       or KL(π_ref ‖ π_θ)                                   (`forward`, as the paper writes it),
///
/// over the whole vocabulary at every response position, with the reference reading the prompt
/// *without* the control prefix (`PolicyLossInput.referenceKL`, computed by the trainer,
/// docs/design/online-rl.md §13.3); H_t is the policy's entropy there. The reference code
/// (`GXimingLu/Quark:main.py`, `loss`) takes the token mean of all three terms with β = 0.05 and
/// α = 0.06. Advantages are not read: the reward enters through which quantile's prefix a sample
/// is trained under, and at sampling time through the best prefix. ∂L/∂ℓ_t = −m_t/N (token mean).
public struct QuarkLoss: PolicyLoss {
    /// β of the KL term (`quark_kl_coef`).
    public var klCoefficient: Float
    /// α of the entropy bonus (`quark_entropy_coef`).
    public var entropyCoefficient: Float
    public var klDirection: KLDirection
    public var regularizers: PolicyRegularizers

    /// The reference code's β, α and KL direction: declared once, read by the initialiser, the
    /// registry card, the registry's fallbacks and `OnlineRLConfiguration`.
    public static let defaultKLCoefficient: Float = 0.05
    public static let defaultEntropyCoefficient: Float = 0.06
    public static let defaultKLDirection = KLDirection.reverse

    public init(klCoefficient: Float = defaultKLCoefficient, entropyCoefficient: Float = defaultEntropyCoefficient,
                klDirection: KLDirection = defaultKLDirection,
                regularizers: PolicyRegularizers = PolicyRegularizers()) throws {
        for (key, v) in [("quark_kl_coef", klCoefficient), ("quark_entropy_coef", entropyCoefficient)] where !(v >= 0 && v.isFinite) {
            throw RLInputError.invalidSetting(key: key, value: "\(v)", reason: "expected a finite number ≥ 0")
        }
        guard regularizers.entropyCoefficient == 0 else {
            throw RLInputError.invalidSetting(key: "entropy_coeff", value: "\(regularizers.entropyCoefficient)",
                                              reason: "quark has its own entropy term (quark_entropy_coef); use 0")
        }
        self.klCoefficient = klCoefficient
        self.entropyCoefficient = entropyCoefficient
        self.klDirection = klDirection
        self.regularizers = regularizers
    }

    public var name: String { "quark" }
    public var needsEntropy: Bool { entropyCoefficient > 0 }
    public var referenceKLDirection: KLDirection? { klCoefficient > 0 ? klDirection : nil }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let reduction = regularizers.aggregation.reduction
        var loss = reduce(x.logps * -1, mask: x.mask, reduction, normalizer: normalizer)
        var metrics: [String: Float] = [MetricName.quarkNLL: loss.scalar]
        if klCoefficient > 0 {
            guard let kl = x.referenceKL else { throw RLInputError.missing(field: "referenceKL (quark_kl_coef \(klCoefficient))", method: name) }
            loss = loss + reduce(kl, mask: x.mask, reduction, normalizer: normalizer) * klCoefficient
            metrics[MetricName.quarkKL] = maskedMean(kl.value, mask: x.mask)
        }
        if entropyCoefficient > 0 {
            guard let h = x.entropy else { throw RLInputError.missing(field: "a differentiable entropy (quark_entropy_coef \(entropyCoefficient))", method: name) }
            loss = loss - reduce(h, mask: x.mask, reduction, normalizer: normalizer) * entropyCoefficient
        }
        return (loss, metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "quark", aliases: [],
                         summary: "Quark: NLL of pool samples behind their reward-quantile prefix (quark_quantiles, default 5) + β·KL to π_ref over the vocabulary − α·H; rollouts behind the best prefix",
                         arxiv: ["2205.13636"],
                         inputs: ["ℓ (differentiable, prompt with the quantile prefix)", "full-vocabulary KL to the reference (prompt without it)",
                                  "a reward per sample (quantiles over the pool)"],
                         defaults: regularizerDefaults.merging([
                             "quark_kl_coef": "\(defaultKLCoefficient)", "quark_entropy_coef": "\(defaultEntropyCoefficient)",
                             "quark_kl_direction": defaultKLDirection.rawValue,
                             "loss_agg_mode": "token-mean",
                         ]) { a, _ in a }),
        make: { s in
            try QuarkLoss(klCoefficient: s.quarkKLCoefficient ?? defaultKLCoefficient,
                          entropyCoefficient: s.quarkEntropyCoefficient ?? defaultEntropyCoefficient,
                          klDirection: s.quarkKLDirection ?? defaultKLDirection, regularizers: s.regularizers(defaultAggregation: .tokenMean))
        })
}

/// Which full-vocabulary KL a loss anchors the policy π_θ to the reference π_ref with.
public enum KLDirection: String, Sendable, CaseIterable {
    /// KL(π_θ ‖ π_ref), mode-seeking.
    case reverse
    /// KL(π_ref ‖ π_θ), mass-covering.
    case forward

    /// KL_t per position: [B, T] from policy logits [B, T, V] (differentiable) and constant
    /// reference logits [B, T, V]; masked positions give 0 and pass no gradient.
    public func divergence(policyLogits: Variable, referenceLogits: Tensor, mask: Tensor) -> Variable {
        switch self {
        case .forward: return TokenDivergence.forwardKL(policyLogits: policyLogits, referenceLogits: referenceLogits, mask: mask)
        case .reverse: return TokenDivergence.reverseKL(policyLogits: policyLogits, targetLogProbabilities: referenceLogits.logSoftmax(), mask: mask)
        }
    }
}

extension MetricName {
    /// Quark's NLL term and the mean full-vocabulary KL to the reference over trained tokens.
    public static let quarkNLL = "quark/nll"
    public static let quarkKL = "quark/kl"
}
