// The online-RL loop shared by `tokenalign grpo`, `rloo` and `ppo`: sample `num_generations`
// completions per prompt with the batched KV-cache decoder → rewards (per token, optionally minus a
// KL to the reference) → advantages (a registered estimator; GAE reads a value head on the
// policy's trunk) → `num_iterations` passes of mini-batch updates with a registered policy loss
// (plus the clipped value loss under PPO). One `step` is one rollout batch. Every random choice is a pure function of (seed, step), so
// a run resumed from a checkpoint draws the same prompts and the same samples as an uninterrupted
// one. Design: docs/design/online-rl.md.
import Autograd
import Datasets
import Decoding
import Distributed
import Foundation
import Models
import NN
import Objectives
import Optim
import TensorCore
import Tokenizers
import Training

public final class OnlineRLTrainer {
    public let configuration: OnlineRLConfiguration
    public let policy: any LanguageModel
    /// A separate frozen reference; nil under LoRA (the base model with adapters off) or when no
    /// KL term reads it.
    let reference: (any LanguageModel)?
    public let tokenizer: Tokenizer
    public let prompts: [RLPrompt]
    public let evalPrompts: [RLPrompt]
    /// The task rewards, then the constraint functions (weights σλ, divisor 1 + Σλ, see
    /// `LagrangeMultipliers`): what every rollout is judged by.
    var rewards: WeightedRewards
    /// The weights of the task rewards the run was given.
    let baseRewardWeights: [Float]
    /// Constrained RLHF's multipliers (nil without constraints): state of the run, checkpointed.
    public internal(set) var multipliers: LagrangeMultipliers?
    /// Positions of the constraint functions in `rewards.functions` (after the task rewards).
    let constraintIndices: [Int]
    let estimator: any AdvantageEstimator
    let loss: any PolicyLoss
    public let optimizer: AdamW
    public internal(set) var step = 0
    /// PPO's critic (estimator `gae`), trained with the policy.
    public let valueHead: ValueHead?
    /// OREAL's token-level reward model (policy loss `oreal` with `token_level_rm`), trained with
    /// its own optimizer and checkpointed with the run.
    public let tokenRewardModel: OREALTokenRewardModel?
    /// Quark's control prefixes (token ids, lowest-reward quantile first; empty for other losses)
    /// and its pool of every sampled completion, which is state of the run (checkpointed).
    let quarkControls: [[Int]]
    var quarkPool = QuarkPool()
    /// An extra term of the update over targets of its own (RLMEC's imitation regulariser), nil
    /// without one (`PolicyUpdateTerm`).
    let updateTerm: (any PolicyUpdateTerm)?
    /// What the optimizer updates and checkpoints hold: the policy, or the policy and its value head.
    public let trainable: Module
    let valueLoss: ClippedValueLoss?
    /// The KL-in-reward coefficient, adapted when `kl_target` is set (restored on resume).
    public internal(set) var klCoefficient: Float
    let stopIDs: Set<Int>
    let padID: Int
    public var outputDirectory: URL?
    /// The completions of the last training step with their rewards and advantages (empty before
    /// the first step, and after a step whose dynamic sampling kept nothing).
    public private(set) var lastRollouts: [RolloutRecord] = []
    /// The world this trainer is one rank of: rank r samples the r-th block of the step's groups,
    /// the samples are then shared and the gradients summed (docs/design/distributed.md §3).
    public let communicator: any Communicator = World.current
    lazy var gradientReducer = GradientAllReducer(communicator: communicator)
    /// Only rank 0 writes the run folder.
    var writes: Bool { communicator.rank == 0 }
    /// Test hook: replaces each micro-batch's loss, given the 1-based step being computed (the
    /// non-finite tests inject a NaN at a chosen step).
    var lossInjection: ((_ step: Int, _ loss: Variable) -> Variable)?

