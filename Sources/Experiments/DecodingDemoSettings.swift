// The knobs of `tokenalign demo decoding`, written to the run folder as `settings.json`.
import Foundation
import Support

/// What each decoding-time guide and sample searcher buys in reward for what it costs, on the
/// controlled-sentiment task of `tokenalign demo sentiment` (RAD's own setting, arXiv:2310.09520
/// §4.1: steer a small LM's continuations towards positive sentiment). The data settings mean what
/// they mean in `SentimentDemoSettings`; each field is declared once more, with its key, doc and
/// rule, in `settings` (below).
public struct DecodingDemoSettings: DemoSettings, Sendable, Equatable {
    /// The stages shared with the sentiment demo (model, reward, prompts, sampling, pairs) and the
    /// training budget every trained model gets (steps, batch, learning rate, LoRA); its other
    /// fields (methods, β sweep) are not used here.
    public var data: SentimentDemoSettings = {
        var s = SentimentDemoSettings()
        s.testPrompts = 32
        s.saveMergedBeta = nil
        return s
    }()
    public var dpoBeta: Float = 0.1
    public var armBeta: Float = 0.1

    // Decoding strengths.
    public var radWeights: [Float] = [2, 5, 15]
    public var argsWeights: [Float] = [0.5, 1.5, 4]
    public var genarmWeights: [Float] = [0.5, 1, 2]
    public var guideTopK = 10
    public var bestOf = [4, 16]
    public var seeds: [UInt64] = [0]
    /// Which part runs: `sentiment` (the default), `creditbench` or `all`.
    public var part = "sentiment"
    /// The CreditBench part's knobs (`CreditDecodingSettings`).
    public var creditbench = CreditDecodingSettings()

    public init() {}

    /// The CI-sized run (under a minute on 2 cores): every model and every method, one strength
    /// each, a handful of prompts and tokens.
    public static var quick: DecodingDemoSettings {
        var s = DecodingDemoSettings()
        s.data.trainPrompts = 12
        s.data.testPrompts = 3
        s.data.evalSamples = 1
        s.data.maxNewTokens = 6
        s.data.steps = 2
        s.data.batch = 2
        s.data.bootstrapResamples = 50
        s.radWeights = [5]
        s.argsWeights = [1.5]
        s.genarmWeights = [1]
        s.guideTopK = 5
        s.bestOf = [4]
        s.creditbench = .quick
        return s
    }

    /// The sentiment demo's settings of one seed, so the same seed gives the sentiment demo's
    /// prompts, samples and pairs.
    func sentiment(seed: UInt64) -> SentimentDemoSettings {
        var s = data
        s.seed = seed
        return s
    }

