// The policy-loss family: settings from a run's configuration and the registry.
import Support

/// Where the rollout importance weight is computed (TRL `vllm_importance_sampling_mode`, verl
/// `rollout_is_level`).
public enum ImportanceLevel: String, Sendable, CaseIterable {
    /// One weight per token: π_old(y_t)/μ(y_t).
    case token
    /// One weight per response: Π_t π_old(y_t)/μ(y_t), computed in log space.
    case sequence
}

/// What happens to weights above the threshold C.
public enum ImportanceMode: String, Sendable, CaseIterable {
    /// w ← min(w, C) (truncated IS).
    case truncate
    /// w ← 0 where w > C (the token, or the whole response at sequence level, is dropped).
    case mask
}

/// The settings a policy loss may read. nil = the entry's default (shown on its card).
public struct PolicyLossSettings: Sendable, Equatable {
    public var clipLow: Float?
    public var clipHigh: Float?
    /// Dual-clip for A < 0 (verl; Ye et al. 2019, arXiv 1912.09729).
    public var dualClip: Bool?
    /// The dual-clip bound c (> 1).
    public var dualClipBound: Float?
    public var aggregation: LossAggregation?
    public var klCoefficient: Float?
    public var klEstimator: KLEstimator?
    public var entropyCoefficient: Float?
    /// The importance-weight threshold C.
    public var importanceThreshold: Float?
    public var importanceLevel: ImportanceLevel?
    public var importanceMode: ImportanceMode?
    /// OREAL's λ⁺ and λ⁻ (the reference code's `positive_loss_factor`, `negative_loss_factor`).
    public var positiveLossFactor: Float?
    public var negativeLossFactor: Float?
    /// OREAL: multiply the behaviour-cloning term by the advantage (`pos_mult_adv`).
    public var positiveMultipliedByAdvantage: Bool?
    /// Quark's β of the full-vocabulary KL to the reference (`quark_kl_coef`), its direction
    /// (`quark_kl_direction`) and α of its entropy bonus (`quark_entropy_coef`).
    public var quarkKLCoefficient: Float?
    public var quarkKLDirection: KLDirection?
    public var quarkEntropyCoefficient: Float?

    public init(clipLow: Float? = nil, clipHigh: Float? = nil, dualClip: Bool? = nil, dualClipBound: Float? = nil,
                aggregation: LossAggregation? = nil, klCoefficient: Float? = nil, klEstimator: KLEstimator? = nil,
                entropyCoefficient: Float? = nil, importanceThreshold: Float? = nil,
                importanceLevel: ImportanceLevel? = nil, importanceMode: ImportanceMode? = nil,
                positiveLossFactor: Float? = nil, negativeLossFactor: Float? = nil, positiveMultipliedByAdvantage: Bool? = nil,
                quarkKLCoefficient: Float? = nil, quarkKLDirection: KLDirection? = nil, quarkEntropyCoefficient: Float? = nil) {
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.dualClip = dualClip
        self.dualClipBound = dualClipBound
        self.aggregation = aggregation
        self.klCoefficient = klCoefficient
        self.klEstimator = klEstimator
        self.entropyCoefficient = entropyCoefficient
        self.importanceThreshold = importanceThreshold
        self.importanceLevel = importanceLevel
        self.importanceMode = importanceMode
        self.positiveLossFactor = positiveLossFactor
        self.negativeLossFactor = negativeLossFactor
        self.positiveMultipliedByAdvantage = positiveMultipliedByAdvantage
        self.quarkKLCoefficient = quarkKLCoefficient
        self.quarkKLDirection = quarkKLDirection
        self.quarkEntropyCoefficient = quarkEntropyCoefficient
    }

    /// The setting keys (verl's spellings), as a run's `config.yaml` and the cards' `defaults` use them.
    public static let keys = ["clip_ratio_low", "clip_ratio_high", "dual_clip", "clip_ratio_c", "loss_agg_mode",
                              "loss_scale_factor", "kl_loss_coef", "kl_loss_type", "entropy_coeff",
                              "rollout_is_threshold", "rollout_is_level", "rollout_is_mode",
                              "positive_loss_factor", "negative_loss_factor", "pos_mult_adv", "quark_kl_coef", "quark_kl_direction", "quark_entropy_coef"]

