// `tokenalign grpo` and `tokenalign rloo`: online RL with registered advantage estimators, policy
// losses and reward functions (TRL's `GRPOTrainer` / `RLOOTrainer` with verl's estimator and loss
// names). `tokenalign advantages`: an estimator on stored rollouts, to inspect credit without
// training.
import ArgumentParser
import Checkpoints
import Foundation
import Models
import Objectives
import OnlineRL
import Training
import Yams

struct OnlineRLArguments: ParsableArguments {
    @Option(help: "Policy: a Hugging Face folder or a .gguf file.") var model: String?
    @Option(help: "Reference model (default: the starting policy; under LoRA the base with adapters off).") var ref: String?
    @OptionGroup var refWeights: ReferenceWeightsOption
    @OptionGroup var rmWeights: RewardModelWeightsOption
    @Option(help: "Prompt-only JSONL (TRL format; extra columns reach the reward functions).") var prompts: String?
    @Option(help: "Held-out prompts: greedy completions and mean rewards every --eval-steps.") var evalPrompts: String?
    @Option(help: "Run folder.") var out: String?
    @Option(help: "YAML settings (snake_case keys; flags override them).") var config: String?
    @Option(parsing: .singleValue, help: ArgumentHelp("Reward function NAME or NAME:ARGUMENT (repeatable): \(RewardFunctions.registry.names.joined(separator: ", ")).")) var reward: [String] = []
    @Option(help: "Comma-separated weights, one per --reward.") var rewardWeights: String?
    @Option(help: ArgumentHelp("Advantage estimator: \(AdvantageEstimators.registry.names.joined(separator: ", ")).")) var estimator: String?
    @Option(help: ArgumentHelp("Policy loss: \(PolicyLosses.registry.names.joined(separator: ", ")).")) var policyLoss: String?
    @Option(help: "GRPO reward scaling: group, batch or none.") var scaleRewards: String?
    @Option(help: "KL-as-loss coefficient β (0: no reference pass).") var beta: Float?
    @Option(help: "KL estimator of the loss: k1, k2 or k3.") var klEstimator: String?
    @Option(help: "PPO clip ε below 1.") var clipRatioLow: Float?
    @Option(help: "PPO clip ε above 1 (DAPO's clip-higher).") var clipRatioHigh: Float?
    @Option(help: "token-mean, seq-mean-token-sum, seq-mean-token-mean or seq-mean-token-sum-norm.") var lossAggMode: String?
    @Flag(help: "Leave completions cut by the token budget out of the loss.") var maskTruncatedCompletions = false
    @Option(help: "Completions per prompt (G).") var numGenerations: Int?
    @Option(help: "Prompts per rollout batch.") var promptsPerStep: Int?
    @Option(help: "Tokens per completion at most.") var maxCompletionLength: Int?
    @Option(help: "Sampling temperature.") var temperature: Float?
    @Option(help: "Top-k (0: off).") var topK: Int?
    @Option(help: "Top-p (1: off).") var topP: Float?
    @Option(parsing: .singleValue, help: "Stop string (repeatable).") var stop: [String] = []
    @Flag(help: "Render plain prompts with the chat template.") var chat = false
    @Option(help: "Optimisation passes over each rollout batch (num_iterations).") var numIterations: Int?
    @Option(help: "Completions per optimizer step (default: the rollout batch).") var miniBatchSize: Int?
    @Option(help: "Completions per forward/backward pass.") var perDeviceTrainBatchSize: Int?
    @Option(help: "Learning rate.") var learningRate: Float?
    @Option(help: "Rollout batches to train.") var maxSteps: Int?
    @Option(help: "LoRA rank (default: full fine-tuning).") var loraRank: Int?
    @Option(help: "LoRA α.") var loraAlpha: Float?
    @Option(help: "Evaluate every N steps.") var evalSteps: Int?
    @Option(help: "Checkpoint every N steps.") var saveSteps: Int?
    @Option(help: "Seed of the prompt order and the sampler.") var seed: UInt64?
    @Option(help: "Resume from a checkpoint folder, or `latest` in --out.") var resume: String?
    @Flag(help: "Print every step's metrics as one JSON line.") var json = false
    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false
    @Option(help: "Tokenizer (tokenizer.json, a model folder or a .gguf), if the model has none.") var tokenizer: String?
    @Option(help: "KL in the reward: r_t − kl_coef · k(ℓ_old, ℓ_ref) before the advantages (0: off).") var klCoef: Float?
    @Option(help: "Adaptive KL controller target (with --kl-coef).") var klTarget: Float?
    @Option(help: "PPO: weight of the value loss.") var vfCoef: Float?
    @Option(help: "PPO: value clip ε_v.") var clipRangeValue: Float?
    @Option(help: "GAE γ.") var gamma: Float?
    @Option(help: "GAE λ.") var lam: Float?
    @Flag(help: "Dual-clip for negative advantages (verl).") var dualClip = false
    @Flag(help: "DAPO dynamic sampling: drop groups whose rewards are all equal and sample more.") var dynamicSampling = false
    @Option(help: "Dynamic sampling: rollout batches per step at most.") var maxNumGenBatches: Int?
    @Option(help: "Entropy bonus coefficient.") var entropyCoeff: Float?
    @Option(help: "gtpo / grpo-s: weight of the entropy share (default 0.1).") var entropyWeight: Float?
    @Option(help: "ma-gae macro actions: ngram:N, punct or space (default ngram:5).") var macro: String?
    @Option(parsing: .singleValue, help: "Constrained RLHF: K:THRESHOLD keeps the mean of the K-th --reward (1-based) ≥ THRESHOLD with a Lagrange multiplier (repeatable).") var constraint: [String] = []
    @Option(help: "Step size of the Lagrange multipliers (default 0.1).") var constraintLr: Float?

