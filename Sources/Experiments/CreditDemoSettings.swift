// The knobs of `tokenalign demo`: one Codable value, written to the run folder as `settings.json`
// so a run's numbers can always be traced to exactly what produced them.
import CreditBench
import Foundation

/// Settings of the CreditBench demo (issue: "CreditBench and `tokenalign demo`").
///
/// The defaults are chosen so the full pipeline runs in a few minutes on 2 cores while the
/// starting policy stays imperfect: demonstrations carry injected errors (`errorRate`), so the SFT
/// model samples wrong answers at roughly that rate and sampled responses give both chosen
/// (correct) and rejected (wrong, first error known) responses.
public struct CreditDemoSettings: DemoSettings, Sendable, Equatable {
    // Task
    /// CreditBench task (`add`, `chain`, `sort`, `cipher`, `forbidden`, `count`). `sort` is the
    /// default: a tiny model learns it to ~90% greedy accuracy in a couple of minutes, and its
    /// responses are long enough (≈ 15 tokens) for first errors to fall at many positions.
    public var task = "sort"
    /// sort: elements per list; cipher, forbidden: words; count: letters (nil: the task's default).
    public var length: Int?
    /// sort: largest element; chain: largest intermediate value (nil: the task's default).
    public var maxValue: Int?
    /// add: most digits per operand.
    public var digits = 3
    /// add: fewest digits per operand.
    public var minDigits = 1
    /// add: sum written least-significant digit first (learnable left to right by a tiny model).
    public var reversed = true
    /// How the SFT demonstrations go wrong (docs/design/rewards.md §3.6): `injected` — a share
    /// `error_rate` of them carry a random injected slip, which the SFT model then finds unlikely;
    /// `systematic` — a share `systematic_share` of the demonstrations whose problem admits the
    /// task's systematic bug follow it (`SystematicBugs.swift`), so the SFT model makes that error
    /// confidently; no random slips are injected.
    public var regime = "injected"
    /// Fraction of SFT demonstrations with an injected error (`injected` regime).
    public var errorRate = 0.3
    /// Fraction of the demonstrations admitting the bug that follow it (`systematic` regime).
    public var systematicShare = 0.8
    /// Which held-out wrong samples credit sources localise on: `paired` — the rejected side of the
    /// held-out preference pairs (prompts that also gave a right sample); `all-wrong` — one wrong
    /// sample of every held-out prompt that gave any, which keeps the errors a model makes almost
    /// always (the paired set drops them: docs/results.md, systematic regime).
    public var localisationSet = "paired"
    /// SFT demonstrations.
    public var sftExamples = 8000
    /// Prompts sampled to build training preference pairs.
    public var preferencePrompts = 1200
    /// Held-out prompts (accuracy, KL, and the rejected responses used for credit localisation).
    public var evalPrompts = 400
    /// Responses sampled per prompt to build pairs.
    public var samplesPerPrompt = 4
    /// Sampled responses per held-out prompt for sampled accuracy and KL.
    public var evalSamples = 2
    /// Longest response in tokens.
    public var maxNewTokens = 24

    // Tokenizer and model
    public var vocabularySize = 300
    public var hiddenSize = 128
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var intermediateSize = 344

    // Supervised fine-tuning from scratch
    /// Start from this SFT model folder (e.g. `models/sft` of an earlier run with the same task and
    /// seed) instead of training a tokenizer and model: reruns of the preference stage with other
    /// hyperparameters then cost minutes less. Its own tokenizer is used.
    public var sftModel: String?
    public var sftSteps = 4000
    public var sftBatch = 32
    public var sftLearningRate: Float = 2e-3

    // Preference training (every method: same steps, batch, learning rate)
    public var preferenceSteps = 150
    public var preferenceBatch = 16
    public var preferenceLearningRate: Float = 5e-5
    public var beta: Float = 0.1
    /// α of TDPO2 and TGDPO.
    public var alpha: Float = 0.5
    /// Methods trained from the same SFT start: `dpo`, `tdpo2`, `tgdpo`, `sparsepo`, `cdpo`
    /// (TGDPO is guided by the `dpo` run's implicit token reward, so `dpo` must come first).
    public var methods = ["dpo", "tdpo2", "tgdpo", "sparsepo", "cdpo"]
    /// Evaluate held-out pairs every this many preference steps (learning curves).
    public var evalEvery = 25

