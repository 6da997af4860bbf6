// The knobs of `tokenalign demo rl`, written to the run folder as `settings.json`.
import Foundation

/// Online RL with verifiable rewards on CreditBench's one-digit addition: a tiny Llama fine-tuned
/// to be partly right, then every RL method from the same start with the same sampling budget, on
/// several seeds, against GRPO.
public struct RLDemoSettings: DemoSettings, Sendable, Equatable {
    /// Methods by label (`RLDemo.methods` lists the labels and what each runs).
    public var methods = ["grpo", "dr-grpo", "rloo", "reinforce++-baseline", "ktae", "grpo-token-credit", "gspo", "ppo"]
    public var seeds: [UInt64] = [0, 1, 2]
    /// The fixture-sized model the tests use: 2 layers, d = 64, 4 heads (2 KV), 512-token vocabulary.
    public var sftExamples = 400
    public var sftSteps = 80
    public var sftBatch = 16
    public var sftLearningRate: Float = 3e-3
    /// Rollout batches per method and seed; every method samples `steps × completions_per_step`
    /// completions.
    public var steps = 100
    public var completionsPerStep = 64
    /// Completions per prompt for the group methods (PPO samples one per prompt).
    public var numGenerations = 8
    public var learningRate: Float = 3e-4
    /// PPO's learning rate (its value head and 4 epochs per batch want a smaller step).
    public var ppoLearningRate: Float = 1e-4
    public var evalEvery = 25
    public var maxNewTokens = 6

    public init() {}

    /// The CI-sized run.
    public static var quick: RLDemoSettings {
        var s = RLDemoSettings()
        s.methods = ["grpo", "ktae", "ppo"]
        s.seeds = [0, 1]
        s.steps = 12
        s.evalEvery = 6
        return s
    }

    public static let keys = ["methods", "seeds", "sft_examples", "sft_steps", "sft_batch", "sft_learning_rate", "steps",
                              "completions_per_step", "num_generations", "learning_rate", "ppo_learning_rate", "eval_every",
                              "max_new_tokens"]

    enum CodingKeys: String, CodingKey {
        case methods, seeds, steps
        case sftExamples = "sft_examples", sftSteps = "sft_steps", sftBatch = "sft_batch", sftLearningRate = "sft_learning_rate"
        case completionsPerStep = "completions_per_step", numGenerations = "num_generations", learningRate = "learning_rate"
        case ppoLearningRate = "ppo_learning_rate", evalEvery = "eval_every", maxNewTokens = "max_new_tokens"
    }

    public func validate() throws(DemoError) {
        for (v, k) in [(sftExamples, "sft_examples"), (sftSteps, "sft_steps"), (sftBatch, "sft_batch"), (steps, "steps"),
                       (completionsPerStep, "completions_per_step"), (numGenerations, "num_generations"), (evalEvery, "eval_every"),
                       (maxNewTokens, "max_new_tokens")] where v < 1 {
            throw .invalidSetting("\(k) must be ≥ 1, got \(v)")
        }
        if completionsPerStep % numGenerations != 0 {
            throw .invalidSetting("completions_per_step \(completionsPerStep) must be a multiple of num_generations \(numGenerations)")
        }
        for (x, k) in [(sftLearningRate, "sft_learning_rate"), (learningRate, "learning_rate"), (ppoLearningRate, "ppo_learning_rate")]
            where !(x.isFinite && x > 0) {
            throw .invalidSetting("\(k) must be a positive number, got \(x)")
        }
        if seeds.isEmpty { throw .invalidSetting("seeds: at least one seed") }
        for m in methods where RLDemo.method(m) == nil {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(RLDemo.methods.map(\.label).joined(separator: ", "))")
        }
        if !methods.contains("grpo") { throw .invalidSetting("methods: grpo is the baseline every method is compared with; keep it") }
    }
}
