// The knobs of the CreditBench part of `tokenalign demo decoding` (`--part creditbench`). They live
// inside `DecodingDemoSettings` (as `creditbench`) so one settings file, one flag table and one
// `settings.json` describe a run of either part; each field is declared once, with its key (`cb_…`,
// or `task`), doc and rule, at the end of `DecodingDemoSettings.settings`.
import CreditBench
import Foundation

/// Sequence-level search on a CreditBench task, every method at several budgets against the
/// forward tokens it spends (issue 14; docs/design/search.md §6). The pipeline of each seed: SFT
/// from scratch on demonstrations with injected errors, an outcome RM (Bradley–Terry, arXiv
/// 2203.02155) on the SFT model's own verified samples, a TVM value model (arXiv 2407.12863) on
/// verified rollouts, and a multifurcation RM (Saffron-1, arXiv 2506.06444) on the verifier's
/// prefix labels of the same rollouts; the three reward models share one training budget.
public struct CreditDecodingSettings: TinyLlamaKnobs, Sendable, Equatable {
    /// `chain` (step-structured, `;` between steps) or `add`.
    public var task = "chain"
    /// `chain`: the largest intermediate value (99, as `scripts/search-compare.sh`, keeps the
    /// products small enough for a tiny model to be partly right).
    public var maxValue = 99
    public var errorRate = 0.3
    public var sftExamples = 4000
    /// Prompts whose SFT samples give the outcome RM's pairs (chosen correct, rejected wrong).
    public var preferencePrompts = 4000
    public var pairSamples = 4
    /// Prompts whose verified rollouts give the TVM and MRM targets.
    public var valuePrompts = 800
    public var rollouts = 16
    /// Held-out prompts every method searches (disjoint from every training prompt).
    public var testPrompts = 100
    public var maxNewTokens = 40

    // The policy: a tiny Llama trained from scratch (as `tokenalign demo`).
    public var vocabularySize = 300
    public var hiddenSize = 64
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var intermediateSize = 172
    public var sftSteps = 1000
    public var sftBatch = 32
    public var sftLearningRate: Float = 3e-3
    public static var tinyLlamaFields: TinyLlamaFields<CreditDecodingSettings> {
        TinyLlamaFields(\.vocabularySize, \.hiddenSize, \.layers, \.heads, \.kvHeads,
                        \.intermediateSize, \.sftSteps, \.sftBatch, \.sftLearningRate)
    }

    // The one budget of every reward model (ORM, TVM, MRM), each from the SFT model.
    public var rmSteps = 400
    public var rmBatch = 16
    public var rmLearningRate: Float = 3e-4

    // Search. The four budget lists have one entry per budget level (the report's tables).
    public var temperature: Float = 1
    public var samples = [2, 4, 8, 16]
    public var beamWidths = [1, 2, 4, 8]
    public var iterations = [2, 4, 8, 16]
    public var saffronBudgets = [2, 4, 8, 16]
    public var expansions = 4
    public var tau = 6
    public var keep = 0.25
    public var stepDelimiter = ";"
    public var stepTokens = 16
    public var saffronTopP = 0.8
    public var maxChildren = 0
    public var methods = CreditDecodingMethods.all.map(\.label)

    public init() {}

    /// The CI size: every stage and method, one small budget pair, a handful of prompts.
    public static var quick: CreditDecodingSettings {
        var s = CreditDecodingSettings()
        // Smaller numbers and 500 SFT steps: the least training after which the policy samples a
        // correct answer often enough to give the outcome RM its pairs (13 of 60 prompts on seed 0).
        s.maxValue = 30
        s.sftExamples = 2000
        s.preferencePrompts = 60
        s.valuePrompts = 8
        s.rollouts = 4
        s.testPrompts = 6
        s.maxNewTokens = 24
        s.sftSteps = 500
        s.rmSteps = 8
        s.rmBatch = 8
        s.samples = [2, 4]
        s.beamWidths = [1, 2]
        s.iterations = [2, 4]
        s.saffronBudgets = [2, 4]
        s.expansions = 2
        s.tau = 4
        s.stepTokens = 8
        s.maxChildren = 4
        return s
    }

    /// The tasks this part runs on. Each prompt row carries its task's knobs (`task_knobs`), so the
    /// verifier judges the problem the row poses (`add`: the reversed sums of `tokenalign demo`).
    public static let tasks = ["chain", "add"]

    /// Budget levels (every budget list has this many entries).
    public var levels: Int { samples.count }

    /// The `tokenalign demo` settings whose stages (demonstrations, tokenizer, SFT, on-policy pairs)
    /// this part reuses, for one seed. `add` takes that demo's knobs: sums written least-significant
    /// digit first, the form a tiny model learns from scratch (unreversed 3-digit sums left every
    /// method at the floor, docs/results.md); the prompt rows carry the knobs (`CreditDecodingDemo.promptKnobs`).
    func creditSettings(seed: UInt64) -> CreditDemoSettings {
        var c = CreditDemoSettings()
        c.task = task
        c.maxValue = maxValue
        c.errorRate = errorRate
        c.sftExamples = sftExamples
        c.preferencePrompts = preferencePrompts
        c.samplesPerPrompt = pairSamples
        c.maxNewTokens = maxNewTokens
        copyTinyLlama(into: &c)
        c.methods = ["dpo"]
        c.seed = seed
        return c
    }

    /// The rules that relate these settings (each field's own rule is in the table).
    func validate() throws(DemoError) {
        let lists = [("cb_beam_widths", beamWidths), ("cb_iterations", iterations), ("cb_saffron_budgets", saffronBudgets)]
        for (key, list) in lists where list.count != samples.count {
            throw .invalidSetting("\(key) has \(list.count) budget levels but cb_samples has \(samples.count): give every budget list the same number of levels")
        }
        if rollouts % 2 != 0 { throw .invalidSetting("cb_rollouts must be even (the targets are written two answers per row), got \(rollouts)") }
        try validateTinyLlama(prefix: "cb_")
        let known = CreditDecodingMethods.all.map(\.label)
        for m in methods where !known.contains(m) {
            throw .invalidSetting("cb_methods: unknown method '\(m)'; expected some of \(known.joined(separator: ", "))")
        }
        if !methods.contains(CreditDecodingMethods.baseline) {
            throw .invalidSetting("cb_methods must include \(CreditDecodingMethods.baseline): every method is compared with it")
        }
    }
}