    func configuration(defaults: OnlineRLConfiguration) throws -> OnlineRLConfiguration {
        var c = defaults
        if let path = config {
            let text = try YAMLBounds.read(path)  // size and nesting bounded before Yams parses it
            do { c = try YAMLDecoder().decode(OnlineRLConfiguration.self, from: text) } catch { throw ValidationError("\(path): \(error)") }
        }
        if let v = model { c.model = v }
        if let v = ref { c.ref = v }
        if let w = refWeights.refWeights { c.refWeights = w }
        if let w = rmWeights.rmWeights { c.rmWeights = w }
        if let v = prompts { c.prompts = v }
        if let v = evalPrompts { c.evalPrompts = v }
        if let v = out { c.out = v }
        if !reward.isEmpty { c.rewards = reward }
        if let v = rewardWeights {
            let w = v.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard w.allSatisfy({ $0 != nil }) else { throw ValidationError("--reward-weights: '\(v)' is not a list of numbers") }
            c.rewardWeights = w.map { $0! }
        }
        if let v = estimator { c.estimator = v }
        if let v = policyLoss { c.policyLoss = v }
        if let v = scaleRewards { c.scaleRewards = v }
        if let v = beta { c.beta = v }
        if let v = klEstimator { c.klEstimator = v }
        if let v = clipRatioLow { c.clipRatioLow = v }
        if let v = clipRatioHigh { c.clipRatioHigh = v }
        if let v = lossAggMode { c.lossAggMode = v }
        if maskTruncatedCompletions { c.maskTruncatedCompletions = true }
        if let v = numGenerations { c.numGenerations = v }
        if let v = promptsPerStep { c.promptsPerStep = v }
        if let v = maxCompletionLength { c.maxNewTokens = v }
        if let v = temperature { c.temperature = v }
        if let v = topK { c.topK = v }
        if let v = topP { c.topP = v }
        if !stop.isEmpty { c.stop = stop }
        if chat { c.chat = true }
        if let v = numIterations { c.numIterations = v }
        if let v = miniBatchSize { c.miniBatchSize = v }
        if let v = perDeviceTrainBatchSize { c.microBatchSize = v }
        if let v = learningRate { c.learningRate = v }
        if let v = maxSteps { c.maxSteps = v }
        if let v = loraRank { c.loraRank = v }
        if let v = loraAlpha { c.loraAlpha = v }
        if let v = evalSteps { c.evalSteps = v }
        if let v = saveSteps { c.saveSteps = v }
        if let v = seed { c.seed = v }
        if let v = klCoef { c.klCoef = v }
        if let v = klTarget { c.klTarget = v }
        if let v = vfCoef { c.vfCoef = v }
        if let v = clipRangeValue { c.clipRangeValue = v }
        if let v = gamma { c.gamma = v }
        if let v = lam { c.lam = v }
        if dualClip { c.dualClip = true }
        if dynamicSampling { c.dynamicSampling = true }
        if let v = maxNumGenBatches { c.maxNumGenBatches = v }
        if let v = entropyCoeff { c.entropyCoeff = v }
        if let v = entropyWeight { c.entropyWeight = v }
        if let v = macro { c.macro = v }
        if !constraint.isEmpty { c.constraints = constraint }
        if let v = constraintLr { c.constraintLr = v }
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }

    /// Trains, writing the run folder; prints progress (or JSON lines).
    func run(defaults: OnlineRLConfiguration, label: String) throws {
        if allowLarge { ModelMemory.allowLarge = true }
        let c = try configuration(defaults: defaults)
        // Setting up reports settings that cannot work (reward names and arguments, estimator,
        // vocabularies, LoRA targets) as RewardError: a usage error here (exit code 64); the same
        // type thrown while training (a non-finite reward or loss) exits 1.
        let prepared: (trainer: OnlineRLTrainer, pretrained: PretrainedModel)
        do { prepared = try OnlineRLSetup.prepare(c, tokenizer: try tokenizer.map { try loadTokenizer($0) }) } catch let e as RewardError { throw SettingsError(e.description) }
        let (trainer, pretrained) = prepared
        // Under mpirun every rank trains; rank 0 alone writes the run folder and prints.
        let lead = trainer.communicator.rank == 0
        let lock = try lead ? trainer.outputDirectory.map(RunLock.acquire) : nil
        defer { lock?.release() }
        StopSignals.install()
        if lead, let dir = trainer.outputDirectory {
            try Data(try YAMLEncoder().encode(c).utf8).write(to: dir.appendingPathComponent("config.yaml"), options: .atomic)
        }
        if let r = resume {
            let url = r == "latest" ? trainer.outputDirectory.flatMap { Trainer.latestCheckpoint(in: $0) } : URL(fileURLWithPath: r)
            guard let url else { throw TrainingError.checkpoint(path: c.out, reason: "--resume latest: no checkpoint-<step> folder here") }
            try trainer.resume(from: url)
        }
        let bar = ProgressLine(label: label)
        try trainer.run { event in
            guard lead else { return .continue }
            switch event {
            case .step(let s, let total, let m):
                if json { print((try? TrainingDriver.jsonLine(m)) ?? "{}") } else { bar.update(s, of: total) }
            case .evaluation(_, let m):
                if json { print((try? TrainingDriver.jsonLine(m)) ?? "{}") }
            case .checkpoint: break
            }
            return .continue
        }
        bar.finish()
        if lead, let dir = trainer.outputDirectory {
            try trainer.saveCheckpoint(in: dir)
            var p = pretrained
            p.tokenizer = trainer.tokenizer
            if c.loraRank != nil { LoRA.fuse(trainer.policy) }
            try p.save(to: dir.appendingPathComponent("model"))
            if let head = trainer.valueHead {
                // The critic beside the policy (PPO), for inspection or continued training.
                try SafeTensors.write(head.stateDict(), to: dir.appendingPathComponent("model/value_head.safetensors"))
            }
        }
    }
}

struct GRPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpo", abstract: "Online RL with group-relative advantages (GRPO, Dr. GRPO, REINFORCE++…) and per-token rewards.",
        discussion: "Defaults: estimator grpo, policy loss ppo (clip 0.2), 4 generations per prompt, β 0 (no reference pass). `tokenalign methods` lists every estimator, loss and reward function with its paper.")
    @OptionGroup var options: OnlineRLArguments
    func run() throws { try options.run(defaults: OnlineRLConfiguration(), label: "grpo") }
}

struct RLOOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rloo", abstract: "REINFORCE with a leave-one-out baseline (RLOO): `grpo` with --estimator rloo.",
        discussion: "TRL's RLOOTrainer defaults: 2 generations per prompt. The policy loss is the token-level PPO clip on the RLOO advantage (verl's rloo).")
    @OptionGroup var options: OnlineRLArguments
    func run() throws {
        var d = OnlineRLConfiguration()
        d.estimator = "rloo"
        d.numGenerations = 2
        try options.run(defaults: d, label: "rloo")
    }
}

struct PPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo", abstract: "PPO with per-token rewards: GAE over a value head on the policy's trunk, KL in the reward.",
        discussion: "`grpo` with --estimator gae. Defaults follow TRL's PPO: kl_coef 0.05 (k1, in the reward), 4 optimisation epochs per rollout batch, clip 0.2, value clip 0.2, vf_coef 0.1, γ 1, λ 0.95, whitened advantages, one completion per prompt.")
    @OptionGroup var options: OnlineRLArguments
    func run() throws {
        var d = OnlineRLConfiguration()
        d.estimator = "gae"
        d.numGenerations = 1
        d.promptsPerStep = 16
        d.klCoef = 0.05
        d.numIterations = 4
        try options.run(defaults: d, label: "ppo")
    }
}
