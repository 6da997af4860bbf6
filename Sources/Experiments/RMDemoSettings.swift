// The knobs of `tokenalign demo rm`, written to the run folder as `settings.json`: one budget
// (model, steps, batch, learning rate, seeds) that every reward-model kind and training method
// shares, so the table compares kinds and not budgets (docs/design/rm-eval.md §10).
import CreditBench
import Foundation
import Support

/// Every registered reward-model kind, the training methods and the DPO implicit reward, trained on
/// the same CreditBench rows and scored by the same harness.
/// Each field is declared once more, with its key, doc and rule, in `settings` (below).
public struct RMDemoSettings: DemoSettings, TinyLlamaKnobs, Sendable, Equatable {
    // Data: one CreditBench task; every kind's rows come from the same (seed, index) examples.
    public var task = "sort"
    public var length: Int?
    public var trainPairs = 400
    public var evalPairs = 200
    public var unlabelledPairs = 400
    public var rollouts = 4
    public var maxNewTokens = 24
    /// `injected` (the task's random slips on the rejected side) or `systematic` (the task's
    /// systematic bug, which the base model is then trained to make confidently).
    public var regime = "injected"
    public var systematicShare = 0.8
    public static var tinyLlamaFields: TinyLlamaFields<RMDemoSettings> {
        TinyLlamaFields(\.vocabularySize, \.hiddenSize, \.layers, \.heads, \.kvHeads, \.intermediateSize,
                        \.sftSteps, \.sftBatch, \.sftLearningRate)
    }
    /// This demo builds its rejected responses rather than sampling them, so CreditBench's
    /// `sampled` regime (errors only from the SFT model's own samples) has no meaning here.
    public static let regimes = ["injected", "systematic"]
    /// What the training pairs' rejected side is: `regime` (what the regime says) or `slips` (the
    /// task's injected slips, even in the systematic regime, whose held-out pairs all test the bug):
    /// does a reward model that never saw the bug in training still rank it below the right answer?
    public var trainRejected = "regime"
    public static let trainRejectedValues = ["regime", "slips"]

    // The base language model every reward model starts from (trained from scratch, as the
    // CreditBench demo trains its SFT model).
    public var vocabularySize = 300
    public var hiddenSize = 64
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var intermediateSize = 172
    public var sftExamples = 4000
    public var errorRate = 0.3
    public var sftSteps = 1500
    public var sftBatch = 32
    public var sftLearningRate: Float = 2e-3

    // The shared reward-model budget.
    public var rmSteps = 150
    public var rmBatch = 16
    public var rmLearningRate: Float = 5e-4
    public var beta: Float = 0.1
    public var coFilterRate: Float = 0.2
    public var seeds: [UInt64] = [0, 1, 2]

    public var bootstrapResamples = 1000
    public var seed: UInt64 = 0

    /// Contenders to run (kinds, `bt+METHOD`, the ensemble, the DPO baseline); empty: all.
    public var only: [String] = []
    /// CLoud's stage-1 steps on the oracle critiques (unset: rm_steps, the shared budget).
    public var critiqueSftSteps: Int?

    public init() {}

    /// The CI-sized run (under a minute on 2 cores): a smaller model and data, a few steps, two seeds
    /// (the ensemble needs two).
    public static var quick: RMDemoSettings {
        var s = RMDemoSettings()
        s.length = 3
        s.trainPairs = 48
        s.evalPairs = 40
        s.unlabelledPairs = 32
        s.rollouts = 2
        s.maxNewTokens = 12
        s.hiddenSize = 32
        s.heads = 2
        s.kvHeads = 1
        s.intermediateSize = 64
        s.sftExamples = 600
        s.sftSteps = 120
        s.sftBatch = 16
        s.rmSteps = 6
        s.rmBatch = 8
        s.seeds = [0, 1]
        s.bootstrapResamples = 200
        return s
    }

    /// Whether the contender `name` runs (`only` empty or naming it).
    func runs(_ name: String) -> Bool { only.isEmpty || only.contains(name) }

    /// The task these settings describe (the CreditBench demo's knob rules).
    public func makeTask() throws -> any CreditTask { try creditSettings.makeTask() }

