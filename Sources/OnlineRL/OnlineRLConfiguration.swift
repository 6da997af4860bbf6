// The settings of an online-RL run (`tokenalign grpo|rloo`), one Codable value written to the run
// folder as `config.yaml`. Names follow TRL's `GRPOConfig` where TRL has the setting and verl's
// otherwise (`clip_ratio_low`, `loss_agg_mode`…).
import Foundation
import Models

public struct OnlineRLConfiguration: Codable, Sendable, Equatable {
    public var model = ""
    /// Reference model; nil = the policy at the start (the base model with adapters off under LoRA,
    /// else a frozen copy).
    public var ref: String?
    /// How a separate reference model stores its matrices (`ref_weights`, docs/design/quantized.md);
    /// the policy always trains in float32, and the LoRA reference (adapters off) shares its weights.
    public var refWeights: WeightFormat = .f32
    /// How the reward functions' frozen models store their matrices (`rm_weights`): reward models of
    /// `rm`, `token-rm`, `rm-span`, `abc`, `rm-ensemble` and the two models of `implicit-dpo`.
    public var rmWeights: WeightFormat = .f32
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
    /// Dual-clip for A < 0 (verl) and its bound c.
    public var dualClip: Bool?
    public var clipRatioC: Float?
    /// `reinforce-is`: the importance-weight threshold C, `token`/`sequence` level, `truncate`/`mask`.
    public var rolloutIsThreshold: Float?
    public var rolloutIsLevel: String?
    public var rolloutIsMode: String?
    /// KL in the reward: r_t ← r_t − kl_coef · k(ℓ_old, ℓ_ref) before the advantages (PPO for LMs,
    /// RLOO, REINFORCE++); 0 = off. `kl_penalty` names the estimator (k1, k2, k3).
    public var klCoef: Float = 0
    public var klPenalty = "k1"
    /// Adaptive KL controller for `kl_coef` (InstructGPT): the target KL and horizon; nil = fixed.
    public var klTarget: Float?
    public var klHorizon: Float = 10_000

    /// GTPO / GRPO-S: weight of the entropy share (α₂, β₂); nil = the estimator's default.
    public var entropyWeight: Float?
    /// MA-RLHF (estimator ma-gae): `ngram:N`, `punct` or `space`; nil = the estimator's default.
    public var macro: String?

    // Constrained RLHF (arXiv 2310.04373): `K:THRESHOLD` makes the K-th reward (1-based, in the
    // order of `rewards`) a constraint whose batch mean must stay ≥ THRESHOLD; its weight is
    // multiplied by a Lagrange multiplier λ (from `constraint_init`) updated by projected gradient
    // steps of size `constraint_lr` after every rollout batch.
    public var constraints: [String] = []
    public var constraintLr: Float = 0.1
    public var constraintInit: Float = 1

    // PPO (estimator gae: a value head on the policy's trunk)
    /// Weight of the value loss.
    public var vfCoef: Float = 0.1
    /// Value clip ε_v.
    public var clipRangeValue: Float = 0.2
    /// GAE γ and λ; advantage whitening.
    public var gamma: Float?
    public var lam: Float?
    public var whitenAdvantages: Bool?

