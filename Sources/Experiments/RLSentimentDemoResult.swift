// What `tokenalign demo rl-sentiment` measures, as written to `results.json`.
import Evaluation
import Foundation

/// Held-out measurements at a point of a run (the learning curve).
public struct RLSentimentCurvePoint: Codable, Sendable, Equatable {
    /// Continuations sampled for training so far.
    public var completions: Int
    /// Held-out gold score (VADER compound − λ·profanity), mean over prompts and samples.
    public var reward: Double
    public var lexiconReward: Double
    /// KL(π‖π_ref) per token on the held-out samples.
    public var kl: Double
    /// Mean gold score of the training rollouts since the previous point (nil at the start).
    public var rolloutReward: Double?
}

/// One method × seed.
public struct RLSentimentRun: Codable, Sendable {
    public var method: String
    public var seed: UInt64
    public var curve: [RLSentimentCurvePoint]
    /// The sentiment demo's evaluation of the final policy, with its per-prompt values.
    public var evaluation: SentimentRunResult
    public var sampledCompletions: Int
    public var sampledTokens: Int
    public var wallSeconds: Double
}

/// One method over the seeds.
public struct RLSentimentRow: Codable, Sendable {
    public var method: String
    public var summary: String
    /// Held-out gold score, CI over prompts (samples of every seed pooled per prompt).
    public var reward: Estimate
    /// Paired with GRPO by seed and prompt (nil for GRPO), and the seeds where it ends above / below.
    public var rewardDifference: Estimate?
    public var seedsAbove: Int
    public var seedsBelow: Int
    /// KL per token, and its paired difference from GRPO.
    public var kl: Estimate
    public var klDifference: Estimate?
    /// The reward difference from the method it changes one thing of (nil when that did not run).
    public var baseline: String?
    public var baselineDifference: Estimate?
    public var baselineSeedsAbove: Int?
    public var baselineSeedsBelow: Int?
    public var lexiconReward: Estimate
    /// Means over seeds.
    public var distinct1: Double
    public var distinct2: Double
    public var selfBLEU: Double
    public var referencePerplexity: Double
    public var sampledTokens: Double
    public var wallSeconds: Double
}

public struct RLSentimentDemoResult: Codable, Sendable {
    public var settings: RLSentimentDemoSettings
    public var modelParameters: Int
    public var trainPrompts: Int
    public var testPrompts: Int
    /// The reward models' preference pairs (training, held out), the Bradley–Terry RM's held-out pair
    /// accuracy and the token RM's held-out squared error per token against the lexicon's token
    /// rewards (nil: not trained).
    public var rewardModelPairs: Int
    public var rewardModelHeldOutPairs: Int
    public var sequenceRMAccuracy: Double?
    public var tokenRMError: Double?
    /// The start (= the reference) on the held-out prompts.
    public var reference: SentimentRunResult
    public var rows: [RLSentimentRow]
    public var runs: [RLSentimentRun]
    public var stages: [StageTime]
    public var wallSeconds: Double
}
