// Advantage estimators: one protocol, one settings struct, one registry. Every estimator maps a
// `RolloutBatch` to token advantages and returns ([B, T] each, 0 at masked positions). Advantages
// are constants: nothing here is differentiated.
import Support
import TensorCore

/// Token advantages A_t and returns G_t: [B, T] each, 0 at masked positions. Critic-free
/// estimators return the advantages as the returns too (verl's convention), except where a
/// return exists (REINFORCE++, ReMax).
public struct Advantages: Sendable {
    public var advantages: Tensor
    public var returns: Tensor
    /// Diagnostics the estimator reports for the step's log (THR's `thr/…`); empty for most.
    public var metrics: [String: Float]

    public init(advantages: Tensor, returns: Tensor, metrics: [String: Float] = [:]) {
        self.advantages = advantages
        self.returns = returns
        self.metrics = metrics
    }
}

/// An advantage estimator (as verl's
/// `verl/trainer/ppo/core_algos.py` `ADV_ESTIMATOR_REGISTRY`).
public protocol AdvantageEstimator: Sendable {
    /// The registry's canonical name.
    var name: String { get }
    /// - Throws: `RLInputError` for missing inputs, non-finite rewards/values (naming the row), or
    ///   groups the estimator cannot handle.
    func estimate(_ batch: RolloutBatch) throws -> Advantages
    /// Whether the estimator reads a critic's values (the trainer then trains a value head).
    var readsValues: Bool { get }
    /// Whether the estimator reads the old policy's final hidden states and probability rows
    /// (`RolloutBatch.hiddenStates`, `.probabilities`; the trainer then records them in its no-grad
    /// scoring pass).
    var readsHiddenStates: Bool { get }
}

extension AdvantageEstimator {
    public var readsValues: Bool { false }
    public var readsHiddenStates: Bool { false }
}

/// How GRPO-style group advantages are scaled (TRL `GRPOConfig.scale_rewards`).
public enum RewardScaling: String, Sendable, CaseIterable {
    /// Divide by the group's unbiased std (+ ε): the original GRPO (arXiv 2402.03300).
    case group
    /// Divide by the unbiased std of the whole batch's rewards (+ ε), keeping the group mean.
    case batch
    /// No scaling: Dr. GRPO (arXiv 2503.20783) removes the std's difficulty bias.
    case none
}

/// The settings an estimator may read. nil = the entry's default (shown on its card).
public struct AdvantageSettings: Sendable, Equatable {
    /// Discount γ.
    public var gamma: Float?
    /// GAE λ.
    public var lambda: Float?
    /// Whiten GAE advantages over the batch's trained tokens.
    public var whiten: Bool?
    /// GRPO scaling.
    public var scaleRewards: RewardScaling?
    /// ε added to the standard deviation.
    public var epsilon: Float?
    /// GTPO's α₂ / GRPO-S's β₂: the weight of the entropy share (arXiv 2508.04349).
    public var entropyWeight: Float?
    /// MA-RLHF's macro-action rule (arXiv 2410.02743), as text: `ngram:N`, `punct` or `space`.
    public var macro: String?
    /// THR's steering weight p ∈ [−1, 1] (arXiv 2510.03669): > 0 exploitation, < 0 exploration.
    public var thrP: Float?
    /// THR's dominance-threshold factor β (τ = β · the lowest mean influence of a correct response).
    public var thrBeta: Float?
    /// THR's treatment of non-dominant tokens: `reweight` (keep GRPO's advantage) or `dominant` (0).
    public var thrMode: THRAdvantage.Mode?

    public init(gamma: Float? = nil, lambda: Float? = nil, whiten: Bool? = nil,
                scaleRewards: RewardScaling? = nil, epsilon: Float? = nil, entropyWeight: Float? = nil, macro: String? = nil,
                thrP: Float? = nil, thrBeta: Float? = nil, thrMode: THRAdvantage.Mode? = nil) {
        self.gamma = gamma
        self.lambda = lambda
        self.whiten = whiten
        self.scaleRewards = scaleRewards
        self.epsilon = epsilon
        self.entropyWeight = entropyWeight
        self.macro = macro
        self.thrP = thrP
        self.thrBeta = thrBeta
        self.thrMode = thrMode
    }