    public init(configuration c: OnlineRLConfiguration, policy: any LanguageModel, reference: (any LanguageModel)?, tokenizer: Tokenizer,
                prompts: [RLPrompt], evalPrompts: [RLPrompt] = [], rewardFunctions: [any RewardFunction],
                constraintFunctions: [any RewardFunction] = []) throws {
        try c.validate()
        configuration = c
        self.policy = policy
        self.tokenizer = tokenizer
        self.prompts = prompts
        self.evalPrompts = evalPrompts
        rewards = try WeightedRewards(rewardFunctions, weights: c.rewardWeights)
        baseRewardWeights = rewards.weights
        let specs = try c.constraintSpecs()
        guard constraintFunctions.count == specs.count else {
            throw RewardError("constraints: \(specs.count) given but \(constraintFunctions.count) constraint functions built")
        }
        constraintIndices = Array(rewardFunctions.count ..< rewardFunctions.count + constraintFunctions.count)
        if specs.isEmpty {
            multipliers = nil
        } else {
            // Metrics and the dual step find a function's batch mean by its name.
            var seen = Set(rewardFunctions.map(\.name))
            for f in constraintFunctions where !seen.insert(f.name).inserted {
                throw RewardError("constraints: \(f.name) is also a --reward or another --constraint; its mean could not be told apart")
            }
            multipliers = try LagrangeMultipliers(thresholds: specs.map(\.threshold), bounds: specs.map(\.bound),
                                                  learningRate: c.constraintLr, initial: c.constraintInit, maximum: c.constraintMax)
            rewards.functions += constraintFunctions
            rewards.weights = baseRewardWeights + (multipliers?.coefficients ?? [])
            rewards.divisor = multipliers?.normaliser ?? 1
        }
        var advantageSettings = AdvantageSettings(gamma: c.gamma, lambda: c.lam, whiten: c.whitenAdvantages,
                                                  entropyWeight: c.entropyWeight, macro: c.macro, thrP: c.thrP, thrBeta: c.thrBeta)
        if let m = c.thrMode {
            guard let v = THRAdvantage.Mode(rawValue: m) else { throw RewardError("thr_mode: expected reweight or dominant, got \(m)") }
            advantageSettings.thrMode = v
        }
        if let s = c.scaleRewards {
            guard let v = RewardScaling(rawValue: s) else { throw RewardError("scale_rewards: expected group, batch or none, got \(s)") }
            advantageSettings.scaleRewards = v
        }
        estimator = try AdvantageEstimators.make(c.estimator, settings: advantageSettings)
        var lossSettings = PolicyLossSettings(clipLow: c.clipRatioLow, clipHigh: c.clipRatioHigh, dualClip: c.dualClip, dualClipBound: c.clipRatioC,
                                              klCoefficient: c.beta, klEstimator: try KLEstimator(name: c.klEstimator),
                                              entropyCoefficient: c.entropyCoeff, importanceThreshold: c.rolloutIsThreshold,
                                              positiveLossFactor: c.positiveLossFactor, negativeLossFactor: c.negativeLossFactor,
                                              positiveMultipliedByAdvantage: c.posMultAdv, quarkKLCoefficient: c.quarkKlCoef,
                                              quarkKLDirection: KLDirection(rawValue: c.quarkKlDirection), quarkEntropyCoefficient: c.quarkEntropyCoef)
        if let v = c.rolloutIsLevel {
            guard let l = ImportanceLevel(rawValue: v) else { throw RewardError("rollout_is_level: expected token or sequence, got \(v)") }
            lossSettings.importanceLevel = l
        }
        if let v = c.rolloutIsMode {
            guard let m = ImportanceMode(rawValue: v) else { throw RewardError("rollout_is_mode: expected truncate or mask, got \(v)") }
            lossSettings.importanceMode = m
        }
        _ = try KLEstimator(name: c.klPenalty)
        if let mode = c.lossAggMode {
            lossSettings.aggregation = try LossAggregation(name: mode, lengthNormalizer: Float(c.maxCompletionLength))
        }
        loss = try PolicyLosses.make(c.policyLoss, settings: lossSettings)
        tokenRewardModel = loss is OREALLoss && c.tokenLevelRm ? OREALTokenRewardModel(hiddenSize: policy.hiddenSize, configuration: c) : nil
        quarkControls = try Self.quarkControlIDs(c, tokenizer: tokenizer)
        updateTerm = try Self.makeUpdateTerm(c, rewardFunctions: rewardFunctions)
        // Prompts (behind Quark's longest control prefix) must leave room for the completion in
        // every model's positions.
        let positions = min(policy.maxPositions, reference?.maxPositions ?? .max)
        let prefix = quarkControls.map(\.count).max() ?? 0
        for p in prompts + evalPrompts where prefix + p.ids.count + c.maxCompletionLength > positions {
            let what = prefix > 0 ? "a \(prefix)-token control prefix + prompt of \(p.ids.count) tokens" : "prompt of \(p.ids.count) tokens"
            throw RewardError("\(p.location): \(what) + max_completion_length \(c.maxCompletionLength) exceed the model's \(positions) positions")
        }
        if let r = reference, r.vocabularySize != policy.vocabularySize {
            throw RewardError("reference vocabulary \(r.vocabularySize) ≠ policy vocabulary \(policy.vocabularySize)")
        }
        self.reference = reference
        if let r = c.loraRank {
            var rng = RandomGenerator(seed: c.seed &+ 0x10FA)
            let n = LoRA.apply(to: policy, configuration: LoRAConfiguration(rank: r, alpha: c.loraAlpha, dropout: 0), targets: c.loraTargetModules, rng: &rng)
            guard n > 0 else { throw RewardError("lora_target_modules \(c.loraTargetModules) matched no linear layer") }
        }
        // A KL term reads the reference: the frozen model given here, or under LoRA the policy with
        // its adapters off. With neither it would compare the policy with itself and be 0 — as PPO's
        // kl_coef was until the setup loaded a reference for it (docs/results.md, the correction
        // above the first `demo rl` table) — so it is refused here, where no build drops the check.
        if c.readsReference, reference == nil, !LoRA.hasAdapters(policy) {
            throw RewardError("a KL term (beta \(c.beta), kl_coef \(c.klCoef)\(c.usesQuark ? ", quark_kl_coef \(c.quarkKlCoef)" : "")) needs a reference model: give one (--ref), train LoRA adapters, or set the coefficients to 0")
        }
        if estimator.readsValues {
            let head = ValueHead(hiddenSize: policy.hiddenSize, seed: c.seed &+ 0x7A1E)
            valueHead = head
            trainable = ModelWithHead(model: policy, head: head, headKey: "value_head")
            valueLoss = try ClippedValueLoss(clipRange: c.cliprangeValue, aggregation: lossSettings.aggregation ?? .tokenMean)
        } else {
            valueHead = nil
            trainable = policy
            valueLoss = nil
        }
        let world = World.current
        if world.size > 1 {
            guard c.promptsPerStep % world.size == 0 else {
                throw RewardError("prompts_per_step \(c.promptsPerStep) must be a multiple of the \(world.size) processes (each samples whole groups)")
            }
            guard !c.dynamicSampling else { throw RewardError("dynamic_sampling is not supported with more than one process") }
            guard !estimator.readsHiddenStates else {
                throw RewardError("estimator \(c.estimator) is not supported with more than one process (its hidden states and probability rows are not shared between ranks)")
            }
        }
        klCoefficient = c.klCoef
        optimizer = AdamW(learningRate: c.learningRate, weightDecay: c.weightDecay)
        var stops = Set<Int>()
        if let e = tokenizer.eosTokenID { stops.insert(e) }
        stopIDs = stops
        padID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        reference?.eval()
    }