    /// The CreditBench demo settings whose tokenizer and SFT stages build this demo's base model.
    var creditSettings: CreditDemoSettings {
        var c = CreditDemoSettings()
        c.task = task
        c.length = length
        c.sftExamples = sftExamples
        c.errorRate = errorRate
        c.regime = regime
        c.systematicShare = systematicShare
        c.maxNewTokens = maxNewTokens
        copyTinyLlama(into: &c)
        c.methods = []
        c.bootstrapResamples = bootstrapResamples
        c.seed = seed
        return c
    }

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<RMDemoSettings> {
        typealias S = Setting<RMDemoSettings>
        let positive = SettingRule<Float>("a positive number") { $0.isFinite && $0 > 0 }
        return SettingsTable([
            S("task", \.task, "CreditBench task whose rows every kind trains and is scored on.", rule: .oneOf(CreditTaskName.allCases.map(\.rawValue))),
            S("length", \.length, "sort: elements per list; cipher, forbidden: words; count: letters (default: the task's)."),
            S("train_pairs", \.trainPairs, "Training rows (examples 0 ..< n of the task at `seed`): pairs, token labels, edits and rollout prompts all come from them.", rule: .atLeast(2)),
            S("eval_pairs", \.evalPairs, "Held-out pairs (another seed, prompts seen in training dropped): pair accuracy, robustness, length correlation and first-error localisation.", rule: .atLeast(1)),
            S("unlabelled_pairs", \.unlabelledPairs, "Unlabelled pairs of SSRM (bradley-terry --self-train), from a third seed.", rule: .atLeast(1)),
            S("rollouts", \.rollouts, "Rollouts per training prompt for the value and multifurcation targets (even).",
              rule: SettingRule("an even integer ≥ 2") { $0 >= 2 && $0 % 2 == 0 }),
            S("max_new_tokens", \.maxNewTokens, "Longest rollout in tokens.", rule: .atLeast(1)),
            S("regime", \.regime, "What the rejected responses are: injected (the task's random slips, which the base model finds unlikely) or systematic (the task's systematic bug wherever a problem admits it, which the base model is trained to make with share systematic_share; held-out pairs then all test the bug).",
              rule: .oneOf(RMDemoSettings.regimes)),
            S("systematic_share", \.systematicShare, "Systematic regime: share of the base model's demonstrations that follow the bug where it applies.", rule: .within(0, 1)),
            S("train_rejected", \.trainRejected, "The rejected side of training and unlabelled pairs: regime (as the regime says) or slips (the task's injected slips even in the systematic regime, whose held-out pairs still all test the bug: an RM that never saw the bug). slips needs regime systematic.",
              rule: .oneOf(RMDemoSettings.trainRejectedValues)),
        ] + tinyLlamaSettings(at: \.self, model: "the base model") + [
            S("sft_examples", \.sftExamples, "Demonstrations the base model is trained on.", rule: .atLeast(1)),
            S("error_rate", \.errorRate, "Fraction of demonstrations with an injected error (the base model is imperfect, so rollouts are mixed).", rule: .within(0, 1)),
            S("rm_steps", \.rmSteps, "Optimizer steps of every reward model, method and the DPO baseline.", rule: .atLeast(1)),
            S("rm_batch", \.rmBatch, "Pairs per step of every reward model.", rule: .atLeast(1)),
            S("rm_learning_rate", \.rmLearningRate, "Learning rate of every reward model.", rule: positive),
            S("beta", \.beta, "β of the DPO baseline (and of the kinds with a β).", rule: positive),
            S("co_filter_rate", \.coFilterRate, "Co-teaching's share of large-loss pairs each model drops.", rule: SettingRule("in [0, 1)") { $0 >= 0 && $0 < 1 }),
            S("seeds", \.seeds, "Reward-model seeds: every kind trains once per seed on the same data; the BT models of all seeds form the mean ensemble.",
              rule: SettingRule("at least one seed, each once") { !$0.isEmpty && Set($0).count == $0.count }),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals.", rule: .atLeast(1)),
            S("seed", \.seed, "Seed of the data and the base model."),
            S("only", \.only, "Run only these contenders (comma list of kind names, bt+METHOD, \(RMDemo.ensembleName), \(RMDemo.dpoName), \(RMDemo.baseLikelihoodName)); empty = all. The ensemble needs bradley-terry.",
              rule: SettingRule("names from `tokenalign demo rm`'s table") { $0.allSatisfy(RMDemo.contenders.contains) }),
            S("critique_sft_steps", \.critiqueSftSteps, "--kind cloud: stage-1 steps of SFT on the oracle critiques (default: rm_steps).", rule: .ifSet(.atLeast(1))),
        ])
    }

    /// Each setting's rule, then the base model's (the CreditBench demo's rules: heads divide the
    /// hidden size, kv heads the heads).
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        if trainRejected == "slips", regime != "systematic" {
            throw .invalidSetting("train_rejected slips differs from the default only in the systematic regime (regime is \(regime))")
        }
        try creditSettings.validate()
    }
}
