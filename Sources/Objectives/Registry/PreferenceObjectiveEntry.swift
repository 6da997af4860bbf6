// The shape of a preference-objective registration: the method's card, what the trainer must feed
// it, and a factory. `PreferenceObjectives.registry` holds the built-in entries; the trainer, the
// CLI's `--loss` parsing and help, `tokenalign methods`, the demos and the tests read it.
import Support

/// What an objective reads beyond the policy's and the reference's per-token log-probabilities.
public struct ObjectiveNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Policy logits [B, T, V] (TDPO's sequential KL, SparsePO, RRPO, AlignDistil).
    public static let policyLogits = ObjectiveNeeds(rawValue: 1 << 0)
    /// Reference logits [B, T, V].
    public static let referenceLogits = ObjectiveNeeds(rawValue: 1 << 1)
    /// Per-token rewards from the data (`chosen_token_rewards`, `rejected_token_rewards`).
    public static let tokenRewards = ObjectiveNeeds(rawValue: 1 << 2)
    /// Segment ids (annotated error spans, else the whole response): RRPO.
    public static let segments = ObjectiveNeeds(rawValue: 1 << 3)
    /// SparsePO's fixed masks from the reference's activations.
    public static let activationMasks = ObjectiveNeeds(rawValue: 1 << 4)
    /// SparsePO's learned mask network, trained with the policy.
    public static let learnedMasks = ObjectiveNeeds(rawValue: 1 << 5)
    /// With `learnedMasks`: separate networks for the reward and the KL masks.
    public static let independentLearnedMasks = ObjectiveNeeds(rawValue: 1 << 6)
    /// Trains on unpaired rows (`completion` + `label`, KTO) instead of pairs.
    public static let unpairedRows = ObjectiveNeeds(rawValue: 1 << 7)

    /// The inputs in words, for the methods table.
    public var descriptions: [String] {
        let names: [(ObjectiveNeeds, String)] = [
            (.policyLogits, "policy logits"), (.referenceLogits, "reference logits"), (.tokenRewards, "token rewards (data)"),
            (.segments, "segments"), (.activationMasks, "reference activations"), (.learnedMasks, "mask network"),
            (.independentLearnedMasks, "separate KL mask network"), (.unpairedRows, "unpaired rows"),
        ]
        return names.filter { contains($0.0) }.map(\.1)
    }
}

/// A frozen auxiliary model an objective reads (`--guide`, in order).
public struct AuxiliaryModel: Sendable, Equatable {
    public var key: AuxiliaryKey
    /// Whether its full logits are needed (else per-token log-probs).
    public var logits: Bool
    public init(_ key: AuxiliaryKey, logits: Bool) {
        self.key = key
        self.logits = logits
    }
}

/// The settings every preference objective is built from (the run's `beta`, `alpha`,
/// `label_smoothing`).
public struct ObjectiveSettings: Sendable, Equatable {
    public var beta: Float
    /// nil: the method's own default.
    public var alpha: Float?
    public var labelSmoothing: Float

    public init(beta: Float = 0.1, alpha: Float? = nil, labelSmoothing: Float = 0) {
        self.beta = beta
        self.alpha = alpha
        self.labelSmoothing = labelSmoothing
    }
}

/// A setting a method cannot work with (names the method and what it needs).
public struct ObjectiveSettingError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One registered preference objective.
public struct PreferenceObjectiveEntry: RegistryEntry {
    public var card: MethodCard
    public var needs: ObjectiveNeeds
    /// The auxiliary models `--guide` supplies, in order.
    public var auxiliary: [AuxiliaryModel]
    /// How many trailing `auxiliary` models may be left out.
    public var optionalAuxiliary: Int
    /// T-REG's contrastive prompting: texts the trainer tokenizes and prepends to the prompt.
    public var contrastivePrefixes: ContrastivePrefixes?
    /// Members of TRL's DPO `loss_type` catalogue are summed into one `DPO` objective (they share
    /// the pair log-ratios); the factory of such an entry builds it alone.
    public var dpoLossType: DPOLossType?
    /// Builds the objective; throws `ObjectiveSettingError` for settings it cannot use.
    public var make: @Sendable (ObjectiveSettings) throws -> any Objective

    public init(card: MethodCard, needs: ObjectiveNeeds = [], auxiliary: [AuxiliaryModel] = [], optionalAuxiliary: Int = 0,
                contrastivePrefixes: ContrastivePrefixes? = nil, dpoLossType: DPOLossType? = nil,
                make: @escaping @Sendable (ObjectiveSettings) throws -> any Objective) {
        var card = card
        if card.inputs.isEmpty {
            card.inputs = needs.descriptions + auxiliary.map { "--guide \($0.key.rawValue)\($0.logits ? " (logits)" : "")" }
                + (contrastivePrefixes == nil ? [] : ["contrastive prompts"])
        }
        self.card = card
        self.needs = needs
        self.auxiliary = auxiliary
        self.optionalAuxiliary = optionalAuxiliary
        self.contrastivePrefixes = contrastivePrefixes
        self.dpoLossType = dpoLossType
        self.make = make
    }
}

/// The "better" and "worse" instructions of T-REG's contrastive prompting.
public struct ContrastivePrefixes: Sendable, Equatable {
    public var better: String
    public var worse: String
    public init(better: String, worse: String) {
        self.better = better
        self.worse = worse
    }
}