    // MARK: Schedule

    var schedule: LearningRateSchedule {
        let c = configuration
        switch c.schedule {
        case "cosine": return .cosine(peak: c.learningRate, warmup: c.warmupSteps, total: c.maxSteps)
        case "linear": return .linear(peak: c.learningRate, warmup: c.warmupSteps, total: c.maxSteps)
        default: return c.warmupSteps > 0 ? .constantWithWarmup(peak: c.learningRate, warmup: c.warmupSteps) : .constant(c.learningRate)
        }
    }

    /// The prompts of rollout batch `s`: consecutive windows of a seeded permutation per epoch.
    /// Dynamic sampling's extra batches (`attempt` > 0) draw from permutations of their own.
    public func promptIndices(forStep s: Int, attempt: Int = 0) -> [Int] {
        let n = prompts.count, k = configuration.promptsPerStep
        var out: [Int] = []
        var position = s * k
        let seed = attempt == 0 ? configuration.seed : configuration.seed &+ 0xD7A0_0000 &+ UInt64(attempt)
        while out.count < k {
            let epoch = position / n
            let order = DataOrder.permutation(count: n, seed: seed, epoch: epoch)
            out.append(order[position % n])
            position += 1
        }
        return out
    }

    func generationParameters(greedy: Bool) -> GenerationParameters {
        let c = configuration
        var p = GenerationParameters(maxNewTokens: c.maxCompletionLength, temperature: greedy ? 0 : c.temperature, topK: c.topK, topP: c.topP,
                                     stopTokenIDs: stopIDs, stopStrings: c.stop)
        p.padTokenID = padID
        p.recordLogProbs = true
        return p
    }

    // MARK: Rollouts

    /// Samples the completions of step `s` (seeds derived from the run's seed and the step). With
    /// several processes rank r keeps the r-th block of groups: it decodes every generation batch
    /// that holds one of its rows, seeded by that batch's index in the whole step, so its samples
    /// are the ones one process would draw (a batch straddling two ranks is decoded by both).
    func rollout(step s: Int, attempt: Int = 0) throws -> [RolloutSample] {
        let c = configuration
        let indices = promptIndices(forStep: s, attempt: attempt)
        var rows: [(prompt: Int, group: Int)] = []
        for (g, i) in indices.enumerated() { for _ in 0 ..< c.numGenerations { rows.append((i, g)) } }
        let share = rows.count / communicator.size
        let mine = communicator.rank * share ..< (communicator.rank + 1) * share
        policy.eval()
        defer { policy.train() }
        let stepSeed = c.seed &+ 0x5EED_0000 &+ UInt64(s) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(attempt) &* 0xA24B_AED4_963E_E407
        var out: [RolloutSample] = []
        out.reserveCapacity(rows.count)
        for (k, lo) in stride(from: 0, to: rows.count, by: c.generationBatchSize).enumerated() {
            let span = lo ..< min(lo + c.generationBatchSize, rows.count)
            guard span.overlaps(mine) else { continue }
            let chunk = Array(rows[span])
            var params = generationParameters(greedy: false)
            params.seed = BatchedGeneration.batchSeed(stepSeed, index: k)
            let inputs = chunk.map { generationPromptIDs(prompts[$0.prompt].ids, initialPool: s == 0) }
            let results = Generator.generate(model: policy, prompts: inputs, parameters: params,
                                             decode: c.stop.isEmpty ? nil : { [tokenizer] in tokenizer.decode($0, skipSpecialTokens: true) })
            for (j, (row, r)) in zip(chunk, results).enumerated() where mine.contains(lo + j) {
                out.append(RolloutSample(promptIndex: row.prompt, group: row.group, promptIDs: inputs[j], ids: r.tokens,
                                         rolloutLogps: r.logProbs, entropies: r.entropies, truncated: r.finishReason == .length,
                                         text: tokenizer.decode(r.tokens, skipSpecialTokens: true), trained: !(c.maskTruncatedCompletions && r.finishReason == .length)))
            }
        }
        return out
    }

