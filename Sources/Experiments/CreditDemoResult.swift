// What `tokenalign demo` measured, as one Codable value (`results.json` in the run folder) that the
// report, the command's summary and the tests all read.
import Evaluation

/// One trained policy (the SFT start or a preference method) on held-out prompts.
public struct PolicyResult: Codable, Sendable {
    public var name: String
    /// Greedy accuracy, CI over prompts.
    public var greedyAccuracy: Estimate
    /// Accuracy of temperature-1 samples, CI over prompts.
    public var sampledAccuracy: Estimate
    /// Mean per-token KL(π ‖ π_SFT) over the vocabulary on the policy's own samples, CI over prompts.
    public var klToReference: Estimate
    /// `eval_rewards/accuracies` on held-out pairs at the end of training (nil for SFT).
    public var heldOutRewardAccuracy: Double?
    /// Seconds spent training this policy.
    public var trainSeconds: Double
}

/// One token-credit source, scored on held-out rejected responses.
public struct CreditSourceResult: Codable, Sendable {
    public var name: String
    public var explanation: String
    /// AUROC of −r̂ over tokens 0…e (first error e), CI over prompts.
    public var auroc: Estimate
    /// Fraction of responses whose lowest-reward token among 0…e is e.
    public var top1: Estimate
    /// What a uniformly random ranking would score on top-1 for these responses (mean of 1/(e+1)).
    public var top1Chance: Double
    public var responses: Int
    /// Each rejected response's localisation, in the order of the scored responses (the same for
    /// every source of a run), so that sources can be compared on the same responses (paired).
    public var perResponse: [ResponseLocalisation]?
}

/// One response's localisation by one source.
public struct ResponseLocalisation: Codable, Sendable, Equatable {
    /// The held-out prompt (bootstrap group).
    public var prompt: Int
    /// nil when the first error is the response's first token.
    public var auroc: Double?
    public var hit: Bool
}

/// A learning curve.
public struct Curve: Codable, Sendable {
    public var run: String
    public var metric: String
    public var steps: [Double]
    public var values: [Double]
}

/// Sizes of what each stage produced.
public struct DataSummary: Codable, Sendable {
    public var sftExamples = 0
    public var sftInjectedErrors = 0
    public var tokenizerVocabulary = 0
    public var modelParameters = 0
    public var preferencePrompts = 0
    public var trainPairs = 0
    public var evalPrompts = 0
    /// Held-out prompts dropped because they also occur in the training prompts.
    public var evalPromptsOverlapping = 0
    public var evalPairs = 0
    /// Held-out rejected responses used for localisation.
    public var rejectedResponses = 0
    /// Of those, how many fail by stopping too early (first error = the EOS).
    public var rejectedEndingEarly = 0
    /// Held-out responses with injected errors used for localisation.
    public var injectedResponses = 0
    /// Systematic regime: held-out prompts that admit the task's bug, and the share of the SFT
    /// model's samples on them that are exactly the planted wrong answer (nil in other regimes).
    public var plantedPrompts = 0
    public var plantedErrorRate: Double?
}

/// How long each stage took.
public struct StageTime: Codable, Sendable {
    public var stage: String
    public var seconds: Double
}

public struct CreditDemoResult: Codable, Sendable {
    public var settings: CreditDemoSettings
    public var data: DataSummary
    public var policies: [PolicyResult]
    /// Localisation on the SFT model's own wrong samples of held-out prompts.
    public var credit: [CreditSourceResult]
    /// Localisation on injected errors (canonical answers corrupted by the task's injector).
    public var creditInjected: [CreditSourceResult]
    public var curves: [Curve]
    public var stages: [StageTime]
    public var wallSeconds: Double
}
