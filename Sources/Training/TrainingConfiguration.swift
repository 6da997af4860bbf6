// Every hyperparameter of a training run, as one Codable value: the CLI flags map onto it, and the
// run folder's `config.yaml` is its YAML form (TRL's `TrainingArguments`/`DPOConfig` names in
// snake_case where they exist).
import Datasets
import Foundation
import Models
import Support

/// Which trainer a run uses.
public enum TrainingTask: String, Codable, Sendable, CaseIterable, SettingChoice {
    case sft, reward, preference
}

/// What a trainer does when a step's loss or gradient norm is NaN or infinite.
public enum NonFinitePolicy: String, Codable, Sendable, CaseIterable, SettingChoice {
    /// Stop the run with a `TrainingError.nonFinite` naming the step, the rows and the quantity
    /// (no update, no checkpoint: the last one on disk stays the last good state).
    case stop
    /// Drop the optimizer step (no parameter or optimizer update), count it in the
    /// `skipped_nonfinite` metric, and continue with the next step's data.
    case skip
}

/// The hyperparameters of a run. Defaults follow TRL (`DPOConfig`: β 0.1, lr 1e-6 is TRL's DPO
/// default but far too small for tiny models; we default to 5e-5 as `TrainingArguments`).
/// Each field is declared once more, with its key, doc and rule, in `settings`
/// (`TrainingConfiguration+Settings.swift`); the field's name is its key in camelCase.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var task: TrainingTask = .preference
    public var model: String = ""
    public var ref: String?
    public var refWeights: WeightFormat = .f32
    public var guide: [String] = []
    public var data: String = ""
    public var out: String = ""
    public var seed: UInt64 = 42

    // Objective
    public var loss: [String] = ["sigmoid"]
    public var lossWeights: [Float]?
    public var beta: Float = 0.1
    public var alpha: Float?
    public var labelSmoothing: Float = 0
    public var tokenLevel: Bool = false
    public var rewardKind: String = "bradley-terry"
    /// `--reward-kind segment`'s entropy threshold c (nats); unset: `defaultSegmentEntropyThreshold`
    /// (optional so that run folders of other kinds keep their `config.yaml` as it was).
    public var segmentEntropyThreshold: Float?
    /// 2.0, the reference code's default (arXiv 2501.02790).
    public static let defaultSegmentEntropyThreshold: Float = 2.0
    /// `--reward-kind grm`'s regulariser through the LM head: sft, nll or dpo; unset: sft (the paper's).
    public var grmRegularizer: String?
    /// `--reward-kind odin`'s λ_L (length correlation) and λ_O (head orthogonality); unset: 1 and 1.
    public var odinLengthWeight: Float?
    public var odinOrthogonalityWeight: Float?
    public var precomputeRefLogProbs: Bool = false

    // Data
    public var maxLength: Int? = 1024
    public var maxPromptLength: Int?
    public var truncationMode: TruncationMode = .keepStart
    public var truncate: Bool = false
    public var appendEos: Bool = true
    public var skipInvalidRows: Bool = false
    public var evalFraction: Double = 0
    public var evalData: String?

    // Optimisation
    public var learningRate: Float = 5e-5
    public var schedule: String = "linear"
    public var warmupSteps: Int = 0
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    public var batchSize: Int = 4
    public var gradientAccumulationSteps: Int = 1
    public var epochs: Int = 1
    public var maxSteps: Int?

    // LoRA
    public var loraRank: Int?
    public var loraAlpha: Float = 16
    public var loraDropout: Float = 0
    public var loraTargetModules: [String] = ["q_proj", "k_proj", "v_proj", "o_proj", "c_attn", "c_proj"]

    // Cadence
    public var evalSteps: Int?
    public var saveSteps: Int?
    public var loggingSteps: Int = 1

    // Guards
    public var onNonfinite: NonFinitePolicy = .stop

    // Reward-model training methods (optional, so other runs' `config.yaml` stays as it was)
    /// SSRM (arXiv 2409.06903): unlabelled pairs to pseudo-label after training.
    public var selfTrain: String?
    /// SSRM's rounds R (default 1).
    public var selfTrainRounds: Int?
    /// SSRM's confidence threshold τ on σ(|r_a − r_b|) (default 0.9).
    public var confidenceThreshold: Float?
    /// Co-teaching / CRM peer review (arXiv 1804.06872, 2505.10597): the share ρ of each batch the
    /// peer model leaves out (its largest-loss pairs); set, two reward models train.
    public var coFilterRate: Float?

    // CLoud (`--reward-kind cloud`, arXiv 2408.11791; optional, so other runs' `config.yaml` stays as it was)
    /// λ, the weight of the critique LM loss in stage 2 (default `CritiqueOutLoudLoss.defaultLambda`).
    public var cloudLambda: Float?
    /// Stage 1's optimizer steps on the oracle critiques (default: `maxSteps`, else the epochs).
    public var critiqueSftSteps: Int?
    /// Longest critique in tokens (default `CritiqueSpec.defaultMaxCritiqueTokens`).
    public var maxCritiqueTokens: Int?
    /// Critique temperature: 0 greedy (default), above 0 sampled from the run's seed.
    public var critiqueTemperature: Float?

    public init() {}

    /// Decodes with every key optional (a YAML file may set any subset); a key that is not a
    /// setting is an error naming it and the nearest setting (a misspelt key would otherwise be
    /// silently ignored).
    public init(from decoder: Decoder) throws {
        self.init()
        do { try Self.settings.decode(decoder, into: &self) } catch let e as SettingError { throw TrainingError(e) }
    }

    /// Writes the settings in table order, unset optionals left out (the run folder's `config.yaml`).
    public func encode(to encoder: Encoder) throws { try Self.settings.encode(self, to: encoder) }

    /// Every setting key (snake_case), as YAML files and `config.yaml` spell them.
    public static var settingKeys: [String] { settings.keys }

    /// The setting key closest to a misspelt one (edit distance ≤ 3), for the error message.
    static func nearestKey(to key: String) -> String? { nearestName(to: key, in: settingKeys) }

    /// The schedules `schedule` accepts.
    public static let schedules = ["constant", "linear", "cosine"]

    /// Checks every setting's rule (finite, in range, a known name) and the rules that relate
    /// settings; the one validation path for flags and YAML files (`TrainingSetup.prepare` calls it,
    /// `RunFolder.readConfiguration` calls it on a file's values so the error names the file and line).
    /// - Throws: `TrainingError.invalidSetting` naming the snake_case key, the value and the range.
    public func validate() throws {
        do { try Self.settings.validate(self) } catch let e as SettingError { throw TrainingError(e) }
    }

    /// The tokenization policy these settings describe.
    public var encodingOptions: EncodingOptions {
        EncodingOptions(maxLength: maxLength, maxPromptLength: maxPromptLength, truncationMode: truncationMode, allowTruncation: truncate,
                        appendEOS: appendEos)
    }
}

extension TrainingError {
    /// A settings-table error as the training error that names the same key.
    init(_ e: SettingError) {
        switch e {
        case .unknownKey(let k, let s): self = .unknownSetting(key: k, suggestion: s)
        case .invalid(let k, let v, let r): self = .invalidSetting(key: k, value: v, requirement: r)
        default: self = .invalidConfiguration(e.description)
        }
    }
}