    /// `copies` completions of each of `set[indices]` from the run's sampler (its temperature,
    /// top-k/p, stops and budget), prompt-major, seeded by `seed` alone: what the policy would draw
    /// as rollouts, without training on them (best-of-n pools, evaluation).
    public func sampleCompletions(of set: [RLPrompt], indices: [Int], copies: Int, seed: UInt64) -> [Completion] {
        let c = configuration
        let rows = indices.flatMap { [Int](repeating: $0, count: max(copies, 0)) }
        policy.eval()
        defer { policy.train() }
        var out: [Completion] = []
        out.reserveCapacity(rows.count)
        for (k, lo) in stride(from: 0, to: rows.count, by: c.generationBatchSize).enumerated() {
            let chunk = Array(rows[lo ..< min(lo + c.generationBatchSize, rows.count)])
            var params = generationParameters(greedy: false)
            params.seed = BatchedGeneration.batchSeed(seed, index: k)
            let results = Generator.generate(model: policy, prompts: chunk.map { generationPromptIDs(set[$0].ids) }, parameters: params,
                                             decode: c.stop.isEmpty ? nil : { [tokenizer] in tokenizer.decode($0, skipSpecialTokens: true) })
            for (i, r) in zip(chunk, results) {
                out.append(Completion(prompt: set[i], ids: r.tokens, text: tokenizer.decode(r.tokens, skipSpecialTokens: true),
                                      finishReason: r.finishReason, logProbs: r.logProbs, entropies: r.entropies))
            }
        }
        return out
    }

    func completions(_ samples: [RolloutSample], from set: [RLPrompt]) -> [Completion] {
        samples.map {
            Completion(prompt: set[$0.promptIndex], ids: $0.ids, text: $0.text, finishReason: $0.truncated ? .length : .stopToken,
                       logProbs: $0.rolloutLogps, entropies: $0.entropies)
        }
    }

    // MARK: Forward passes

    /// One forward pass over padded samples: ℓ_t of every completion token (temperature-scaled like
    /// the sampler, as TRL's GRPO scores its completions), and when asked the value head's V_t and
    /// the policy's entropy H_t at the same positions. All [n, T]; graphs only when `grad`.
    func forward(_ model: any LanguageModel, _ p: PaddedRollout, grad: Bool, values: Bool = false,
                 entropy: Bool = false, referenceLogits: (Tensor, KLDirection)? = nil) -> (logps: Variable, values: Variable?, entropy: Variable?, referenceKL: Variable?) {
        func run() -> (Variable, Variable?, Variable?, Variable?) {
            let h = model.hiddenStates(p.ids, attentionMask: nil, cache: nil)  // [n, L, C]
            let states = h.slice(axis: 1, 0 ..< p.ids.shape[1] - 1)  // the state before each predicted token
            var logits = model.logits(fromHidden: states)
            let t = configuration.temperature
            if t > 0 && t != 1 { logits = logits * (1 / t) }
            let logps = Functional.tokenLogProbs(logits: logits, labels: p.labels, mask: p.mask)
            let v = values ? valueHead.map { $0(states) } : nil
            // H = −Σ p log p over the vocabulary (only when the entropy bonus reads it: [n, T, V] work).
            let hEntropy = entropy ? (logits.softmax() * logits.logSoftmax()).sum(axis: 2) * -1 : nil
            // The KL to the reference over the vocabulary at each completion token (Quark).
            let kl = referenceLogits.map { $0.1.divergence(policyLogits: logits, referenceLogits: $0.0, mask: p.mask) }
            return (logps, v, hEntropy, kl)
        }
        if grad { return run() }
        return withoutGradients {
            let (a, b, c, d) = run()
            return (Variable(a.value), b.map { Variable($0.value) }, c.map { Variable($0.value) }, d.map { Variable($0.value) })
        }
    }

    /// ℓ_t under `model` without a graph (tests and the reference pass).
    func tokenLogps(_ model: any LanguageModel, _ p: PaddedRollout, grad: Bool) -> Variable {
        forward(model, p, grad: grad).logps
    }

    /// Whether the update reuses the rollout batch (then ℓ^old is recomputed by the trainer).
    var reusesBatch: Bool {
        let c = configuration
        return c.numIterations > 1 || (c.miniBatchSize.map { $0 < c.rolloutSize } ?? false)
    }

    /// Fills ℓ^old (when the batch is reused, or a KL-in-reward term reads it), V^old (PPO) and
    /// ℓ^ref (when a KL term reads it) for every sample, micro-batch by micro-batch, without graphs.
    func scoreFrozen(_ samples: inout [RolloutSample]) {
        let c = configuration
        let needOld = reusesBatch || c.klCoef > 0 || valueHead != nil
        let needRef = c.beta > 0 || c.klCoef > 0
        let needStates = estimator.readsHiddenStates
        // Quark trains on its pool draw, not on these rollouts: nothing frozen is read.
        guard !(loss is QuarkLoss), needOld || needRef || needStates else { return }
        for lo in stride(from: 0, to: samples.count, by: c.perDeviceTrainBatchSize) {
            let range = lo ..< min(lo + c.perDeviceTrainBatchSize, samples.count)
            let p = PaddedRollout(Array(samples[range]), padID: padID, forLoss: false)
            if needStates {
                // THR: the old-policy pass also keeps h and π (when ℓ^old is not needed this is the
                // one pass THR adds).
                let out = frozenStates(p)
                for (j, i) in range.enumerated() {
                    if needOld { samples[i].oldLogps = p.completion(out.logps, row: j) }
                    samples[i].hiddenStates = p.completionVectors(out.hidden, row: j)
                    samples[i].probabilities = p.completionVectors(out.probabilities, row: j)
                }
            } else if needOld {
                let out = forward(policy, p, grad: false, values: valueHead != nil)
                for (j, i) in range.enumerated() {
                    samples[i].oldLogps = p.completion(out.logps.value, row: j)
                    samples[i].values = out.values.map { p.completion($0.value, row: j) }
                }
            }
            if needRef {
                let ref = withReference { tokenLogps($0, p, grad: false).value }
                for (j, i) in range.enumerated() { samples[i].referenceLogps = p.completion(ref, row: j) }
            }
        }
    }

