// What `tokenalign demo rl` measures, as written to `results.json`.
import Evaluation
import Foundation

/// Held-out accuracies and the training rollouts' accuracy at a point of a run.
public struct RLCurvePoint: Codable, Sendable, Equatable {
    /// Completions sampled for training so far.
    public var completions: Int
    public var greedyAccuracy: Double
    public var sampledAccuracy: Double
    /// Fraction of the training rollouts since the previous point that the verifier accepts (nil at
    /// the start).
    public var rolloutAccuracy: Double?
}

/// One wrong training rollout with the advantages the method gave its tokens.
public struct RLAdvantageMap: Codable, Sendable, Equatable {
    public var prompt: String
    public var tokens: [String]
    public var advantages: [Float]
    /// The token holding the verifier's first error.
    public var firstError: Int
}

/// One method × seed.
public struct RLDemoRun: Codable, Sendable {
    public var method: String
    public var seed: UInt64
    public var curve: [RLCurvePoint]
    /// Greedy correctness (0/1) on each held-out prompt after training.
    public var greedyCorrect: [Double]
    /// Correctness of each sampled completion (T = 1), per held-out prompt.
    public var sampledCorrect: [[Double]]
    /// KL(π‖π_SFT) per token (summed over the vocabulary) on those samples, per held-out prompt.
    public var kl: [[Double]]
    public var sampledCompletions: Int
    public var sampledTokens: Int
    /// Over every wrong training rollout: the chance that the token with the most negative advantage
    /// (ties broken at random) is the token of the verifier's first error.
    public var advantageTop1: Double
    /// The same for a uniformly random token (the mean of 1/length).
    public var advantageTop1Chance: Double
    public var wrongRollouts: Int
    public var heatmaps: [RLAdvantageMap]
    public var wallSeconds: Double
    /// The mean over training steps of the update term's metrics (`imitation/…`: RLMEC's corrected
    /// fraction, targets, changed fraction, loss); nil for methods without a term and in older results.
    public var updateTermMetrics: [String: Double]? = nil
}

/// One method over the seeds.
public struct RLDemoRow: Codable, Sendable {
    public var method: String
    public var summary: String
    /// Held-out greedy accuracy: mean over seeds and prompts, bootstrap CI over prompts.
    public var greedyAccuracy: Estimate
    /// Greedy accuracy minus GRPO's, paired by seed and prompt (bootstrap over prompts).
    public var greedyDifference: Estimate
    /// Held-out sampled accuracy (T = 1).
    public var sampledAccuracy: Estimate
    public var sampledDifference: Estimate
    /// Seeds where the method's sampled accuracy ends above / below GRPO's.
    public var seedsAbove: Int
    public var seedsBelow: Int
    /// The method it changes one thing of (`RLDemoMethod.baseline`), when that method ran, and the
    /// sampled-accuracy difference from it, paired by seed and prompt.
    public var baseline: String?
    public var baselineDifference: Estimate?
    public var baselineSeedsAbove: Int?
    public var baselineSeedsBelow: Int?
    public var kl: Estimate
    public var advantageTop1: Double
    public var advantageTop1Chance: Double
    public var sampledTokens: Double
    public var wallSeconds: Double
    /// Further paired comparisons (`RLDemoMethod.alsoPairedWith`) with the methods that ran; nil in
    /// results written before there were any.
    public var pairings: [RLDemoPairing]? = nil
}

/// A method's sampled-accuracy difference from another method, paired by seed and prompt.
public struct RLDemoPairing: Codable, Sendable, Equatable {
    public var method: String
    public var difference: Estimate
    public var seedsAbove: Int
    public var seedsBelow: Int
}

public struct RLDemoResult: Codable, Sendable {
    /// A run's `results.json`.
    public static func load(from url: URL) throws -> RLDemoResult { try readJSON(RLDemoResult.self, from: url) }

    public var settings: RLDemoSettings
    /// The CreditBench run the start model and the held-out prompts came from, and its settings.
    public var creditRun: String
    public var creditSettings: CreditDemoSettings
    public var modelParameters: Int
    public var startGreedy: [Double]
    public var startSampled: [[Double]]
    public var trainPrompts: Int
    public var heldOutPrompts: Int
    public var rows: [RLDemoRow]
    public var runs: [RLDemoRun]
    public var stages: [StageTime]
    public var wallSeconds: Double
    /// The models the run trained (or reused) for its methods (`RLDemoAuxiliary`); nil in results
    /// written before there were any.
    public var auxiliary: [RLDemoAuxiliaryRecord]? = nil
}