    // DAPO dynamic sampling: drop groups whose rewards are all equal and sample more prompts, at most
    // `max_num_gen_batches` rollout batches per step.
    public var dynamicSampling = false
    public var maxNumGenBatches = 3

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
        case dualClip = "dual_clip", clipRatioC = "clip_ratio_c", rolloutIsThreshold = "rollout_is_threshold", rolloutIsLevel = "rollout_is_level"
        case rolloutIsMode = "rollout_is_mode", klCoef = "kl_coef", klPenalty = "kl_penalty", klTarget = "kl_target", klHorizon = "kl_horizon"
        case vfCoef = "vf_coef", clipRangeValue = "cliprange_value", gamma, lam, whitenAdvantages = "whiten_advantages"
        case dynamicSampling = "dynamic_sampling", maxNumGenBatches = "max_num_gen_batches", refWeights = "ref_weights", rmWeights = "rm_weights"
        case entropyWeight = "entropy_weight", macro, constraints, constraintLr = "constraint_lr", constraintInit = "constraint_init"
    }

    /// Any key, to find the ones a YAML file has that are not settings.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Every key optional (a YAML file may set any subset).
    public init(from decoder: Decoder) throws {
        self.init()
        // A misspelt key is an error, not a silently ignored setting.
        for k in try decoder.container(keyedBy: AnyKey.self).allKeys where CodingKeys(stringValue: k.stringValue) == nil {
            throw RewardError("unknown setting '\(k.stringValue)'")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<OnlineRLConfiguration, T>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { self[keyPath: p] = x }
        }
        func o<T: Decodable>(_ k: CodingKeys, _ p: WritableKeyPath<OnlineRLConfiguration, T?>) throws {
            if let x = try c.decodeIfPresent(T.self, forKey: k) { self[keyPath: p] = x }
        }
        try v(.model, \.model); try o(.ref, \.ref); try v(.refWeights, \.refWeights); try v(.rmWeights, \.rmWeights); try v(.prompts, \.prompts); try o(.evalPrompts, \.evalPrompts); try v(.out, \.out)
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
        try o(.dualClip, \.dualClip); try o(.clipRatioC, \.clipRatioC); try o(.rolloutIsThreshold, \.rolloutIsThreshold)
        try o(.rolloutIsLevel, \.rolloutIsLevel); try o(.rolloutIsMode, \.rolloutIsMode); try v(.klCoef, \.klCoef)
        try v(.klPenalty, \.klPenalty); try o(.klTarget, \.klTarget); try v(.klHorizon, \.klHorizon); try v(.vfCoef, \.vfCoef)
        try v(.clipRangeValue, \.clipRangeValue); try o(.gamma, \.gamma); try o(.lam, \.lam); try o(.whitenAdvantages, \.whitenAdvantages)
        try v(.dynamicSampling, \.dynamicSampling); try v(.maxNumGenBatches, \.maxNumGenBatches)
        try o(.entropyWeight, \.entropyWeight); try o(.macro, \.macro); try v(.constraints, \.constraints)
        try v(.constraintLr, \.constraintLr); try v(.constraintInit, \.constraintInit)
    }

    /// The constraints as (0-based reward index, threshold), checked against `rewards`.
    public func parsedConstraints() throws -> [(index: Int, threshold: Float)] {
        var seen = Set<Int>()
        return try constraints.map { spec in
            let parts = spec.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let k = Int(parts[0]), let t = Float(parts[1]), t.isFinite else {
                throw RewardError("constraints: '\(spec)' is not K:THRESHOLD (K the 1-based position of a --reward, THRESHOLD a number)")
            }
            guard (1 ... rewards.count).contains(k) else {
                throw RewardError("constraints: '\(spec)' names reward \(k), but there are \(rewards.count) rewards")
            }
            guard seen.insert(k).inserted else { throw RewardError("constraints: reward \(k) is constrained twice") }
            return (k - 1, t)
        }
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
        for (k, x) in [("learning_rate", learningRate), ("beta", beta), ("kl_coef", klCoef), ("vf_coef", vfCoef),
                       ("cliprange_value", clipRangeValue), ("kl_horizon", klHorizon), ("temperature", temperature), ("max_grad_norm", maxGradNorm),
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
        if maxNumGenBatches < 1 { throw fail("max_num_gen_batches", "must be ≥ 1, got \(maxNumGenBatches)") }
        if let t = klTarget, !(t > 0) { throw fail("kl_target", "must be > 0, got \(t)") }
        if !constraints.isEmpty {
            _ = try parsedConstraints()
            if !(constraintLr.isFinite && constraintLr > 0) { throw fail("constraint_lr", "must be a finite number > 0, got \(constraintLr)") }
            if !(constraintInit.isFinite && constraintInit >= 0) { throw fail("constraint_init", "must be a finite number ≥ 0, got \(constraintInit)") }
        }
        if !["constant", "linear", "cosine"].contains(schedule) { throw fail("schedule", "expected constant, linear or cosine, got \(schedule)") }
    }
}