    /// Runs `body` on the reference: the separate frozen model, or under LoRA the policy with its
    /// adapters off.
    func withReference<R>(_ body: (any LanguageModel) -> R) -> R {
        if let reference { return body(reference) }
        guard LoRA.hasAdapters(policy) else { fatalError("unreachable: init refuses a KL term without a reference or LoRA adapters") }
        return LoRA.withAdaptersDisabled(policy) { body(policy) }
    }

    // MARK: Step

    /// Samples, judges and (with dynamic sampling) filters the rollout batch of this step.
    func collect() throws -> (samples: [RolloutSample], perFunction: [String: [Float]], metrics: [String: Float]) {
        let c = configuration
        var kept: [RolloutSample] = [], perFunction: [String: [Float]] = [:], metrics: [String: Float] = [:]
        var groups = 0, attempts = 0, dropped = 0
        repeat {
            var samples = try rollout(step: step, attempt: attempts)
            let judged = try rewards.evaluate(completions(samples, from: prompts))
            for i in samples.indices { samples[i].rewards = judged.tokenRewards[i] }
            attempts += 1
            guard c.dynamicSampling else { return (samples, judged.perFunction, metrics) }
            // DAPO (arXiv 2503.14476 §3.2): a group whose rewards are all equal has zero advantage
            // everywhere; drop it and sample more prompts, at most max_num_gen_batches batches.
            var byGroup: [Int: [Int]] = [:]
            for (i, s) in samples.enumerated() { byGroup[s.group, default: []].append(i) }
            for g in byGroup.keys.sorted() where groups < c.promptsPerStep {
                let rows = byGroup[g]!
                let totals = rows.map { samples[$0].rewards.reduce(0, +) }
                if totals.allSatisfy({ $0 == totals[0] }) { dropped += 1; continue }
                for i in rows {
                    var s = samples[i]
                    s.group = groups
                    kept.append(s)
                    for (name, v) in judged.perFunction { perFunction[name, default: []].append(v[i]) }
                }
                groups += 1
            }
        } while groups < c.promptsPerStep && attempts < c.maxNumGenBatches
        metrics["dynamic_sampling/generation_batches"] = Float(attempts)
        metrics["dynamic_sampling/groups_dropped"] = Float(dropped)
        metrics["dynamic_sampling/groups_kept"] = Float(groups)
        return (kept, perFunction, metrics)
    }

    /// ReMax's baselines: each prompt's greedy completion, judged by the same rewards.
    func greedyBaselines(_ samples: inout [RolloutSample]) throws {
        var byPrompt: [Int: Float] = [:]
        let ids = Array(Set(samples.map(\.promptIndex))).sorted()
        for lo in stride(from: 0, to: ids.count, by: configuration.generationBatchSize) {
            let chunk = Array(ids[lo ..< min(lo + configuration.generationBatchSize, ids.count)])
            let results = Generator.generate(model: policy, prompts: chunk.map { prompts[$0].ids }, parameters: generationParameters(greedy: true))
            let greedy = zip(chunk, results).map { i, r in
                Completion(prompt: prompts[i], ids: r.tokens, text: tokenizer.decode(r.tokens, skipSpecialTokens: true),
                           finishReason: r.finishReason)
            }
            let judged = try rewards.evaluate(greedy)
            for (i, r) in zip(chunk, judged.tokenRewards) { byPrompt[i] = r.reduce(0, +) }
        }
        for i in samples.indices { samples[i].rewardBaseline = byPrompt[samples[i].promptIndex] }
    }

