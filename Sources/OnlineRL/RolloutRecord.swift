// What a finished training step keeps of each rollout, for reports: which tokens were sampled,
// what the rewards said and where the estimator put the credit.

/// One completion of the last training step, after its advantages were estimated.
public struct RolloutRecord: Sendable, Equatable {
    /// Index of the prompt in the run's prompt set.
    public var promptIndex: Int
    /// The rollout group (one per prompt of the batch).
    public var group: Int
    public var ids: [Int]
    public var text: String
    /// The summed reward functions per token (before any KL-in-reward shaping).
    public var rewards: [Float]
    /// The estimator's advantage per token.
    public var advantages: [Float]
    /// The sampler's log-probability of each token (under the rollout policy, before the update).
    public var logProbs: [Float]
    /// True when the completion was cut by the token budget.
    public var truncated: Bool
    /// OREAL's token weights ω from the online token RM (nil for every other loss).
    public var tokenWeights: [Float]? = nil

    /// The credit the loss gives each token: the advantage, times OREAL's token weight when there is one.
    public var credit: [Float] { tokenWeights.map { zip(advantages, $0).map { $0 * $1 } } ?? advantages }
}

extension RolloutRecord {
    /// What a report keeps of a sample once its advantages are estimated.
    init(_ s: RolloutSample) {
        self.init(promptIndex: s.promptIndex, group: s.group, ids: s.ids, text: s.text, rewards: s.rewards, advantages: s.advantages,
                  logProbs: s.rolloutLogps, truncated: s.truncated, tokenWeights: s.tokenWeights)
    }
}
