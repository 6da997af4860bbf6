// What `tokenalign demo decoding` measures, as written to `results.json` (deterministic: the same
// settings give the same bytes) and `timings.json` (wall-clock seconds, which are not).
import Evaluation
import Foundation

/// One decoding method at one strength on the held-out prompts of one seed.
public struct DecodingRun: Codable, Sendable, Equatable {
    /// "sample", "rad", "args", "genarm", "best-of-n (rm)", "best-of-n (vader oracle)" or "dpo".
    public var method: String
    /// The guide's weight, or N of best-of-N; nil for plain sampling and the DPO model.
    public var strength: Double?
    /// VADER compound − λ·(profane words) of the outputs, mean with a 95% bootstrap CI over prompts.
    public var reward: Estimate
    /// The lexicon's token-level reward summed over each output (word valences × scale), same CI.
    public var lexiconReward: Estimate
    /// Perplexity of the outputs under the base model (fluency).
    public var referencePerplexity: Double
    public var distinct1: Double
    public var distinct2: Double
    /// Tokens in the outputs (a final stop token excluded): the denominator of the per-token costs.
    public var generatedTokens: Int
    /// Forward positions of the base model (prefill, padding included, and decoding, over every
    /// sample a search drew): the cost ledger's `policy.tokens`.
    public var baseForwardTokens: Int
    /// Forward positions of the reward model (a guide's model, or the scorer of best-of-N).
    public var rewardForwardTokens: Int
    /// The first output of the first held-out prompts.
    public var examples: [String]

    /// Base-model forward tokens per generated token.
    public var basePerToken: Double { Double(baseForwardTokens) / Double(max(1, generatedTokens)) }
    /// Reward-model forward tokens per generated token.
    public var rewardPerToken: Double { Double(rewardForwardTokens) / Double(max(1, generatedTokens)) }
    /// Both together (the two models are the same size here, so they weigh the same).
    public var totalPerToken: Double { basePerToken + rewardPerToken }
    /// "rad w=5", "best-of-n (rm) N=4", "sample".
    public var label: String {
        guard let strength else { return method }
        return method + (method.hasPrefix("best-of-n") ? " N=" : " w=") + String(format: "%g", strength)
    }
}

/// A model the demo trained, and how it ranks the held-out pairs.
public struct DecodingTrainedModel: Codable, Sendable, Equatable {
    /// "rad-rm", "args-rm", "genarm-arm", "dpo".
    public var name: String
    /// How it was trained, in words.
    public var training: String
    /// Its folder, relative to the run folder.
    public var folder: String
    /// The trainer's held-out pair accuracy (nil when the trainer does not report one).
    public var heldOutAccuracy: Double?
}

/// Everything of one seed: the data, the trained models and every decoding run.
public struct DecodingSeedResult: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var pairs: Int
    public var heldOutPairs: Int
    public var models: [DecodingTrainedModel]
    public var runs: [DecodingRun]
}

/// Wall-clock times (not reproducible, so kept out of `results.json`).
public struct DecodingDemoTimings: Codable, Sendable {
    public var stages: [StageTime] = []
    /// Seconds each decoding run took (generation and scoring), by "seed S: label".
    public var runSeconds: [String: Double] = [:]
    public var wallSeconds: Double = 0
    public init() {}
}

public struct DecodingDemoResult: Codable, Sendable {
    public var settings: DecodingDemoSettings
    public var trainPrompts: Int
    public var testPrompts: Int
    public var seeds: [DecodingSeedResult]
    public var curves: [Curve]
    /// Written to `timings.json`, not to `results.json`.
    public var timings = DecodingDemoTimings()

    enum CodingKeys: String, CodingKey { case settings, trainPrompts, testPrompts, seeds, curves }

    public init(settings: DecodingDemoSettings, trainPrompts: Int, testPrompts: Int, seeds: [DecodingSeedResult], curves: [Curve]) {
        self.settings = settings
        self.trainPrompts = trainPrompts
        self.testPrompts = testPrompts
        self.seeds = seeds
        self.curves = curves
    }
}