    /// One rollout batch: sample, reward, estimate, update. Returns the step's metrics.
    @discardableResult
    public func trainStep() throws -> [String: Float] {
        let c = configuration
        let clock = ContinuousClock.now
        policy.eval()
        // A NaN or infinite reward stops the run naming the step, the function and the prompt row,
        // before anything is applied or checkpointed (the loss and gradient norm below likewise).
        var (samples, perFunction, extra): ([RolloutSample], [String: [Float]], [String: Float])
        do {
            (samples, perFunction, extra) = try collect()
            if c.estimator == "remax" { try greedyBaselines(&samples) }
        } catch let e as NonFiniteReward {
            throw TrainingError.nonFinite(step: step + 1, quantity: "reward \(e.function) (token \(e.token))", value: e.value, rows: [e.location])
        }
        policy.train()
        let generated = ContinuousClock.now
        if !communicator.isSingle {
            // Each rank scores its own samples, then every rank gets the whole batch.
            scoreFrozen(&samples)
            (samples, perFunction) = try gatherRollouts(samples, perFunction: perFunction)
        }
        var metrics = rolloutMetrics(samples, perFunction: perFunction).merging(extra) { a, _ in a }
        guard !samples.isEmpty else {
            lastRollouts = []
            // Dynamic sampling found no group with distinct rewards: nothing to learn from.
            metrics["step_ms"] = Float(Self.milliseconds(ContinuousClock.now - clock))
            return metrics
        }
        try updateMultipliers(perFunction: perFunction, metrics: &metrics)
        if loss is QuarkLoss {
            // Quark: no advantages; the update trains on a draw from the pool (which now holds
            // this batch) under each sample's quantile prefix.
            lastRollouts = samples.map(RolloutRecord.init)
            let draw = quarkTrainingSamples(samples)
            metrics.merge(draw.metrics) { a, _ in a }
            samples = draw.samples
        } else {
            try estimate(&samples, metrics: &metrics)
            try attachUpdateTargets(&samples, metrics: &metrics)
        }
        metrics.merge(try optimise(samples)) { a, _ in a }
        metrics["generate_ms"] = Float(Self.milliseconds(generated - clock))
        metrics["step_ms"] = Float(Self.milliseconds(ContinuousClock.now - clock))
        return metrics
    }

    /// Scores the frozen quantities, shapes the rewards, estimates the advantages and keeps what
    /// the loss trains on (OREAL's filter and token weights).
    func estimate(_ samples: inout [RolloutSample], metrics: inout [String: Float]) throws {
        let c = configuration
        if communicator.isSingle { scoreFrozen(&samples) }
        // Advantages over the whole batch (groups must be whole), every completion in.
        let all = PaddedRollout(samples, padID: padID, forLoss: false)
        var batch = try all.batch()
        if let macro = estimator as? MacroGAE, macro.rule.readsText { batch.macroStarts = macroStarts(all, rule: macro.rule) }
        if c.klCoef > 0 {
            let shaped = try KLPenalty.rewards(batch, coefficient: klCoefficient, estimator: try KLEstimator(name: c.klPenalty))
            batch.tokenRewards = shaped.rewards
            metrics["kl_in_reward"] = shaped.meanKL
            metrics["kl_coef"] = klCoefficient
            if let target = c.klTarget {
                var controller = try AdaptiveKLController(coefficient: klCoefficient, target: target, horizon: c.klHorizon)
                controller.update(currentKL: shaped.meanKL, steps: samples.count)
                klCoefficient = controller.value
            }
        }
        let estimate = try estimator.estimate(batch)
        metrics.merge(estimate.metrics) { a, _ in a }
        for i in samples.indices {
            samples[i].advantages = all.completion(estimate.advantages, row: i)
            samples[i].returns = all.completion(estimate.returns, row: i)
            // THR's inputs are read once per rollout batch; the update does not need them.
            samples[i].hiddenStates = nil
            samples[i].probabilities = nil
        }
        lastRollouts = samples.map(RolloutRecord.init)
        if loss is OREALLoss {
            // OREAL: one correct and one wrong sample per mixed group, token weights from the token
            // RM (which takes its own step here), and the RM alone for the first steps.
            let kept = c.filterTrajectory ? orealFilter(samples) : Array(samples.indices)
            if let rm = tokenRewardModel { metrics.merge(try orealTokenRewardStep(rm, &samples, training: kept)) { a, _ in a } }
            metrics["oreal/kept_samples"] = Float(kept.count)
            // The reports see every rollout with the credit OREAL gives it, A_i·ω_t.
            lastRollouts = samples.map(RolloutRecord.init)
            samples = step < c.actorFreezeSteps ? [] : kept.map { samples[$0] }
        }
    }

    /// `num_iterations` passes of mini-batch updates over `samples`; the mean of each metric.
    func optimise(_ samples: [RolloutSample]) throws -> [String: Float] {
        let c = configuration
        var metrics: [String: Float] = [:]
        let miniSize = max(min(c.miniBatchSize ?? samples.count, samples.count), 1)
        var sums: [String: Double] = [:], count = 0.0
        var rng = RandomGenerator(seed: c.seed &+ 0xB47C_0000 &+ UInt64(step))
        for _ in 0 ..< (samples.isEmpty ? 0 : c.numIterations) {
            let order = samples.count == miniSize ? Array(samples.indices) : shuffled(samples.count, &rng)
            for lo in stride(from: 0, to: order.count, by: miniSize) {
                let mini = Array(order[lo ..< min(lo + miniSize, order.count)])
                let m = try update(mini.map { samples[$0] })
                for (k, v) in m { sums[k, default: 0] += Double(v) }
                count += 1
            }
        }
        for (k, v) in sums { metrics[k] = Float(v / max(count, 1)) }
        return metrics
    }

    /// MA-RLHF's text rules: 1 where a macro starts, from each completion token's decoded text.
    func macroStarts(_ p: PaddedRollout, rule: MacroRule) -> Tensor {
        p.field { s in rule.starts(tokenTexts: s.ids.map { tokenizer.decode([$0], skipSpecialTokens: false) }).map { $0 ? 1 : 0 } }!
    }