    // Auxiliary models: cDPO's positive/negative models and the reward models.
    public var auxiliarySteps = 150
    public var auxiliaryLearningRate: Float = 5e-4

    /// Bootstrap resamples for confidence intervals.
    public var bootstrapResamples = 1000
    /// Rejected responses shown as heatmaps per credit source.
    public var heatmaps = 4
    public var seed: UInt64 = 0

    public init() {}

    /// The CI smoke-test size: same pipeline, every stage shrunk (≤ 2 minutes on 2 cores).
    public static var quick: CreditDemoSettings {
        var s = CreditDemoSettings()
        s.length = 3
        s.sftExamples = 1500
        s.preferencePrompts = 200
        s.evalPrompts = 80
        s.samplesPerPrompt = 4
        s.evalSamples = 1
        s.hiddenSize = 64
        s.layers = 2
        s.intermediateSize = 172
        s.sftSteps = 1200
        s.preferenceSteps = 20
        s.evalEvery = 10
        s.auxiliarySteps = 20
        s.bootstrapResamples = 200
        s.heatmaps = 2
        return s
    }

    /// The task these settings describe.
    public func makeTask() throws -> any CreditTask {
        guard let name = CreditTaskName(rawValue: task) else { throw CreditBenchError.unknownTask(task) }
        return try name.task(knobs(for: name))
    }

    /// The difficulty knobs of `name` these settings set (the others keep the task's defaults).
    public func knobs(for name: CreditTaskName) -> TaskKnobs {
        var k = TaskKnobs()
        if name == .add {
            k.digits = digits
            k.minDigits = minDigits
            k.reversed = reversed
        }
        if name != .add && name != .chain { k.length = length }
        if name == .sort || name == .chain { k.maxValue = maxValue }
        return k
    }

