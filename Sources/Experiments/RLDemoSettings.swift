// The knobs of `tokenalign demo rl`, written to the run folder as `settings.json`.
import Foundation

/// Online RL with verifiable rewards from the CreditBench demo's SFT model: every method from the
/// same start with the same sampling budget, on several seeds, against GRPO.
public struct RLDemoSettings: DemoSettings, Sendable, Equatable {
    /// Methods by label (`RLDemo.methods` lists the labels and what each runs).
    public var methods = ["grpo", "dr-grpo", "dapo", "rloo", "reinforce++", "reinforce++-baseline", "gspo", "ktae",
                          "grpo-token-credit", "ppo", "ppo-token-credit", "rto", "ppo-token-rm", "ppo-rm", "abc", "em-rl"]
    public var seeds: [UInt64] = [0, 1, 2]
    /// A finished `tokenalign demo` run folder: its SFT model is the start, its held-out prompts the
    /// test set, its DPO policy, token RM and sequence RM the auxiliary models of RTO, PPO with a
    /// token RM, and ABC. Unset: the demo runs the CreditBench demo first (`credit_preset`, DPO only)
    /// into `credit/` of the run folder.
    public var creditRun: String?
    /// The CreditBench demo settings used when `credit_run` is unset: `default` or `quick`.
    public var creditPreset = "default"
    /// Fresh training problems of the run's task (none is a held-out prompt).
    public var trainPrompts = 4000
    /// Rollout batches per method and seed; every method samples `steps × completions_per_step`
    /// completions.
    public var steps = 60
    public var completionsPerStep = 64
    /// Completions per prompt for the group methods (PPO samples one per prompt).
    public var numGenerations = 8
    public var learningRate: Float = 1e-4
    /// PPO's learning rate (its value head and 4 epochs per batch want a smaller step).
    public var ppoLearningRate: Float = 5e-5
    public var evalEvery = 20
    /// Sampled completions (T = 1) per held-out prompt for the sampled accuracy and the KL.
    public var evalSamples = 2
    /// Wrong rollouts of the last step shown as advantage heatmaps, per method (first seed).
    public var heatmaps = 2
    public var bootstrapResamples = 1000

    public init() {}

    /// The CI-sized run: the quick CreditBench demo as the start, three methods, two seeds.
    public static var quick: RLDemoSettings {
        var s = RLDemoSettings()
        s.methods = ["grpo", "ppo-token-credit", "rto", "abc"]
        s.seeds = [0, 1]
        s.creditPreset = "quick"
        s.trainPrompts = 300
        s.steps = 4
        s.completionsPerStep = 32
        s.evalEvery = 2
        s.evalSamples = 1
        s.heatmaps = 1
        s.bootstrapResamples = 200
        return s
    }

    /// The credit presets.
    public static let creditPresets = ["default", "quick"]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case methods, seeds, steps, heatmaps
        case creditRun = "credit_run", creditPreset = "credit_preset", trainPrompts = "train_prompts"
        case completionsPerStep = "completions_per_step", numGenerations = "num_generations", learningRate = "learning_rate"
        case ppoLearningRate = "ppo_learning_rate", evalEvery = "eval_every", evalSamples = "eval_samples"
        case bootstrapResamples = "bootstrap_resamples"
    }

    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Every key optional: a settings file may override any subset of the defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var s = RLDemoSettings()
        func v<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<RLDemoSettings, T>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { s[keyPath: p] = x }
        }
        if let x = try c.decodeIfPresent(String.self, forKey: .creditRun) { s.creditRun = x }
        try v(.methods, \.methods); try v(.seeds, \.seeds); try v(.steps, \.steps); try v(.heatmaps, \.heatmaps)
        try v(.creditPreset, \.creditPreset); try v(.trainPrompts, \.trainPrompts); try v(.completionsPerStep, \.completionsPerStep)
        try v(.numGenerations, \.numGenerations); try v(.learningRate, \.learningRate); try v(.ppoLearningRate, \.ppoLearningRate)
        try v(.evalEvery, \.evalEvery); try v(.evalSamples, \.evalSamples); try v(.bootstrapResamples, \.bootstrapResamples)
        self = s
    }

    public func validate() throws(DemoError) {
        for (v, k) in [(trainPrompts, "train_prompts"), (steps, "steps"), (completionsPerStep, "completions_per_step"),
                       (numGenerations, "num_generations"), (evalEvery, "eval_every"), (evalSamples, "eval_samples"),
                       (bootstrapResamples, "bootstrap_resamples")] where v < 1 {
            throw .invalidSetting("\(k) must be ≥ 1, got \(v)")
        }
        if heatmaps < 0 { throw .invalidSetting("heatmaps must be ≥ 0, got \(heatmaps)") }
        if numGenerations < 2 { throw .invalidSetting("num_generations must be ≥ 2 (group estimators need a group), got \(numGenerations)") }
        if completionsPerStep % numGenerations != 0 {
            throw .invalidSetting("completions_per_step \(completionsPerStep) must be a multiple of num_generations \(numGenerations)")
        }
        for (x, k) in [(learningRate, "learning_rate"), (ppoLearningRate, "ppo_learning_rate")] where !(x.isFinite && x > 0) {
            throw .invalidSetting("\(k) must be a positive number, got \(x)")
        }
        if seeds.isEmpty { throw .invalidSetting("seeds: at least one seed") }
        if Set(seeds).count != seeds.count { throw .invalidSetting("seeds: each seed once, got \(seeds)") }
        if Set(methods).count != methods.count { throw .invalidSetting("methods: each method once, got \(methods.joined(separator: ", "))") }
        for m in methods where RLDemo.method(m) == nil {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(RLDemo.methods.map(\.label).joined(separator: ", "))")
        }
        if !methods.contains("grpo") { throw .invalidSetting("methods: grpo is the baseline every method is compared with; keep it") }
        if !Self.creditPresets.contains(creditPreset) {
            throw .invalidSetting("unknown credit_preset '\(creditPreset)'; expected one of \(Self.creditPresets.joined(separator: ", "))")
        }
        if let creditRun, creditRun.isEmpty { throw .invalidSetting("credit_run: a folder path, got an empty string") }
    }
}
