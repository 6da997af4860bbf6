// The settings of an online-RL run (`tokenalign grpo|rloo`), one Codable value written to the run
// folder as `config.yaml`. Names follow TRL's `GRPOConfig` where TRL has the setting and verl's
// otherwise (`clip_ratio_low`, `loss_agg_mode`…).
import Foundation
import Models
import Objectives
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
    /// THR (arXiv 2510.03669): steering weight p, threshold factor β, mode (nil: the estimator's default).
    public var thrP: Float?
    public var thrBeta: Float?
    public var thrMode: String?

    // Constrained RLHF (Safe RLHF, arXiv 2310.12773; Moskovitz et al., arXiv 2310.04373): each
    // `constraints` entry is a reward function (NAME[:ARG], any registered one) judged beside the
    // `rewards` but not part of them; its batch mean is held at or below (`upper`, a cost) or at or
    // above (`lower`) its threshold by a Lagrange multiplier λ ≥ 0 that starts at `constraint_init` and
    // takes a projected dual step of size `constraint_lr` after every rollout batch. The policy's token
    // reward is (Σ w r + Σ σλ c) / (1 + Σλ) (`LagrangeMultipliers`, docs/design/online-rl.md).
    public var constraints: [String] = []
    public var constraintThresholds: [Float] = []
    public var constraintBounds: [ConstraintBound] = []
    public var constraintLr: Float = 0.1
    public var constraintInit: Float = 1
    public var constraintMax: Float?

    // OREAL (policy_loss oreal, arXiv 2502.06781; defaults from the reference's 7B config unless
    // said otherwise in docs/design/online-rl.md §13).
    public var positiveLossFactor = OREALLoss.defaultPositiveFactor
    public var negativeLossFactor = OREALLoss.defaultNegativeFactor
    public var posMultAdv = OREALLoss.defaultMultiplyPositiveByAdvantage
    public var filterTrajectory = true
    public var tokenLevelRm = true
    public var tokenLevelRmLr: Float = 1e-2
    public var tokenWeightRescale = "threshold"
    public var correctThreshold: Float = 0.5
    public var incorrectThreshold: Float = 0.5
    public var correctTopkRatio: Float = 0.5
    public var incorrectTopkRatio: Float = 0.5
    public var actorFreezeSteps = 0

    // Quark (policy_loss quark, arXiv 2205.13636; docs/design/online-rl.md §13.3): every rollout joins a
    // pool, the pool is cut into `quark_quantiles` reward quantiles, and the update trains on samples
    // drawn from the pool, each behind its quantile's control prefix; rollouts are drawn behind the
    // best quantile's prefix. `quark_controls` are the K prefixes as text, lowest quantile first
    // (default `[Q1]` … `[QK]`).
    public var quarkQuantiles = 5
    public var quarkKlCoef = QuarkLoss.defaultKLCoefficient
    public var quarkKlDirection = QuarkLoss.defaultKLDirection.rawValue
    public var quarkEntropyCoef = QuarkLoss.defaultEntropyCoefficient
    public var quarkControls: [String] = []
    /// At most this many pool entries, the oldest dropped first; 0 keeps every sample, as the
    /// paper and its code do. A long run's pool (and its checkpoint) otherwise grows with every step.
    public var quarkPoolMax = 0

    // RLMEC's imitation regulariser (arXiv 2401.06081; docs/design/online-rl.md §18): λ of a weighted
    // SFT term on the rlmec rewriter's verified corrections of the wrong rollouts (and on the correct
    // rollouts themselves); 0 = off. Needs an `rlmec` reward.
    public var rlmecImitationCoef: Float = 0

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

    /// Each constraint's threshold and bound: one value per `constraints` entry, or one value for
    /// all of them; bounds default to `upper` (a cost, as Safe RLHF). Errors name the setting.
    public func constraintSpecs() throws -> [(threshold: Float, bound: ConstraintBound)] {
        func fail(_ key: String, _ why: String) -> RewardError { RewardError("\(key): \(why)") }
        let n = constraints.count
        guard n > 0 else {
            if !constraintThresholds.isEmpty { throw fail("constraint_thresholds", "given without any --constraint") }
            if !constraintBounds.isEmpty { throw fail("constraint_bounds", "given without any --constraint") }
            return []
        }
        guard !constraintThresholds.isEmpty else {
            throw fail("constraint_thresholds", "each --constraint needs a threshold (--constraint-threshold, one per constraint or one for all)")
        }
        guard constraintThresholds.count == n || constraintThresholds.count == 1 else {
            throw fail("constraint_thresholds", "\(constraintThresholds.count) values for \(n) constraints (give one per constraint or one for all)")
        }
        guard constraintBounds.count <= 1 || constraintBounds.count == n else {
            throw fail("constraint_bounds", "\(constraintBounds.count) values for \(n) constraints (give one per constraint or one for all)")
        }
        for t in constraintThresholds where !t.isFinite { throw fail("constraint_thresholds", "must be finite numbers, got \(t)") }
        for spec in constraints where spec.trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("constraints", "an empty constraint; expected a reward function NAME[:ARG]")
        }
        return (0 ..< n).map { j in
            (constraintThresholds[constraintThresholds.count == 1 ? 0 : j],
             constraintBounds.isEmpty ? .upper : constraintBounds[constraintBounds.count == 1 ? 0 : j])
        }
    }

    /// Completions per rollout batch.
    public var rolloutSize: Int { promptsPerStep * numGenerations }

    /// Whether a loss or reward term reads the reference model: KL-as-loss (`beta`), KL in the
    /// reward (`kl_coef`), or Quark's full-vocabulary KL.
    public var readsReference: Bool { beta > 0 || klCoef > 0 || (usesQuark && quarkKlCoef > 0) }

    /// Whether `policy_loss` names Quark (by its name or any alias the registry knows), whose loop
    /// differs: prefixes, a pool, no advantages.
    public var usesQuark: Bool { (try? PolicyLosses.registry.entry(named: policyLoss))?.card.name == "quark" }

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
        _ = try constraintSpecs()
        if let m = constraintMax, m < constraintInit {
            throw fail("constraint_max", "must be ≥ constraint_init (\(constraintInit)), got \(m)")
        }
        if usesQuark {
            if !quarkControls.isEmpty && quarkControls.count != quarkQuantiles {
                throw fail("quark_controls", "\(quarkControls.count) prefixes for \(quarkQuantiles) quantiles (give one per quantile, lowest first)")
            }
            if Set(quarkControls).count != quarkControls.count { throw fail("quark_controls", "the prefixes must differ from one another") }
            // The reference must read the prompt without the control prefix, which these terms would not.
            if beta > 0 { throw fail("beta", "quark anchors the policy with quark_kl_coef (a full-vocabulary KL); use beta 0") }
            if klCoef > 0 { throw fail("kl_coef", "quark reads no per-token reward; use kl_coef 0") }
            if dynamicSampling { throw fail("dynamic_sampling", "quark trains on its pool, not on groups; turn dynamic_sampling off") }
            if quarkPoolMax > 0 && quarkPoolMax < rolloutSize {
                throw fail("quark_pool_max", "\(quarkPoolMax) is smaller than one rollout batch (\(rolloutSize)); use 0 (keep all) or at least \(rolloutSize)")
            }
        }
        if usesQuark && rlmecImitationCoef > 0 {
            throw fail("rlmec_imitation_coef", "quark trains on its pool behind control prefixes, not on the rollouts the corrections belong to; use 0")
        }
    }
}