    /// Checks every knob, naming the one that is wrong.
    public func validate() throws(DemoError) {
        func positive(_ v: Int, _ name: String) throws(DemoError) {
            if v < 1 { throw .invalidSetting("\(name) must be ≥ 1, got \(v)") }
        }
        try positive(sftExamples, "sft_examples"); try positive(preferencePrompts, "preference_prompts")
        try positive(evalPrompts, "eval_prompts"); try positive(samplesPerPrompt, "samples_per_prompt")
        try positive(evalSamples, "eval_samples"); try positive(maxNewTokens, "max_new_tokens")
        try positive(hiddenSize, "hidden_size"); try positive(layers, "layers"); try positive(heads, "heads")
        try positive(kvHeads, "kv_heads"); try positive(intermediateSize, "intermediate_size")
        try positive(sftSteps, "sft_steps"); try positive(sftBatch, "sft_batch")
        try positive(preferenceSteps, "preference_steps"); try positive(preferenceBatch, "preference_batch")
        try positive(auxiliarySteps, "auxiliary_steps"); try positive(evalEvery, "eval_every")
        if !(0 ... 1).contains(errorRate) { throw .invalidSetting("error_rate must be in [0, 1], got \(errorRate)") }
        if !(0 ... 1).contains(systematicShare) { throw .invalidSetting("systematic_share must be in [0, 1], got \(systematicShare)") }
        guard Self.localisationSets.contains(localisationSet) else {
            throw .invalidSetting("unknown localisation_set '\(localisationSet)'; expected one of \(Self.localisationSets.joined(separator: ", "))")
        }
        guard Self.regimes.contains(regime) else {
            throw .invalidSetting("unknown regime '\(regime)'; expected one of \(Self.regimes.joined(separator: ", "))")
        }
        if regime == "systematic", let t = try? makeTask(), !(t is any SystematicBugTask) {
            throw .invalidSetting("task '\(task)' has no systematic bug; the systematic regime runs on add, chain, sort, cipher and count")
        }
        if hiddenSize % heads != 0 { throw .invalidSetting("hidden_size \(hiddenSize) must be a multiple of heads \(heads)") }
        if heads % kvHeads != 0 { throw .invalidSetting("heads \(heads) must be a multiple of kv_heads \(kvHeads)") }
        if vocabularySize <= 258 { throw .invalidSetting("vocabulary_size must exceed 258 (256 bytes + 2 special tokens), got \(vocabularySize)") }
        if beta <= 0 { throw .invalidSetting("beta must be > 0, got \(beta)") }
        let known = Set(CreditDemo.knownMethods)
        for m in methods where !known.contains(m) {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(CreditDemo.knownMethods.joined(separator: ", "))")
        }
        if methods.contains("tgdpo"), let t = methods.firstIndex(of: "tgdpo") {
            guard let d = methods.firstIndex(of: "dpo"), d < t else {
                throw .invalidSetting("tgdpo is guided by the dpo run's implicit reward: list dpo before tgdpo")
            }
        }
        if CreditTaskName(rawValue: task) == nil {
            throw .invalidSetting("unknown task '\(task)'; expected one of \(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The error regimes of the SFT demonstrations.
    public static let regimes = ["injected", "systematic"]
    /// The localisation sets.
    public static let localisationSets = ["paired", "all-wrong"]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, regime, digits, reversed, methods, seed, beta, alpha, heads, layers, heatmaps, length
        case maxValue = "max_value", sftModel = "sft_model"
        case minDigits = "min_digits", errorRate = "error_rate", systematicShare = "systematic_share", sftExamples = "sft_examples"
        case localisationSet = "localisation_set"
        case preferencePrompts = "preference_prompts", evalPrompts = "eval_prompts", samplesPerPrompt = "samples_per_prompt"
        case evalSamples = "eval_samples", maxNewTokens = "max_new_tokens", vocabularySize = "vocabulary_size"
        case hiddenSize = "hidden_size", kvHeads = "kv_heads", intermediateSize = "intermediate_size"
        case sftSteps = "sft_steps", sftBatch = "sft_batch", sftLearningRate = "sft_learning_rate"
        case preferenceSteps = "preference_steps", preferenceBatch = "preference_batch"
        case preferenceLearningRate = "preference_learning_rate", evalEvery = "eval_every"
        case auxiliarySteps = "auxiliary_steps", auxiliaryLearningRate = "auxiliary_learning_rate"
        case bootstrapResamples = "bootstrap_resamples"
    }

    /// Every settings key (`settings.json`'s names).
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Every key optional: a settings file may override any subset of the defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var s = CreditDemoSettings()
        func v<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<CreditDemoSettings, T>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { s[keyPath: p] = x }
        }
        if let x = try c.decodeIfPresent(Int.self, forKey: .length) { s.length = x }
        if let x = try c.decodeIfPresent(Int.self, forKey: .maxValue) { s.maxValue = x }
        if let x = try c.decodeIfPresent(String.self, forKey: .sftModel) { s.sftModel = x }
        try v(.task, \.task); try v(.digits, \.digits); try v(.minDigits, \.minDigits); try v(.reversed, \.reversed)
        try v(.regime, \.regime); try v(.systematicShare, \.systematicShare); try v(.localisationSet, \.localisationSet)
        try v(.errorRate, \.errorRate); try v(.sftExamples, \.sftExamples); try v(.preferencePrompts, \.preferencePrompts)
        try v(.evalPrompts, \.evalPrompts); try v(.samplesPerPrompt, \.samplesPerPrompt); try v(.evalSamples, \.evalSamples)
        try v(.maxNewTokens, \.maxNewTokens); try v(.vocabularySize, \.vocabularySize); try v(.hiddenSize, \.hiddenSize)
        try v(.layers, \.layers); try v(.heads, \.heads); try v(.kvHeads, \.kvHeads); try v(.intermediateSize, \.intermediateSize)
        try v(.sftSteps, \.sftSteps); try v(.sftBatch, \.sftBatch); try v(.sftLearningRate, \.sftLearningRate)
        try v(.preferenceSteps, \.preferenceSteps); try v(.preferenceBatch, \.preferenceBatch)
        try v(.preferenceLearningRate, \.preferenceLearningRate); try v(.beta, \.beta); try v(.alpha, \.alpha)
        try v(.methods, \.methods); try v(.evalEvery, \.evalEvery); try v(.auxiliarySteps, \.auxiliarySteps)
        try v(.auxiliaryLearningRate, \.auxiliaryLearningRate); try v(.bootstrapResamples, \.bootstrapResamples)
        try v(.heatmaps, \.heatmaps); try v(.seed, \.seed)
        self = s
    }
}

/// Why the demo cannot run.
public enum DemoError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSetting(String)
    /// A stage produced nothing to continue with (e.g. no wrong samples to build pairs from).
    case emptyStage(String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let s): return "demo settings: \(s)"
        case .emptyStage(let s): return "demo: \(s)"
        case .cannotWrite(let p, let r): return "demo: cannot write \(p): \(r)"
        }
    }
}
