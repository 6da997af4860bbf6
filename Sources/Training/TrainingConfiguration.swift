// Every hyperparameter of a training run, as one Codable value: the CLI flags map onto it, and the
// run folder's `config.yaml` is its YAML form (TRL's `TrainingArguments`/`DPOConfig` names in
// snake_case where they exist).
import Datasets
import Foundation
import Models

/// Which trainer a run uses.
public enum TrainingTask: String, Codable, Sendable {
    case sft, reward, preference
}

/// What a trainer does when a step's loss or gradient norm is NaN or infinite.
public enum NonFinitePolicy: String, Codable, Sendable, CaseIterable {
    /// Stop the run with a `TrainingError.nonFinite` naming the step, the rows and the quantity
    /// (no update, no checkpoint: the last one on disk stays the last good state).
    case stop
    /// Drop the optimizer step (no parameter or optimizer update), count it in the
    /// `skipped_nonfinite` metric, and continue with the next step's data.
    case skip
}

/// The hyperparameters of a run. Defaults follow TRL (`DPOConfig`: β 0.1, lr 1e-6 is TRL's DPO
/// default but far too small for tiny models; we default to 5e-5 as `TrainingArguments`).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var task: TrainingTask = .preference
    public var model: String = ""
    /// Reference model path (preference); nil = a frozen copy of the policy at start.
    public var ref: String?
    /// How the frozen models (reference and guides) store their matrices (`ref_weights`,
    /// docs/design/quantized.md); the policy always trains in float32.
    public var refWeights: WeightFormat = .f32
    /// Auxiliary ("guide") model paths: TGDPO's token-reward model, cDPO's positive and negative
    /// models, AlignDistil's DPO model (and optional reverse-DPO model).
    public var guide: [String] = []
    public var data: String = ""
    public var out: String = ""
    public var seed: UInt64 = 42

    // Objective
    /// Loss names (`--loss sigmoid,ipo`): canonical names or aliases of `PreferenceObjectives.registry`
    /// (`tokenalign methods` lists them with their papers); ignored for sft/reward.
    public var loss: [String] = ["sigmoid"]
    public var lossWeights: [Float]?
    public var beta: Float = 0.1
    /// α of TDPO2 / TGDPO / RRPO.
    public var alpha: Float?
    public var labelSmoothing: Float = 0
    public var tokenLevel: Bool = false
    /// The reward-model kind (`RewardModelKinds.registry`) of `tokenalign reward --kind`.
    public var rewardKind: String = "bradley-terry"
    public var precomputeRef: Bool = false

    // Data
    public var maxLength: Int? = 1024
    public var maxPromptLength: Int?
    public var truncationMode: TruncationMode = .keepStart
    public var truncate: Bool = false
    /// Append EOS to standard-format completions (TRL does). Off for continuations cut at a
    /// length, which do not end there (the sentiment demo's pairs).
    public var appendEOS: Bool = true
    public var skipInvalidRows: Bool = false
    /// Fraction of rows held out for evaluation.
    public var evalFraction: Double = 0
    /// A separate eval file (overrides `evalFraction`).
    public var evalData: String?

    // Optimisation
    public var learningRate: Float = 5e-5
    /// `constant`, `linear`, `cosine`.
    public var schedule: String = "linear"
    public var warmupSteps: Int = 0
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    /// Pairs (preference) or sequences per micro-batch.
    public var batchSize: Int = 4
    public var gradientAccumulation: Int = 1
    public var epochs: Int = 1
    /// Stop after this many optimizer steps (nil: `epochs` full passes).
    public var maxSteps: Int?

    // LoRA
    public var loraRank: Int?
    public var loraAlpha: Float = 16
    /// LoRA dropout (checkpoints save the dropout generators, so resumed runs stay bit-identical).
    public var loraDropout: Float = 0
    public var loraTargets: [String] = ["q_proj", "k_proj", "v_proj", "o_proj", "c_attn", "c_proj"]

    // Cadence
    public var evalEvery: Int?
    public var saveEvery: Int?
    public var logEvery: Int = 1

    // Guards
    /// `stop` (default) or `skip` a step whose loss or gradient norm is not finite.
    public var onNonFinite: NonFinitePolicy = .stop

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, model, ref, guide, data, out, seed, loss, beta, alpha, schedule, truncate, epochs
        case lossWeights = "loss_weights", labelSmoothing = "label_smoothing", tokenLevel = "token_level", rewardKind = "reward_kind"
        case precomputeRef = "precompute_ref_log_probs", maxLength = "max_length", maxPromptLength = "max_prompt_length"
        case appendEOS = "append_eos"
        case truncationMode = "truncation_mode", skipInvalidRows = "skip_invalid_rows", evalFraction = "eval_fraction"
        case evalData = "eval_data", learningRate = "learning_rate", warmupSteps = "warmup_steps", weightDecay = "weight_decay"
        case maxGradNorm = "max_grad_norm", batchSize = "batch_size", gradientAccumulation = "gradient_accumulation_steps"
        case maxSteps = "max_steps", loraRank = "lora_rank", loraAlpha = "lora_alpha", loraDropout = "lora_dropout"
        case loraTargets = "lora_target_modules", evalEvery = "eval_steps", saveEvery = "save_steps", logEvery = "logging_steps"
        case onNonFinite = "on_nonfinite", refWeights = "ref_weights"
    }

    /// Any key of a YAML mapping, to find the ones that are not settings.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes with every key optional (a YAML file may set any subset); a key that is not a
    /// setting is an error naming it (a misspelt key would otherwise be silently ignored).
    public init(from decoder: Decoder) throws {
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where CodingKeys(stringValue: key.stringValue) == nil {
            throw TrainingError.unknownSetting(key: key.stringValue, suggestion: Self.nearestKey(to: key.stringValue))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfiguration()
        func v<T: Decodable>(_ k: CodingKeys, _ def: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? def }
        task = try v(.task, d.task); model = try v(.model, d.model); ref = try c.decodeIfPresent(String.self, forKey: .ref)
        refWeights = try v(.refWeights, d.refWeights)
        guide = try v(.guide, d.guide); data = try v(.data, d.data); out = try v(.out, d.out); seed = try v(.seed, d.seed)
        loss = try v(.loss, d.loss); lossWeights = try c.decodeIfPresent([Float].self, forKey: .lossWeights)
        beta = try v(.beta, d.beta); alpha = try c.decodeIfPresent(Float.self, forKey: .alpha)
        labelSmoothing = try v(.labelSmoothing, d.labelSmoothing); tokenLevel = try v(.tokenLevel, d.tokenLevel)
        rewardKind = try v(.rewardKind, d.rewardKind)
        precomputeRef = try v(.precomputeRef, d.precomputeRef); maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? d.maxLength
        maxPromptLength = try c.decodeIfPresent(Int.self, forKey: .maxPromptLength)
        truncationMode = try v(.truncationMode, d.truncationMode); truncate = try v(.truncate, d.truncate)
        appendEOS = try v(.appendEOS, d.appendEOS)
        skipInvalidRows = try v(.skipInvalidRows, d.skipInvalidRows); evalFraction = try v(.evalFraction, d.evalFraction)
        evalData = try c.decodeIfPresent(String.self, forKey: .evalData); learningRate = try v(.learningRate, d.learningRate)
        schedule = try v(.schedule, d.schedule); warmupSteps = try v(.warmupSteps, d.warmupSteps)
        weightDecay = try v(.weightDecay, d.weightDecay); maxGradNorm = try v(.maxGradNorm, d.maxGradNorm)
        batchSize = try v(.batchSize, d.batchSize); gradientAccumulation = try v(.gradientAccumulation, d.gradientAccumulation)
        epochs = try v(.epochs, d.epochs); maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        loraRank = try c.decodeIfPresent(Int.self, forKey: .loraRank); loraAlpha = try v(.loraAlpha, d.loraAlpha)
        loraDropout = try v(.loraDropout, d.loraDropout); loraTargets = try v(.loraTargets, d.loraTargets)
        evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery); saveEvery = try c.decodeIfPresent(Int.self, forKey: .saveEvery)
        logEvery = try v(.logEvery, d.logEvery)
        onNonFinite = try v(.onNonFinite, d.onNonFinite)
    }

    /// Every setting key (snake_case), as YAML files and `config.yaml` spell them.
    public static var settingKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// The setting key closest to a misspelt one (edit distance ≤ 3), for the error message.
    static func nearestKey(to key: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0 ... b.count)
            for i in 1 ... max(1, a.count) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in 1 ... max(1, b.count) where !b.isEmpty {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let k = Array(key.lowercased().prefix(64))
        let scored = settingKeys.map { ($0, distance(k, Array($0))) }.min { $0.1 < $1.1 }
        return scored.flatMap { $0.1 <= 3 ? $0.0 : nil }
    }


    /// The schedules `schedule` accepts.
    public static let schedules = ["constant", "linear", "cosine"]

    /// Checks every numeric setting (finite, in range) and every named choice; the one validation
    /// path for flags and YAML files (`TrainingSetup.prepare` calls it, `RunFolder.readConfiguration`
    /// calls it on a file's values so the error names the file and line).
    /// - Throws: `TrainingError.invalidSetting` naming the snake_case key, the value and the range.
    public func validate() throws {
        func bad(_ key: CodingKeys, _ value: Any, _ requirement: String) -> TrainingError {
            .invalidSetting(key: key.rawValue, value: "\(value)", requirement: requirement)
        }
        guard RewardModelKinds.registry.contains(rewardKind) else {
            throw bad(.rewardKind, rewardKind, "one of \(RewardModelKinds.registry.names.joined(separator: ", "))")
        }
        func positive(_ key: CodingKeys, _ x: Float) throws {
            guard x.isFinite, x > 0 else { throw bad(key, x, "a finite number > 0") }
        }
        func nonNegative(_ key: CodingKeys, _ x: Float) throws {
            guard x.isFinite, x >= 0 else { throw bad(key, x, "a finite number ≥ 0") }
        }
        func fraction(_ key: CodingKeys, _ x: Double, below upper: Double) throws {
            guard x.isFinite, x >= 0, x < upper else { throw bad(key, x, "a number in [0, \(upper == 1 ? "1" : "\(upper)"))") }
        }
        func atLeast(_ key: CodingKeys, _ n: Int?, _ lower: Int) throws {
            if let n, n < lower { throw bad(key, n, "an integer ≥ \(lower)") }
        }
        // Optimisation
        try positive(.learningRate, learningRate)
        guard Self.schedules.contains(schedule) else { throw bad(.schedule, schedule, Self.schedules.joined(separator: ", ")) }
        try atLeast(.warmupSteps, warmupSteps, 0)
        try nonNegative(.weightDecay, weightDecay)
        try nonNegative(.maxGradNorm, maxGradNorm)
        try atLeast(.batchSize, batchSize, 1)
        try atLeast(.gradientAccumulation, gradientAccumulation, 1)
        try atLeast(.epochs, epochs, 1)
        try atLeast(.maxSteps, maxSteps, 1)
        // Objective
        try positive(.beta, beta)
        if let alpha, !alpha.isFinite { throw bad(.alpha, alpha, "a finite number") }
        // Robust DPO divides by 1 − 2ε; every smoothed loss needs ε < 0.5.
        try fraction(.labelSmoothing, Double(labelSmoothing), below: 0.5)
        if let w = lossWeights, let i = w.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError.invalidSetting(key: "\(CodingKeys.lossWeights.rawValue)[\(i)]", value: "\(w[i])", requirement: "a finite number")
        }
        // Data
        try atLeast(.maxLength, maxLength, 2)
        try atLeast(.maxPromptLength, maxPromptLength, 1)
        try fraction(.evalFraction, evalFraction, below: 1)
        // LoRA
        try atLeast(.loraRank, loraRank, 1)
        try positive(.loraAlpha, loraAlpha)
        try fraction(.loraDropout, Double(loraDropout), below: 1)
        // Cadence
        try atLeast(.evalEvery, evalEvery, 1)
        try atLeast(.saveEvery, saveEvery, 1)
        try atLeast(.logEvery, logEvery, 1)
    }

    /// The tokenization policy these settings describe.
    public var encodingOptions: EncodingOptions {
        EncodingOptions(maxLength: maxLength, maxPromptLength: maxPromptLength, truncationMode: truncationMode, allowTruncation: truncate,
                        appendEOS: appendEOS)
    }
}