    /// Each setting's rule, then the rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        if Set(seeds).count != seeds.count { throw .invalidSetting("seeds: each seed once, got \(seeds)") }
        if data.topK > 0 && guideTopK > data.topK {
            throw .invalidSetting("guide_top_k \(guideTopK) must be ≤ top_k \(data.topK): the guides rescore the candidates the sampler could draw")
        }
        if part != "sentiment" { try creditbench.validate() }
    }

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<DecodingDemoSettings> {
        typealias S = Setting<DecodingDemoSettings>
        let weights = SettingRule<[Float]>("a non-empty list of finite numbers > 0") { !$0.isEmpty && $0.allSatisfy { $0.isFinite && $0 > 0 } }
        return SettingsTable([
            S("model", \.data.model, "The base model every method decodes with and every trained model starts from (a Hugging Face folder or a GGUF file)."),
            S("lexicon", \.data.lexicon, "The VADER lexicon file of the reward (as in `demo sentiment`)."),
            S("profanity", \.data.profanity, "The profanity word list of the reward's penalty (null or a missing file: none)."),
            S("corpus", \.data.corpus, "The Shakespeare folder the prompts come from (as in `demo sentiment`)."),
            S("profanity_weight", \.data.profanityWeight, "λ in reward = VADER compound − λ·(profane words)."),
            S("token_reward_scale", \.data.tokenRewardScale, "Scale of the per-word valences summed into the lexicon reward."),
            S("train_prompts", \.data.trainPrompts, "Training prompts (their best-vs-worst pairs train every model).", rule: .atLeast(1)),
            S("test_prompts", \.data.testPrompts, "Held-out prompts every method decodes.", rule: .atLeast(1)),
            S("samples_per_prompt", \.data.samplesPerPrompt, "Base-model samples per training prompt, ranked by the reward into one pair.",
              rule: .atLeast(2)),
            S("minimum_margin", \.data.minimumMargin, "Smallest reward gap between a pair's two samples."),
            S("eval_samples", \.data.evalSamples, "Outputs per held-out prompt and method (a best-of-N output is one search).", rule: .atLeast(1)),
            S("max_new_tokens", \.data.maxNewTokens, "Tokens per output at most.", rule: .atLeast(1)),
            S("temperature", \.data.temperature, "Sampling temperature of every method.", rule: .positive),
            S("top_k", \.data.topK, "Top-k of every method's sampler (0: none).", rule: .atLeast(0)),
            S("steps", \.data.steps, "Optimizer steps of each trained model (RAD RM, ARGS RM, GenARM ARM, DPO).", rule: .atLeast(1)),
            S("batch", \.data.batch, "Pairs per optimizer step.", rule: .atLeast(1)),
            S("learning_rate", \.data.learningRate, "Learning rate of every trained model.", rule: .positive),
            S("lora_rank", \.data.loraRank, "LoRA rank (q/k/v/o) of every trained model; the adapters are folded in when saved.", rule: .atLeast(1)),
            S("lora_alpha", \.data.loraAlpha, "LoRA scale α.", rule: .positive),
            S("dpo_beta", \.dpoBeta, "β of the DPO model.", rule: .positive),
            S("arm_beta", \.armBeta, "β_r of GenARM's autoregressive reward β_r·Σ log π_r (its training loss's scale).", rule: .positive),
            S("rad_weights", \.radWeights, "RAD's β: the weights of the RAD guide, one decoding run each.", rule: weights),
            S("args_weights", \.argsWeights, "ARGS's w: the weights of the ARGS guide.", rule: weights),
            S("genarm_weights", \.genarmWeights, "GenARM's 1/β: the weights of the GenARM guide.", rule: weights),
            S("guide_top_k", \.guideTopK, "Candidates RAD and ARGS rescore per step (the base model's top k).", rule: .atLeast(1)),
            S("best_of", \.bestOf, "N of best-of-N, one run each, scored by the sequence RM and by VADER (the oracle).",
              rule: SettingRule("a non-empty list of integers ≥ 1") { !$0.isEmpty && $0.allSatisfy { $0 >= 1 } }),
            S("bootstrap_resamples", \.data.bootstrapResamples, "Resamples of the bootstrap intervals over prompts.", rule: .atLeast(1)),
            S("seeds", \.seeds, "Seeds; the whole pipeline (pairs, training, decoding) runs once per seed.",
              rule: SettingRule("a non-empty list") { !$0.isEmpty }),
            S("part", \.part, "Which part runs: sentiment (RAD, ARGS, GenARM, best-of-N on SmolLM2), creditbench (sequence-level search on a CreditBench task; the cb_ settings) or all (both; the CreditBench part in the run folder's creditbench/).",
              rule: .oneOf(Self.parts)),
            S("task", \.creditbench.task, "CreditBench part: the task (chain: steps separated by ';'; add: 3-digit sums written least-significant digit first, as `tokenalign demo` trains them).", rule: .oneOf(CreditDecodingSettings.tasks)),
            S("cb_max_value", \.creditbench.maxValue, "CreditBench part, chain: the largest intermediate value.", rule: .atLeast(9)),
            S("cb_error_rate", \.creditbench.errorRate, "CreditBench part: fraction of SFT demonstrations with an injected error.", rule: .within(0, 1)),
            S("cb_sft_examples", \.creditbench.sftExamples, "CreditBench part: SFT demonstrations.", rule: .atLeast(1)),
            S("cb_preference_prompts", \.creditbench.preferencePrompts, "CreditBench part: prompts whose SFT samples give the outcome RM's pairs.", rule: .atLeast(1)),
            S("cb_pair_samples", \.creditbench.pairSamples, "CreditBench part: SFT samples per preference prompt (a pair needs a correct and a wrong one).", rule: .atLeast(2)),
            S("cb_value_prompts", \.creditbench.valuePrompts, "CreditBench part: prompts whose verified rollouts train the TVM value model and the multifurcation RM.", rule: .atLeast(1)),
            S("cb_rollouts", \.creditbench.rollouts, "CreditBench part: rollouts per value prompt (even).", rule: .atLeast(2)),
            S("cb_test_prompts", \.creditbench.testPrompts, "CreditBench part: held-out prompts every method searches.", rule: .atLeast(1)),
            S("cb_max_new_tokens", \.creditbench.maxNewTokens, "CreditBench part: tokens per answer at most.", rule: .atLeast(1)),
        ] + CreditDecodingSettings.tinyLlamaSettings(at: \.creditbench, prefix: "cb_", model: "the CreditBench part's policy") + [
            S("cb_rm_steps", \.creditbench.rmSteps, "CreditBench part: steps of every reward model (ORM, TVM, MRM), each from the SFT model.", rule: .atLeast(1)),
            S("cb_rm_batch", \.creditbench.rmBatch, "CreditBench part: batch size of every reward model.", rule: .atLeast(1)),
            S("cb_rm_learning_rate", \.creditbench.rmLearningRate, "CreditBench part: learning rate of every reward model.", rule: .positive),
            S("cb_temperature", \.creditbench.temperature, "CreditBench part: sampling temperature of every method's proposals (greedy aside).", rule: .positive),
            S("cb_samples", \.creditbench.samples, "CreditBench part: N of the sample methods (majority, best-of-N, weighted majority, early rejection), one per budget level.", rule: Self.budgetRule),
            S("cb_beam_widths", \.creditbench.beamWidths, "CreditBench part: beam widths K of step beam search with the PRM, one per budget level.", rule: Self.budgetRule),
            S("cb_iterations", \.creditbench.iterations, "CreditBench part: MCTS iterations with the PRM, one per budget level.", rule: Self.budgetRule),
            S("cb_saffron_budgets", \.creditbench.saffronBudgets, "CreditBench part: Saffron's kept (node, child) pairs per depth, one per budget level.", rule: Self.budgetRule),
            S("cb_expansions", \.creditbench.expansions, "CreditBench part: sampled next steps per beam or MCTS node.", rule: .atLeast(1)),
            S("cb_tau", \.creditbench.tau, "CreditBench part: early rejection's τ (tokens before the partial answers are scored).", rule: .atLeast(1)),
            S("cb_keep", \.creditbench.keep, "CreditBench part: fraction early rejection keeps after τ tokens.", rule: SettingRule("a number in (0, 1]") { $0 > 0 && $0 <= 1 }),
            S("cb_step_delimiter", \.creditbench.stepDelimiter, "CreditBench part: the text that ends a step of beam search and MCTS.", rule: SettingRule("a non-empty string") { !$0.isEmpty }),
            S("cb_step_tokens", \.creditbench.stepTokens, "CreditBench part: most tokens in one step.", rule: .atLeast(1)),
            S("cb_saffron_top_p", \.creditbench.saffronTopP, "CreditBench part: Saffron's children are the tokens of this top-p mass.", rule: SettingRule("a number in (0, 1]") { $0 > 0 && $0 <= 1 }),
            S("cb_max_children", \.creditbench.maxChildren, "CreditBench part: most children per Saffron node (0: the whole top-p set).", rule: .atLeast(0)),
            S("cb_methods", \.creditbench.methods, "CreditBench part: the methods (\(CreditDecodingMethods.all.map(\.label).joined(separator: ", "))); \(CreditDecodingMethods.baseline) is required (the comparison baseline).",
              rule: SettingRule("a non-empty list") { !$0.isEmpty }),
        ])
    }

    /// The parts `part` names.
    public static let parts = ["sentiment", "creditbench", "all"]

    /// A budget list: one positive integer per level.
    static var budgetRule: SettingRule<[Int]> { SettingRule("a non-empty list of integers ≥ 1") { !$0.isEmpty && $0.allSatisfy { $0 >= 1 } } }
}
