// The settings of an online-RL run (`tokenalign grpo|rloo`), one Codable value written to the run
// folder as `config.yaml`. Names follow TRL's `GRPOConfig` where TRL has the setting and verl's
// otherwise (`clip_ratio_low`, `loss_agg_mode`…).
import Foundation

public struct OnlineRLConfiguration: Codable, Sendable, Equatable {
    public var model = ""
    /// Reference model; nil = the policy at the start (the base model with adapters off under LoRA,
    /// else a frozen copy).
    public var ref: String?
    /// Prompt-only JSONL (TRL format; extra columns reach the reward functions).
    public var prompts = ""
    /// Held-out prompts for evaluation (greedy decoding, mean reward).
    public var evalPrompts: String?
    public var out = ""
    public var seed: UInt64 = 42

    // Rewards
    /// `NAME` or `NAME:ARGUMENT` of `RewardFunctions.registry`.
    public var rewards: [String] = []
    public var rewardWeights: [Float]?

    // Method
    /// An `AdvantageEstimators.registry` name.
    public var estimator = "grpo"
    /// A `PolicyLosses.registry` name.
    public var policyLoss = "ppo"
    /// GRPO's reward scaling: group, batch or none (TRL `scale_rewards`).
    public var scaleRewards: String?
    /// KL-as-loss coefficient β (TRL GRPO default 0).
    public var beta: Float = 0
    /// KL estimator of the loss (k1, k2, k3).
    public var klEstimator = "k3"
    public var clipRatioLow: Float?
    public var clipRatioHigh: Float?
    /// verl's `loss_agg_mode`: token-mean, seq-mean-token-sum, seq-mean-token-mean, seq-mean-token-sum-norm.
    public var lossAggMode: String?
    public var entropyCoeff: Float = 0
    /// Drop the loss of completions cut by `max_new_tokens` (TRL `mask_truncated_completions`).
    public var maskTruncatedCompletions = false

    // Sampling
    public var numGenerations = 4
    /// Prompts per rollout batch (each sampled `num_generations` times).
    public var promptsPerStep = 4
    public var maxNewTokens = 64
    public var temperature: Float = 1
    public var topK = 0
    public var topP: Float = 1
    /// Stop strings (besides EOS).
    public var stop: [String] = []
    /// Render plain prompts with the chat template.
    public var chat = false
    public var system: String?
    public var addSpecialTokens = true
    /// Completions generated per forward batch.
    public var generationBatchSize = 32

    // Optimisation
    /// Optimisation passes over each rollout batch (TRL `num_iterations`, the PPO epochs μ).
    public var numIterations = 1
    /// Completions per optimizer step; nil = the whole rollout batch.
    public var miniBatchSize: Int?
    /// Completions per forward/backward pass.
    public var microBatchSize = 8
    public var learningRate: Float = 1e-5
    public var schedule = "constant"
    public var warmupSteps = 0
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    /// Rollout batches (one `step` each).
    public var maxSteps = 100

