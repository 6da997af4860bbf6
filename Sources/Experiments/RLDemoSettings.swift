// The knobs of `tokenalign demo rl`, written to the run folder as `settings.json`.
import Foundation
import Support

/// Online RL with verifiable rewards from the CreditBench demo's SFT model: every method from the
/// same start with the same sampling budget, on several seeds, against GRPO.
/// Each field is declared once more, with its key, doc and rule, in `settings` (below).
public struct RLDemoSettings: DemoSettings, Sendable, Equatable {
    public var methods = ["grpo", "dr-grpo", "dapo", "rloo", "reinforce++", "reinforce++-baseline", "gspo", "ktae",
                          "grpo-token-credit", "ppo", "ppo-token-credit", "rto", "ppo-token-rm", "ppo-rm", "abc", "em-rl"]
    public var seeds: [UInt64] = [0, 1, 2]
    public var creditRun: String?
    public var creditPreset = "default"
    public var trainPrompts = 4000
    public var steps = 60
    public var completionsPerStep = 64
    public var numGenerations = 8
    public var learningRate: Float = 1e-4
    public var ppoLearningRate: Float = 5e-5
    public var evalEvery = 20
    public var evalSamples = 2
    public var heatmaps = 2
    public var bootstrapResamples = 1000
    /// The budget of the models a method trains inside the demo (`RLDemoAuxiliary`): the CreditBench
    /// demo's own auxiliary budget (its sequence and token RMs), so they match the credit run's RMs.
    public var auxiliarySteps = 150
    public var auxiliaryBatch = 16
    public var auxiliaryLearningRate: Float = 5e-4
    /// Where the segment RM cuts: the SFT sort model's next-token entropy on its demonstrations has
    /// median 0.03, 90th percentile 0.29 and maximum 1.17 nats, so the paper's 2 (for a large
    /// vocabulary) would cut nowhere; 0.2 cuts about 2.2 times per answer, about 3 segments.
    public var segmentEntropyThreshold: Float = 0.2

    public init() {}

    /// The CI-sized run: the quick CreditBench demo as the start, six methods besides GRPO, two seeds.
    public static var quick: RLDemoSettings {
        var s = RLDemoSettings()
        s.methods = ["grpo", "ppo-token-credit", "rto", "abc", "oreal", "thr", "quark", "rlmec", "segment-rm", "rlmec-objective"]
        s.seeds = [0, 1]
        s.creditPreset = "quick"
        s.trainPrompts = 300
        s.steps = 4
        s.completionsPerStep = 32
        s.evalEvery = 2
        s.evalSamples = 1
        s.heatmaps = 1
        s.bootstrapResamples = 200
        s.auxiliarySteps = 20
        return s
    }

    /// The credit presets.
    public static let creditPresets = ["default", "quick"]

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<RLDemoSettings> {
        typealias S = Setting<RLDemoSettings>
        let positiveRate = SettingRule<Float>("a positive number") { $0.isFinite && $0 > 0 }
        return SettingsTable([
            S("methods", \.methods, "Methods by label: \(RLDemo.methods.map(\.label).joined(separator: ", ")); grpo, the baseline, stays."),
            S("seeds", \.seeds, "Seeds; every method runs once per seed."),
            S("steps", \.steps, "Rollout batches per method and seed.", rule: .atLeast(1)),
            S("heatmaps", \.heatmaps, "Wrong rollouts of the last step shown as advantage heatmaps, per method (first seed).", rule: .atLeast(0)),
            S("credit_run", \.creditRun, "A finished `tokenalign demo` run folder: its SFT model is the start, its held-out prompts the test set, its DPO policy, token RM and sequence RM the auxiliary models (default: run the CreditBench demo first into credit/).",
              rule: .ifSet(SettingRule("a folder path, not empty") { !$0.isEmpty })),
            S("credit_preset", \.creditPreset, "The CreditBench demo settings used without credit_run: default or quick.", rule: .oneOf(creditPresets)),
            S("train_prompts", \.trainPrompts, "Fresh training problems of the run's task (none is a held-out prompt).", rule: .atLeast(1)),
            S("completions_per_step", \.completionsPerStep, "Completions sampled per rollout batch (every method: steps × this many).", rule: .atLeast(1)),
            S("num_generations", \.numGenerations, "Completions per prompt for the group methods (PPO samples one per prompt).", rule: .atLeast(2)),
            S("learning_rate", \.learningRate, "Learning rate.", rule: positiveRate),
            S("ppo_learning_rate", \.ppoLearningRate, "PPO's learning rate (its value head and 4 epochs per batch want a smaller step).", rule: positiveRate),
            S("eval_every", \.evalEvery, "Evaluate every this many steps.", rule: .atLeast(1)),
            S("eval_samples", \.evalSamples, "Sampled completions (T = 1) per held-out prompt for the sampled accuracy and the KL.", rule: .atLeast(1)),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals.", rule: .atLeast(1)),
            S("auxiliary_steps", \.auxiliarySteps, "Training steps of each model a method trains in the run from the credit run's pairs (rlmec's rewriter, segment-rm's reward model); kept under auxiliary/ and reused by a later run with the same budget.", rule: .atLeast(1)),
            S("auxiliary_batch", \.auxiliaryBatch, "Batch size of those models.", rule: .atLeast(1)),
            S("auxiliary_learning_rate", \.auxiliaryLearningRate, "Learning rate of those models.", rule: positiveRate),
            S("segment_entropy_threshold", \.segmentEntropyThreshold, "segment-rm: the SFT model's next-token entropy (nats) at which a segment is cut.",
              rule: SettingRule("a finite number ≥ 0") { $0.isFinite && $0 >= 0 }),
        ])
    }

    /// Each setting's rule, then the rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        try OnlineRLComparisonRules.validate(methods: methods, known: RLDemo.methods.map(\.label), seeds: seeds,
                                             completionsPerStep: completionsPerStep, numGenerations: numGenerations)
    }
}
