// The methods `tokenalign demo rl-sentiment` compares. Every PPO method has the same gold sequence
// score at the last token and the same PPO settings; they differ only in the dense part of their
// reward: none (ppo), the VADER lexicon's word valences (ppo-lexicon) or two learned reward models
// (fine-grained-rlhf). GRPO reads the gold score alone, as a group baseline needs no dense reward.
import Foundation
import OnlineRL

/// Where the fine-grained-rlhf method's reward models are: folders the demo trains into its run.
public struct RLSentimentInputs: Sendable {
    public var tokenRM: String
    public var sequenceRM: String
}

/// One method of the comparison: how it sets up the shared online-RL loop.
public struct RLSentimentMethod: Sendable {
    public var label: String
    public var summary: String
    /// Reads the demo's token and sequence reward models (trained only when a listed method does).
    public var needsRewardModels = false
    /// The method it changes one thing of, for the paired comparison that isolates that change.
    public var baseline = "grpo"
    let configure: @Sendable (inout OnlineRLConfiguration, RLSentimentDemoSettings, RLSentimentInputs) -> Void
}

extension RLSentimentDemo {
    /// The gold score: the sentiment demo's VADER compound − λ·profanity, with the run's files and λ.
    static func sentimentReward(_ s: RLSentimentDemoSettings) -> String {
        "sentiment:\(s.lexicon),\(s.profanity ?? "none"),\(s.profanityWeight)"
    }

    /// PPO as every PPO method here runs it: one continuation per prompt, GAE over a value head,
    /// KL in the reward, a few epochs per batch, its own learning rate.
    static func ppo(_ c: inout OnlineRLConfiguration, _ s: RLSentimentDemoSettings) {
        c.estimator = "gae"
        c.promptsPerStep = s.completionsPerStep
        c.numGenerations = 1
        c.klCoef = s.klCoef
        c.numIterations = s.ppoEpochs
        c.learningRate = s.ppoLearningRate
    }

    /// Every method the demo can run, by label.
    public static let methods: [RLSentimentMethod] = [
        RLSentimentMethod(label: "grpo", summary: "GRPO on the gold sequence score (VADER compound − λ·profanity), PPO clip, no KL term") { _, _, _ in },
        RLSentimentMethod(label: "ppo", summary: "PPO (GAE, value head, KL in the reward) on the gold sequence score alone: the PPO methods' common baseline") { c, s, _ in
            ppo(&c, s)
        },
        RLSentimentMethod(label: "ppo-lexicon", summary: "PPO on the gold score plus the lexicon's word valences × token_reward_scale on each word's tokens (dense, exact)",
                          baseline: "ppo") { c, s, _ in
            ppo(&c, s)
            c.rewards = [sentimentReward(s), "lexicon:\(s.lexicon)"]
            c.rewardWeights = [1, Float(s.tokenRewardScale)]
        },
        RLSentimentMethod(label: "fine-grained-rlhf", summary: "Fine-grained RLHF: PPO on the gold score, a token RM at every token and a Bradley–Terry RM at every clause end, weights 1, 0.5, 0.5",
                          needsRewardModels: true, baseline: "ppo") { c, s, i in
            ppo(&c, s)
            c.rewards = [sentimentReward(s), "token-rm:\(i.tokenRM)", "rm-span:\(i.sequenceRM)"]
            c.rewardWeights = [1, 0.5, 0.5]
        },
    ]

    public static func method(_ label: String) -> RLSentimentMethod? { methods.first { $0.label == label } }
}
