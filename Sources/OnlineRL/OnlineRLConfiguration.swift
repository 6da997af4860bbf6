// The settings of an online-RL run (`tokenalign grpo|rloo`), one Codable value written to the run
// folder as `config.yaml`. Names follow TRL's `GRPOConfig` where TRL has the setting and verl's
// otherwise (`clip_ratio_low`, `loss_agg_mode`…).
import Foundation
import Models
import Support
import Training

/// Each field is declared once more, with its key, doc and rule, in `settings`
/// (`OnlineRLConfiguration+Settings.swift`); the field's name is its key in camelCase.
public struct OnlineRLConfiguration: Codable, Sendable, Equatable {
    public var model = ""
    public var ref: String?
    public var refWeights: WeightFormat = .f32
    public var rmWeights: WeightFormat = .f32
    public var prompts = ""
    public var evalPrompts: String?
    public var out = ""
    public var seed: UInt64 = 42

    // Rewards
    public var rewards: [String] = []
    public var rewardWeights: [Float]?

    // Method
    public var estimator = "grpo"
    public var policyLoss = "ppo"
    public var scaleRewards: String?
    public var beta: Float = 0
    public var klEstimator = "k3"
    public var clipRatioLow: Float?
    public var clipRatioHigh: Float?
    public var lossAggMode: String?
    public var entropyCoeff: Float = 0
    public var maskTruncatedCompletions = false
    public var dualClip: Bool?
    public var clipRatioC: Float?
    public var rolloutIsThreshold: Float?
    public var rolloutIsLevel: String?
    public var rolloutIsMode: String?
    public var klCoef: Float = 0
    public var klPenalty = "k1"
    public var klTarget: Float?
    public var klHorizon: Float = 10_000

    public var entropyWeight: Float?
    public var macro: String?

    // Constrained RLHF (arXiv 2310.04373): `K:THRESHOLD` makes the K-th reward (1-based, in the
    // order of `rewards`) a constraint whose batch mean must stay ≥ THRESHOLD; its weight is
    // multiplied by a Lagrange multiplier λ (from `constraint_init`) updated by projected gradient
    // steps of size `constraint_lr` after every rollout batch.
    public var constraints: [String] = []
    public var constraintLr: Float = 0.1
    public var constraintInit: Float = 1

    // OREAL (policy_loss oreal, arXiv 2502.06781; defaults from the reference's 7B config unless
    // said otherwise in docs/design/online-rl.md §13).
    public var positiveLossFactor: Float = 1
    public var negativeLossFactor: Float = 0.5
    public var posMultAdv = true
    public var filterTrajectory = true
    public var tokenLevelRm = true
    public var tokenLevelRmLr: Float = 1e-2
    public var tokenWeightRescale = "threshold"
    public var correctThreshold: Float = 0.5
    public var incorrectThreshold: Float = 0.5
    public var correctTopkRatio: Float = 0.5
    public var incorrectTopkRatio: Float = 0.5
    public var actorFreezeSteps = 0

    // PPO (estimator gae: a value head on the policy's trunk)
    public var vfCoef: Float = 0.1
    public var cliprangeValue: Float = 0.2
    public var gamma: Float?
    public var lam: Float?
    public var whitenAdvantages: Bool?

    // DAPO dynamic sampling: drop groups whose rewards are all equal and sample more prompts, at most
    // `max_num_gen_batches` rollout batches per step.
    public var dynamicSampling = false
    public var maxNumGenBatches = 3

    // Sampling
    public var numGenerations = 4
    public var promptsPerStep = 4
    public var maxCompletionLength = 64
    public var temperature: Float = 1
    public var topK = 0
    public var topP: Float = 1
    public var stop: [String] = []
    public var chat = false
    public var system: String?
    public var addSpecialTokens = true
    public var generationBatchSize = 32

    // Optimisation
    public var numIterations = 1
    public var miniBatchSize: Int?
    public var perDeviceTrainBatchSize = 8
    public var learningRate: Float = 1e-5
    public var schedule = "constant"
    public var warmupSteps = 0
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    public var maxSteps = 100

    // LoRA
    public var loraRank: Int?
    public var loraAlpha: Float = 16
    public var loraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "c_attn", "c_proj"]

    // Cadence
    public var evalSteps: Int?
    public var saveSteps: Int?

    public init() {}

    /// Every key optional (a YAML file may set any subset); a misspelt key is an error naming the
    /// nearest setting, not a silently ignored one.
    public init(from decoder: Decoder) throws {
        self.init()
        try Self.settings.decode(decoder, into: &self)
    }

    /// The settings in table order, unset optionals left out (the run folder's `config.yaml`).
    public func encode(to encoder: Encoder) throws { try Self.settings.encode(self, to: encoder) }

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

    /// Checks every setting (flags and YAML alike): the required ones, each setting's rule in
    /// `settings`, then the rules that relate settings. Errors name the key.
    public func validate() throws {
        func fail(_ key: String, _ why: String) -> RewardError { RewardError("\(key): \(why)") }
        guard !model.isEmpty else { throw fail("model", "required (--model)") }
        guard !prompts.isEmpty else { throw fail("prompts", "required (--prompts)") }
        guard !rewards.isEmpty else { throw fail("rewards", "at least one --reward is needed") }
        do { try Self.settings.validate(self) } catch SettingError.invalid(let key, let value, let requirement) {
            throw fail(key, "must be \(requirement), got \(value)")
        }
        if numGenerations < 2 && ["grpo", "dr-grpo", "rloo", "reinforce++-baseline", "grpo-passk"].contains(estimator) {
            throw fail("num_generations", "\(estimator) compares completions of the same prompt: it needs ≥ 2, got \(numGenerations)")
        }
        if let m = miniBatchSize, m < 1 || m > rolloutSize || rolloutSize % m != 0 {
            throw fail("mini_batch_size", "must divide the rollout batch of \(rolloutSize) completions, got \(m)")
        }
        if !constraints.isEmpty {
            _ = try parsedConstraints()
            if !(constraintLr.isFinite && constraintLr > 0) { throw fail("constraint_lr", "must be a finite number > 0, got \(constraintLr)") }
            if !(constraintInit.isFinite && constraintInit >= 0) { throw fail("constraint_init", "must be a finite number ≥ 0, got \(constraintInit)") }
        }
    }
}