    // LoRA
    public var loraRank: Int?
    public var loraAlpha: Float = 16
    public var loraTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "c_attn", "c_proj"]

    // Cadence
    public var evalSteps: Int?
    public var saveSteps: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case model, ref, prompts, out, seed, rewards, estimator, beta, temperature, stop, chat, system, schedule
        case evalPrompts = "eval_prompts", rewardWeights = "reward_weights", policyLoss = "policy_loss", scaleRewards = "scale_rewards"
        case klEstimator = "kl_estimator", clipRatioLow = "clip_ratio_low", clipRatioHigh = "clip_ratio_high", lossAggMode = "loss_agg_mode"
        case entropyCoeff = "entropy_coeff", maskTruncatedCompletions = "mask_truncated_completions", numGenerations = "num_generations"
        case promptsPerStep = "prompts_per_step", maxNewTokens = "max_completion_length", topK = "top_k", topP = "top_p"
        case addSpecialTokens = "add_special_tokens", generationBatchSize = "generation_batch_size", numIterations = "num_iterations"
        case miniBatchSize = "mini_batch_size", microBatchSize = "per_device_train_batch_size", learningRate = "learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", maxGradNorm = "max_grad_norm", maxSteps = "max_steps"
        case loraRank = "lora_rank", loraAlpha = "lora_alpha", loraTargets = "lora_target_modules", evalSteps = "eval_steps", saveSteps = "save_steps"
    }

    /// Every key optional (a YAML file may set any subset).
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<OnlineRLConfiguration, T>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { self[keyPath: p] = x }
        }
        func o<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<OnlineRLConfiguration, T?>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { self[keyPath: p] = x }
        }
        try v(.model, \.model); try o(.ref, \.ref); try v(.prompts, \.prompts); try o(.evalPrompts, \.evalPrompts); try v(.out, \.out)
        try v(.seed, \.seed); try v(.rewards, \.rewards); try o(.rewardWeights, \.rewardWeights); try v(.estimator, \.estimator)
        try v(.policyLoss, \.policyLoss); try o(.scaleRewards, \.scaleRewards); try v(.beta, \.beta); try v(.klEstimator, \.klEstimator)
        try o(.clipRatioLow, \.clipRatioLow); try o(.clipRatioHigh, \.clipRatioHigh); try o(.lossAggMode, \.lossAggMode)
        try v(.entropyCoeff, \.entropyCoeff); try v(.maskTruncatedCompletions, \.maskTruncatedCompletions)
        try v(.numGenerations, \.numGenerations); try v(.promptsPerStep, \.promptsPerStep); try v(.maxNewTokens, \.maxNewTokens)
        try v(.temperature, \.temperature); try v(.topK, \.topK); try v(.topP, \.topP); try v(.stop, \.stop); try v(.chat, \.chat)
        try o(.system, \.system); try v(.addSpecialTokens, \.addSpecialTokens); try v(.generationBatchSize, \.generationBatchSize)
        try v(.numIterations, \.numIterations); try o(.miniBatchSize, \.miniBatchSize); try v(.microBatchSize, \.microBatchSize)
        try v(.learningRate, \.learningRate); try v(.schedule, \.schedule); try v(.warmupSteps, \.warmupSteps)
        try v(.weightDecay, \.weightDecay); try v(.maxGradNorm, \.maxGradNorm); try v(.maxSteps, \.maxSteps)
        try o(.loraRank, \.loraRank); try v(.loraAlpha, \.loraAlpha); try v(.loraTargets, \.loraTargets)
        try o(.evalSteps, \.evalSteps); try o(.saveSteps, \.saveSteps)
    }

    /// Completions per rollout batch.
    public var rolloutSize: Int { promptsPerStep * numGenerations }

    /// Checks every setting (flags and YAML alike); errors name the key.
    public func validate() throws {
        func fail(_ key: String, _ why: String) -> RewardError { RewardError("\(key): \(why)") }
        guard !model.isEmpty else { throw fail("model", "required (--model)") }
        guard !prompts.isEmpty else { throw fail("prompts", "required (--prompts)") }
        guard !rewards.isEmpty else { throw fail("rewards", "at least one --reward is needed") }
        for (k, n) in [("num_generations", numGenerations), ("prompts_per_step", promptsPerStep), ("max_completion_length", maxNewTokens),
                       ("generation_batch_size", generationBatchSize), ("num_iterations", numIterations),
                       ("per_device_train_batch_size", microBatchSize), ("max_steps", maxSteps)] where n < 1 {
            throw fail(k, "must be ≥ 1, got \(n)")
        }
        if numGenerations < 2 && ["grpo", "dr-grpo", "rloo", "reinforce++-baseline", "grpo-passk"].contains(estimator) {
            throw fail("num_generations", "\(estimator) compares completions of the same prompt: it needs ≥ 2, got \(numGenerations)")
        }
        if let m = miniBatchSize, m < 1 || m > rolloutSize || rolloutSize % m != 0 {
            throw fail("mini_batch_size", "must divide the rollout batch of \(rolloutSize) completions, got \(m)")
        }
        for (k, x) in [("learning_rate", learningRate), ("beta", beta), ("temperature", temperature), ("max_grad_norm", maxGradNorm),
                       ("entropy_coeff", entropyCoeff), ("lora_alpha", loraAlpha), ("weight_decay", weightDecay)] where !x.isFinite || x < 0 {
            throw fail(k, "must be a finite number ≥ 0, got \(x)")
        }
        if !(learningRate > 0) { throw fail("learning_rate", "must be > 0, got \(learningRate)") }
        if !(topP > 0 && topP <= 1) { throw fail("top_p", "must be in (0, 1], got \(topP)") }
        if topK < 0 { throw fail("top_k", "must be ≥ 0, got \(topK)") }
        if warmupSteps < 0 { throw fail("warmup_steps", "must be ≥ 0, got \(warmupSteps)") }
        if let r = loraRank, r < 1 { throw fail("lora_rank", "must be ≥ 1, got \(r)") }
        if let e = evalSteps, e < 1 { throw fail("eval_steps", "must be ≥ 1, got \(e)") }
        if let s = saveSteps, s < 1 { throw fail("save_steps", "must be ≥ 1, got \(s)") }
        if !["constant", "linear", "cosine"].contains(schedule) { throw fail("schedule", "expected constant, linear or cosine, got \(schedule)") }
    }
}
