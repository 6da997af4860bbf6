// Attention-based credit (ABC): redistribute the sequence reward by the reward model's attention
// (docs/design/rewards.md §1.5).
import Rewards
import TensorCore

/// Attention-Based Credit, Chan et al. 2024, "Dense Reward for Free in Reinforcement Learning from
/// Human Feedback", arXiv 2402.00782 (`XanderJC/attention-based-credit:abcrl/attention/redistribution.py`):
/// take the RM's **last layer**, **average over heads**, read the row of the scoring (final)
/// position restricted to the response positions: a_t; normalise α_t = a_t / Σ a; then
/// r_t = β·R·α_t + (1 − β)·R·1[t = T], so Σ_t r_t = R exactly. β: script default 0.5, IMDb runs 0.8.
public enum AttentionCredit {
    /// Response-token weights α_t from one layer's attention.
    /// - Parameters:
    ///   - attention: last-layer attention probabilities, [H, S, S] (query × key) for one sequence.
    ///   - scoringPosition: the query row of the position whose output is the reward (usually S − 1).
    ///   - response: the key positions of the response tokens.
    /// - Returns: α_t ≥ 0 over the response, summing to 1 (uniform if the row has no mass there).
    public static func weights(attention: Tensor, scoringPosition: Int, response: Range<Int>) -> [Float] {
        precondition(attention.rank == 3 && attention.shape[1] == attention.shape[2], "AttentionCredit: attention must be [H, S, S], got \(attention.shape)")
        let H = attention.shape[0], S = attention.shape[1]
        precondition(scoringPosition >= 0 && scoringPosition < S && response.lowerBound >= 0 && response.upperBound <= S,
                     "AttentionCredit: scoring position \(scoringPosition), response \(response) for S = \(S)")
        let a = attention.scalars
        var w = [Float](repeating: 0, count: response.count)
        for h in 0 ..< H {
            for (k, t) in response.enumerated() { w[k] += a[(h * S + scoringPosition) * S + t] / Float(H) }
        }
        return normalized(w)
    }

    /// ABC-D: weights from the *generator's* attention collected while sampling. For each response
    /// token, the mean attention it receives from the later response steps (last layer, head-averaged).
    /// - Parameters:
    ///   - attention: [H, S, S] for the full sequence (prompt + response).
    ///   - response: the response positions.
    public static func generatorWeights(attention: Tensor, response: Range<Int>) -> [Float] {
        let H = attention.shape[0], S = attention.shape[1]
        let a = attention.scalars
        var w = [Float](repeating: 0, count: response.count)
        for (k, t) in response.enumerated() {
            let later = (t + 1) ..< response.upperBound
            guard !later.isEmpty else { continue }
            var s: Float = 0
            for q in later { for h in 0 ..< H { s += a[(h * S + q) * S + t] } }
            w[k] = s / Float(H * later.count)
        }
        return normalized(w)
    }

    /// r_t = β·R·α_t + (1 − β)·R·1[t = T].
    public static func tokenRewards(sequenceReward R: Float, weights: [Float], beta: Float = 0.5) -> [Float] {
        Redistribute.redistribute(R, weights: weights, beta: beta)
    }

    static func normalized(_ w: [Float]) -> [Float] {
        let s = w.reduce(0, +)
        guard s > 0 else { return [Float](repeating: w.isEmpty ? 0 : 1 / Float(w.count), count: w.count) }
        return w.map { $0 / s }
    }
}

/// ABC as a `TokenRewardSource`: r_t = β·R·α_t + (1 − β)·R·1[t = T] with R from a sequence reward
/// model and α from `weights` (normalised attention weights summing to 1, e.g. `AttentionCredit.weights`
/// of the reward model's last layer; all zeros when there are none). Σ_t r_t = R when α sums to 1.
/// Both are read for all episodes at once, so model-backed inputs batch their forward passes.
public struct AttentionCreditReward: BatchedTokenRewardSource {
    public var reward: any SequenceRewardModel
    public var weights: ([Episode]) -> [[Float]]
    public var beta: Float
    public var name: String

    public init(reward: any SequenceRewardModel, beta: Float = 0.5, name: String = "attention-abc",
                weights: @escaping ([Episode]) -> [[Float]]) {
        self.reward = reward
        self.weights = weights
        self.beta = beta
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let R = reward.scores(episodes), alpha = weights(episodes)
        precondition(R.count == episodes.count && alpha.count == episodes.count,
                     "AttentionCreditReward: \(R.count) rewards and \(alpha.count) weight rows for \(episodes.count) episodes")
        return episodes.indices.map { i in
            precondition(alpha[i].count == episodes[i].response.count,
                         "AttentionCreditReward: \(alpha[i].count) weights for \(episodes[i].response.count) tokens")
            var r = alpha[i].map { beta * R[i] * $0 }
            if beta != 1, !r.isEmpty { r[r.count - 1] += (1 - beta) * R[i] }
            return TokenRewards(values: r, sequenceReward: R[i], source: name, returnPreserving: true)
        }
    }
}