    /// The setting keys, as a run's `config.yaml` and the cards' `defaults` spell them.
    public static let keys = ["gamma", "lam", "whiten_advantages", "scale_rewards", "epsilon", "entropy_weight", "macro", "thr_p", "thr_beta", "thr_mode"]

    /// Parses `config.yaml`-style text values; unknown keys are an error (a typo must not silently
    /// fall back to a default).
    public init(config: [String: String]) throws {
        self.init()
        for (key, text) in config {
            switch key {
            case "gamma": gamma = try parseFloat(key, text)
            case "lam": lambda = try parseFloat(key, text)
            case "whiten_advantages": whiten = try parseBool(key, text)
            case "scale_rewards": scaleRewards = try parseCase(key, text)
            case "epsilon": epsilon = try parseFloat(key, text)
            case "entropy_weight": entropyWeight = try parseFloat(key, text)
            case "macro":
                _ = try MacroRule(parsing: text)
                macro = text
            case "thr_p": thrP = try parseFloat(key, text)
            case "thr_beta": thrBeta = try parseFloat(key, text)
            case "thr_mode": thrMode = try THRAdvantage.Mode(parsing: text)
            default:
                throw RLInputError.invalidSetting(key: key, value: text, reason: "unknown key; expected one of \(Self.keys.joined(separator: ", "))")
            }
        }
    }
}

/// A registered estimator: its card and a factory from settings.
public typealias AdvantageEstimatorEntry = FactoryEntry<AdvantageSettings, any AdvantageEstimator>

/// The advantage-estimator family.
public enum AdvantageEstimators {
    /// Every built-in estimator, in the order `--help` lists them.
    public static let registry = Registry<AdvantageEstimatorEntry>(family: "advantage estimator", [
        GAE.entry, GRPOAdvantage.entry, GRPOAdvantage.drGRPOEntry, RLOOAdvantage.entry,
        ReinforcePlusPlusAdvantage.entry, ReinforcePlusPlusBaselineAdvantage.entry, ReMaxAdvantage.entry,
        GRPOPassKAdvantage.entry, KTAEAdvantage.entry, EntropyWeightedAdvantage.gtpoEntry, EntropyWeightedAdvantage.grpoSEntry, MacroGAE.entry,
        THRAdvantage.entry,
        RLMECAdvantage.entry,
    ])

    /// The estimator registered under `name` (or an alias), built from `settings`.
    public static func make(_ name: String, settings: AdvantageSettings = AdvantageSettings()) throws -> any AdvantageEstimator {
        try registry.entry(named: name).make(settings)
    }
}

func parseFloat(_ key: String, _ text: String) throws -> Float {
    guard let v = Float(text), v.isFinite else { throw RLInputError.invalidSetting(key: key, value: text, reason: "expected a finite number") }
    return v
}

/// One of an enumeration's raw values; the error lists them.
func parseCase<E: RawRepresentable & CaseIterable>(_ key: String, _ text: String) throws -> E where E.RawValue == String {
    guard let v = E(rawValue: text) else {
        let names = E.allCases.map(\.rawValue)
        let expected = names.count == 2 ? names.joined(separator: " or ") : names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
        throw RLInputError.invalidSetting(key: key, value: text, reason: "expected \(expected)")
    }
    return v
}

func parseBool(_ key: String, _ text: String) throws -> Bool {
    switch text.lowercased() {
    case "true", "yes", "1": return true
    case "false", "no", "0": return false
    default: throw RLInputError.invalidSetting(key: key, value: text, reason: "expected true or false")
    }
}

func requireRange(_ key: String, _ v: Float, _ range: ClosedRange<Float>) throws {
    guard range.contains(v) else {
        throw RLInputError.invalidSetting(key: key, value: "\(v)", reason: "expected a value in \(range.lowerBound)...\(range.upperBound)")
    }
}