    /// Constrained RLHF: logs each constraint's batch mean and multiplier, takes the dual step, and
    /// sets the judged weights for the next batch (the multipliers used are the ones before it).
    func updateMultipliers(perFunction: [String: [Float]], metrics: inout [String: Float]) throws {
        guard var lagrange = multipliers else { return }
        let names = rewards.functions.map(\.name)
        let means = constraintIndices.map { mean(perFunction[names[$0]] ?? []) }
        for (j, k) in constraintIndices.enumerated() {
            metrics["constraint/\(names[k])/mean"] = means[j]
            metrics["constraint/\(names[k])/lambda"] = lagrange.values[j]
            metrics["constraint/\(names[k])/violation"] = lagrange.bounds[j].violation(mean: means[j], threshold: lagrange.thresholds[j])
        }
        try lagrange.update(constraintMeans: means)
        multipliers = lagrange
        applyMultipliers()
    }

    /// Sets the judged weights from the multipliers: the task weights, then σ_j λ_j for each
    /// constraint, all divided by 1 + Σλ.
    func applyMultipliers() {
        guard let lagrange = multipliers else { return }
        rewards.weights = baseRewardWeights + lagrange.coefficients
        rewards.divisor = lagrange.normaliser
    }

    func shuffled(_ n: Int, _ rng: inout RandomGenerator) -> [Int] {
        var a = Array(0 ..< n)
        for i in stride(from: n - 1, to: 0, by: -1) { a.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return a
    }

    /// One optimizer step on a mini-batch, micro-batch by micro-batch with the global normaliser.
    func update(_ mini: [RolloutSample]) throws -> [String: Float] {
        let c = configuration
        let micro = stride(from: 0, to: mini.count, by: c.perDeviceTrainBatchSize).map { Array(mini[$0 ..< min($0 + c.perDeviceTrainBatchSize, mini.count)]) }
        let all = micro.map { PaddedRollout($0, padID: padID, forLoss: true) }
        let positiveTokens = mini.reduce(Float(0)) { $0 + ($1.trained && Self.isPositive($1) ? Float($1.ids.count) : 0) }
        let normalizer = Normalizer(tokens: all.reduce(0) { $0 + $1.mask.sum().scalar }, sequences: Float(mini.count), positiveTokens: positiveTokens)
        // Every rank holds the whole mini-batch; rank r computes the r-th block of its micro-batches.
        let perRank = (all.count + communicator.size - 1) / communicator.size
        let padded = DataParallel.shard(all, perRank: perRank, rank: communicator.rank)
        trainable.zeroGrad()
        var sums: [String: Double] = [:], total = 0.0
        var failure: Error?
        for (i, p) in padded.enumerated() {
            let batch = try p.batch()
            let advantages = p.field { $0.advantages }!
            let referenceLogits = loss.referenceKLDirection.map { (alignedReferenceLogits(p), $0) }
            _ = try valueAndGrad(trainable, accumulate: i > 0) {
                let f = self.forward(self.policy, p, grad: true, values: self.valueHead != nil, entropy: self.loss.regularizers.entropyCoefficient > 0 || self.loss.needsEntropy,
                                     referenceLogits: referenceLogits)
                do {
                    var out = try self.loss.compute(PolicyLossInput(logps: f.logps, advantages: advantages, batch: batch, entropy: f.entropy,
                                                                    referenceKL: f.referenceKL),
                                                    normalizer: normalizer)
                    if let valueLoss = self.valueLoss, let v = f.values {
                        let vl = try valueLoss.compute(values: v, returns: p.field { $0.returns }!, batch: batch, normalizer: normalizer)
                        out.loss = out.loss + vl.loss * c.vfCoef
                        out.metrics.merge(vl.metrics) { a, _ in a }
                    }
                    if let inject = self.lossInjection { out.loss = inject(self.step + 1, out.loss) }
                    return Self.tally(out, share: Double(p.samples.count) / Double(mini.count), skipping: MetricName.loss, total: &total, sums: &sums)
                } catch {
                    failure = error
                    return (f.logps * 0).sum()
                }
            }
            if let failure { throw failure }
        }
        if updateTerm != nil {
            let extra = try accumulateUpdateTerm(mini)
            total += extra.loss
            sums.merge(extra.metrics) { a, b in a + b }
        }
        if !communicator.isSingle {
            try gradientReducer.allReduce(trainable)
            sums["\u{1}loss"] = total
            sums = try communicator.allReduceSum(sums)
            total = sums.removeValue(forKey: "\u{1}loss") ?? 0
        }
        let lossValue = Float(total)
        let rows = Array(Set(mini.map(\.promptIndex))).sorted().map { prompts[$0].location }
        guard lossValue.isFinite else { throw TrainingError.nonFinite(step: step + 1, quantity: "loss", value: lossValue, rows: rows) }
        let gradNorm = clipGradientNorm(trainable, maxNorm: c.maxGradNorm > 0 ? c.maxGradNorm : .infinity)
        guard gradNorm.isFinite else { throw TrainingError.nonFinite(step: step + 1, quantity: "grad_norm", value: gradNorm, rows: rows) }
        let lr = schedule.learningRate(at: step)
        optimizer.learningRate = lr
        optimizer.step(trainable)
        var m = sums.mapValues { Float($0) }
        m[MetricName.loss] = lossValue
        m["grad_norm"] = gradNorm
        m["learning_rate"] = lr
        return m
    }

    /// TRL's GRPO metrics of a rollout batch.
    func rolloutMetrics(_ samples: [RolloutSample], perFunction: [String: [Float]]) -> [String: Float] {
        var m: [String: Float] = [:]
        let totals = samples.map { $0.rewards.reduce(0, +) }
        m["reward"] = mean(totals)
        var groups: [Int: [Float]] = [:]
        for (s, r) in zip(samples, totals) { groups[s.group, default: []].append(r) }
        let stds = groups.values.map { std($0) }
        m["reward_std"] = mean(stds)
        m["frac_reward_zero_std"] = mean(stds.map { $0 == 0 ? 1 : 0 })
        for (name, v) in perFunction { m["rewards/\(name)/mean"] = mean(v); m["rewards/\(name)/std"] = std(v) }
        let lengths = samples.map { Float($0.ids.count) }
        m["completions/mean_length"] = mean(lengths)
        m["completions/min_length"] = lengths.min() ?? 0
        m["completions/max_length"] = lengths.max() ?? 0
        m["completions/clipped_ratio"] = mean(samples.map { $0.truncated ? 1 : 0 })
        let entropies = samples.flatMap(\.entropies)
        if !entropies.isEmpty { m["rollout_entropy"] = mean(entropies) }
        return m
    }

    func mean(_ v: [Float]) -> Float { v.isEmpty ? 0 : v.reduce(0, +) / Float(v.count) }
    /// Unbiased standard deviation (0 for fewer than two values), as TRL's `reward_std`.
    func std(_ v: [Float]) -> Float {
        guard v.count > 1 else { return 0 }
        let mu = mean(v)
        return (v.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Float(v.count - 1)).squareRoot()
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }

    // MARK: Evaluation

    /// Greedy completions of the held-out prompts (or the training prompts), mean rewards.
    public func evaluate(limit: Int? = nil) throws -> [String: Float] {
        let set = evalPrompts.isEmpty ? prompts : evalPrompts
        let n = min(limit ?? set.count, set.count)
        policy.eval()
        defer { policy.train() }
        var samples: [RolloutSample] = []
        for lo in stride(from: 0, to: n, by: configuration.generationBatchSize) {
            let idx = Array(lo ..< min(lo + configuration.generationBatchSize, n))
            let inputs = idx.map { generationPromptIDs(set[$0].ids) }
            let results = Generator.generate(model: policy, prompts: inputs, parameters: generationParameters(greedy: true))
            for (k, (i, r)) in zip(idx, results).enumerated() {
                samples.append(RolloutSample(promptIndex: i, group: i, promptIDs: inputs[k], ids: r.tokens, rolloutLogps: r.logProbs,
                                             entropies: r.entropies, truncated: r.finishReason == .length,
                                             text: tokenizer.decode(r.tokens, skipSpecialTokens: true)))
            }
        }
        let judged = try rewards.evaluate(completions(samples, from: set))
        var m: [String: Float] = ["eval_reward": mean(judged.tokenRewards.map { $0.reduce(0, +) })]
        for (name, v) in judged.perFunction { m["eval_rewards/\(name)/mean"] = mean(v) }
        m["eval_completions/mean_length"] = mean(samples.map { Float($0.ids.count) })
        return m
    }

    // MARK: Loop

    /// Runs until `max_steps` or until `progress` answers `.stop`; metrics go to the run folder.
    public func run(progress: (TrainingEvent) -> TrainingDisposition = { _ in .continue }) throws {
        let c = configuration
        // One writer per run folder (RunLock; re-entrant, the CLI holds it too).
        let lock = try writes ? outputDirectory.map(RunLock.acquire) : nil
        defer { lock?.release() }
        try DataParallel.startTogether(rows: prompts.count, "the number of prompts", step: step, parameters: trainable,
                                       optimizer: optimizer, communicator)
        policy.train()
        while step < c.maxSteps {
            var metrics = try trainStep()
            step += 1
            metrics["step"] = Float(step)
            metrics["epoch"] = Float(step * c.promptsPerStep) / Float(prompts.count)
            if writes, let dir = outputDirectory { try RunFolder.appendMetrics(metrics, to: dir) }
            var disposition = progress(.step(step: step, totalSteps: c.maxSteps, metrics: metrics))
            if StopSignals.received != nil { disposition = .stop }
            if let every = c.evalSteps, step % every == 0 {
                let e = try evaluate()
                if writes, let dir = outputDirectory { try RunFolder.appendMetrics(e.merging(["step": Float(step)]) { a, _ in a }, to: dir) }
                if progress(.evaluation(step: step, metrics: e)) == .stop { disposition = .stop }
            }
            if try DataParallel.agreeToStop(disposition == .stop, communicator) { disposition = .stop }
            let due = c.saveSteps.map { step % $0 == 0 } ?? false
            if try StepCheckpoint.finish(step: step, due: due, disposition: disposition, outputDirectory: outputDirectory,
                                         save: { try saveCheckpoint(in: $0) }, progress: progress) { break }
        }
    }
}
