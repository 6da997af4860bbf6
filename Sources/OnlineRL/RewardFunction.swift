// Rewards of sampled completions. Every reward is per token: a function that judges a whole
// completion puts its score on the last response token (a sequence reward is the special case of
// token rewards with one non-zero entry there), and a dense function spreads credit over the tokens
// it blames. Several functions combine as a weighted sum (TRL's `reward_funcs` + `reward_weights`).
import Datasets
import Decoding
import Foundation
import Models
import Support
import Tokenizers

/// One sampled completion, as reward functions see it.
public struct Completion: @unchecked Sendable {
    public var prompt: RLPrompt
    /// The generated ids (a stop token, if one ended the completion, is the last).
    public var ids: [Int]
    /// The generated text with special tokens skipped.
    public var text: String
    public var finishReason: FinishReason
    /// The sampler's log-probability of each token and the entropy it drew from (empty when the
    /// completion was not sampled by the trainer).
    public var logProbs: [Float]
    public var entropies: [Float]

    public init(prompt: RLPrompt, ids: [Int], text: String, finishReason: FinishReason, logProbs: [Float] = [], entropies: [Float] = []) {
        self.prompt = prompt
        self.ids = ids
        self.text = text
        self.finishReason = finishReason
        self.logProbs = logProbs
        self.entropies = entropies
    }

    /// True when the completion was cut by the token budget.
    public var isTruncated: Bool { finishReason == .length }
}

/// Scores completions per token.
public protocol RewardFunction {
    /// The name metrics use (`rewards/<name>/mean`).
    var name: String { get }
    /// One array per completion, `ids.count` entries each (an empty completion gets an empty array).
    func tokenRewards(_ completions: [Completion]) throws -> [[Float]]
}

/// A reward function that judges a whole completion: its score goes on the last token.
public protocol SequenceRewardFunction: RewardFunction {
    func score(_ completion: Completion) throws -> Float
}

extension SequenceRewardFunction {
    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        try completions.map { c in
            var r = [Float](repeating: 0, count: c.ids.count)
            let s = try score(c)
            if !r.isEmpty { r[r.count - 1] = s }
            return r
        }
    }
}

/// A reward that is not a finite number, named with its function and the prompt's row.
public struct RewardError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A reward function gave a NaN or infinite value: which function, the value, the completion token
/// and the prompt row. The trainer reports it as `TrainingError.nonFinite` with the step.
public struct NonFiniteReward: Error, CustomStringConvertible, Equatable {
    public var function: String
    public var value: Float
    public var token: Int
    public var location: RowLocation
    public var description: String { "reward \(function) is \(value) at token \(token) of a completion of \(location)" }
}

/// What a reward function may need from the run to be built.
public struct RewardContext: @unchecked Sendable {
    public var tokenizer: Tokenizer
    /// The completion token budget (overlong shaping).
    public var maxNewTokens: Int
    /// The policy's vocabulary (reward models must share it).
    public var vocabularySize: Int
    /// The run's reference model path (the starting policy unless `ref` is set): RTO's ℓ^ref.
    public var referencePath: String
    /// How the reward functions' frozen models (reward models, implicit-dpo's two models) store their
    /// matrices: `--rm-weights` / `rm_weights` (docs/design/quantized.md).
    public var rewardModelWeights: WeightFormat

    public init(tokenizer: Tokenizer, maxNewTokens: Int, vocabularySize: Int, referencePath: String = "",
                rewardModelWeights: WeightFormat = .f32) {
        self.tokenizer = tokenizer
        self.maxNewTokens = maxNewTokens
        self.vocabularySize = vocabularySize
        self.referencePath = referencePath
        self.rewardModelWeights = rewardModelWeights
    }
}

/// One registered reward kind. `--reward NAME` or `--reward NAME:ARGUMENT`.
public struct RewardFunctionEntry: RegistryEntry {
    public var card: MethodCard
    /// What the argument after the colon means ("" when the kind takes none).
    public var argument: String
    public var make: @Sendable (_ argument: String?, _ context: RewardContext) throws -> any RewardFunction

    public init(card: MethodCard, argument: String = "",
                make: @escaping @Sendable (_ argument: String?, _ context: RewardContext) throws -> any RewardFunction) {
        self.card = card
        self.argument = argument
        self.make = make
    }
}

/// Several reward functions with weights: r_t = Σ_k w_k r^k_t / D. Non-finite rewards are errors that
/// name the function and the prompt's row, never silent zeros.
public struct WeightedRewards {
    public var functions: [any RewardFunction]
    public var weights: [Float]
    /// D: constrained RLHF's 1 + Σλ (`LagrangeMultipliers.normaliser`); 1 otherwise, and then no
    /// division happens at all, so an unconstrained sum is bit for bit the plain weighted sum.
    public var divisor: Float = 1

    public init(_ functions: [any RewardFunction], weights: [Float]? = nil) throws {
        guard !functions.isEmpty else { throw RewardError("at least one --reward is needed") }
        let w = weights ?? [Float](repeating: 1, count: functions.count)
        guard w.count == functions.count else {
            throw RewardError("--reward-weights has \(w.count) values for \(functions.count) reward functions")
        }
        guard w.allSatisfy(\.isFinite) else { throw RewardError("--reward-weights must be finite numbers, got \(w)") }
        self.functions = functions
        self.weights = w
    }

    /// The combined token rewards, and each function's sequence totals (for metrics).
    public func evaluate(_ completions: [Completion]) throws -> (tokenRewards: [[Float]], perFunction: [String: [Float]]) {
        var total = completions.map { [Float](repeating: 0, count: $0.ids.count) }
        var perFunction: [String: [Float]] = [:]
        for (f, w) in zip(functions, weights) {
            let r = try f.tokenRewards(completions)
            guard r.count == completions.count else { throw RewardError("reward \(f.name) returned \(r.count) rows for \(completions.count) completions") }
            var sums = [Float](repeating: 0, count: completions.count)
            for (i, row) in r.enumerated() {
                guard row.count == completions[i].ids.count else {
                    throw RewardError("reward \(f.name) returned \(row.count) token rewards for a \(completions[i].ids.count)-token completion")
                }
                for (t, v) in row.enumerated() {
                    guard v.isFinite else { throw NonFiniteReward(function: f.name, value: v, token: t, location: completions[i].prompt.location) }
                    total[i][t] += w * v
                    sums[i] += v
                }
            }
            perFunction[f.name] = sums
        }
        if divisor != 1 {
            for i in total.indices {
                for t in total[i].indices { total[i][t] /= divisor }
            }
        }
        return (total, perFunction)
    }
}