    /// Parses `config.yaml`-style text values; unknown keys and values are errors.
    public init(config: [String: String]) throws {
        self.init()
        var lengthNormalizer: Float?
        if let text = config["loss_scale_factor"] { lengthNormalizer = try parseFloat("loss_scale_factor", text) }
        for (key, text) in config {
            switch key {
            case "clip_ratio_low": clipLow = try parseFloat(key, text)
            case "clip_ratio_high": clipHigh = try parseFloat(key, text)
            case "dual_clip": dualClip = try parseBool(key, text)
            case "clip_ratio_c": dualClipBound = try parseFloat(key, text)
            case "loss_agg_mode": aggregation = try LossAggregation(name: text, lengthNormalizer: lengthNormalizer)
            case "loss_scale_factor": break
            case "kl_loss_coef": klCoefficient = try parseFloat(key, text)
            case "kl_loss_type": klEstimator = try KLEstimator(name: text)
            case "entropy_coeff": entropyCoefficient = try parseFloat(key, text)
            case "rollout_is_threshold": importanceThreshold = try parseFloat(key, text)
            case "rollout_is_level": importanceLevel = try parseCase(key, text)
            case "rollout_is_mode": importanceMode = try parseCase(key, text)
            case "positive_loss_factor": positiveLossFactor = try parseFloat(key, text)
            case "negative_loss_factor": negativeLossFactor = try parseFloat(key, text)
            case "pos_mult_adv": positiveMultipliedByAdvantage = try parseBool(key, text)
            case "quark_kl_coef": quarkKLCoefficient = try parseFloat(key, text)
            case "quark_entropy_coef": quarkEntropyCoefficient = try parseFloat(key, text)
            case "quark_kl_direction": quarkKLDirection = try parseCase(key, text)
            default:
                throw RLInputError.invalidSetting(key: key, value: text, reason: "unknown key; expected one of \(Self.keys.joined(separator: ", "))")
            }
        }
    }

    /// The shared regularisers with the entry's default aggregation.
    func regularizers(defaultAggregation: LossAggregation) throws -> PolicyRegularizers {
        let beta = klCoefficient ?? 0, cH = entropyCoefficient ?? 0
        guard beta >= 0 else { throw RLInputError.invalidSetting(key: "kl_loss_coef", value: "\(beta)", reason: "must be ≥ 0") }
        return PolicyRegularizers(aggregation: aggregation ?? defaultAggregation, klCoefficient: beta,
                                  klEstimator: klEstimator ?? .k3, entropyCoefficient: cH)
    }
}

/// A registered policy loss: its card and a factory from settings.
public typealias PolicyLossEntry = FactoryEntry<PolicyLossSettings, any PolicyLoss>

/// The policy-loss family.
public enum PolicyLosses {
    public static let registry = Registry<PolicyLossEntry>(family: "policy loss", [
        PPOLoss.entry, GSPOLoss.entry, GMPOLoss.entry, ReinforceISLoss.entry, EntropyMinimizationLoss.entry,
        OREALLoss.entry, QuarkLoss.entry,
        RLMECLoss.entry,
    ])

    /// The loss registered under `name` (or an alias), built from `settings`.
    public static func make(_ name: String, settings: PolicyLossSettings = PolicyLossSettings()) throws -> any PolicyLoss {
        try registry.entry(named: name).make(settings)
    }
}

/// Checks 0 ≤ ε_low < 1 and ε_high ≥ 0.
func validateClip(low: Float, high: Float) throws {
    guard low >= 0, low < 1 else { throw RLInputError.invalidSetting(key: "clip_ratio_low", value: "\(low)", reason: "expected 0 ≤ ε_low < 1") }
    guard high >= 0 else { throw RLInputError.invalidSetting(key: "clip_ratio_high", value: "\(high)", reason: "expected ε_high ≥ 0") }
}

/// The regularisers' defaults as card text.
let regularizerDefaults: [String: String] = ["kl_loss_coef": "0.0", "kl_loss_type": "k3", "entropy_coeff": "0.0"]
