// The training loop shared by SFT, reward-model and preference training: seeded data order,
// gradient accumulation with global token normalisation (docs/design/objectives.md §0.3, `Normalizer.global`),
// gradient clipping, AdamW with a schedule, periodic evaluation, atomic checkpoints and exact resume.
// Port of the shape of TRL's `Trainer.training_step` / `DPOTrainer._compute_loss` and
// mlx-swift-lm `LoRATrain.train`.
import Autograd
import Datasets
import Distributed
import Foundation
import Models
import NN
import Objectives
import Optim
import TensorCore

/// What a trainer optimises.
public enum TrainerMode {
    /// Masked NLL (TRL `SFTTrainer`, token mean over the optimizer batch).
    case sft
    /// A sequence reward head (Bradley–Terry, TRL `RewardTrainer`) or a per-token head.
    case reward(head: RewardHead, tokenLevel: Bool)
    /// The segment reward model (arXiv 2501.02790): a per-token head trained with Bradley–Terry on
    /// the mean of its values at the precomputed segment ends (`SegmentRewardModelLoss`).
    case segmentReward(head: RewardHead, segments: SegmentEnds)
    /// DPO family and token-level methods.
    case preference(PreferenceMethod)
    /// KTO on unpaired data (TRL `KTOTrainer`).
    case unpaired(KTO)
    /// GenARM's autoregressive reward model: the policy itself is the reward model, trained on
    /// pairs with a Bradley–Terry loss on its summed log-probs (no reference).
    case autoregressiveReward(GenARMLoss)
    /// Saffron-1's multifurcation reward model (arXiv 2506.06444): the policy's raw outputs are a
    /// reward per next token, fitted on the observed tokens' annotated rewards; `seenTokens` are the
    /// tokens the training data observed (the search masks the others: conservative exploration).
    case multifurcationReward(MultifurcationRewardLoss, seenTokens: [Int])
    /// A sequence reward head trained with more than Bradley–Terry on the shared trunk: HaF-RM and
    /// GRM (a term through the LM head), ODIN (a second, length head); `SharedTrunkReward`.
    case sharedTrunkReward(SharedTrunkReward)
}

public final class Trainer {
    public let configuration: TrainingConfiguration
    public let policy: any LanguageModel
    /// The frozen reference (preference); nil when `precomputeRefLogProbs` cached everything or not needed.
    public let reference: (any LanguageModel)?
    /// Frozen auxiliary models, in `--guide` order.
    public let guides: [any LanguageModel]
    public let mode: TrainerMode
    public let train: TrainingExamples
    public let eval: TrainingExamples?
    public let padID: Int
    public let optimizer: AdamW
    /// Optimizer steps done.
    public internal(set) var step = 0
    /// The module whose parameters are trained (policy, or policy + reward head).
    let trainable: Module
    /// Precomputed reference per-token log-probs by (set, index): chosen and rejected rows.
    var referenceCache: [String: (chosen: [Float], rejected: [Float])] = [:]
    /// KTO's precomputed reference values (`--precompute-ref` with unpaired rows).
    var ktoReferenceCache = KTOReferenceCache()
    /// SparsePO's learned mask network (`sparsepo-learned`), trained with the policy: the common
    /// mask, or the reward mask when the KL mask has its own network.
    public internal(set) var sparsePOMask: SparsePOMaskModule?
    /// The KL mask's own network (`sparsepo-learned-indp`).
    public internal(set) var sparsePOKLMask: SparsePOMaskModule?
    /// Where checkpoints and metrics go (nil: nowhere).
    public var outputDirectory: URL?
    /// Optimizer steps dropped because their loss or gradient norm was not finite
    /// (`on_nonfinite: skip`); logged as `skipped_nonfinite` and kept in checkpoints.
    public internal(set) var skippedNonFinite = 0
    /// The metric counting `skippedNonFinite`.
    public static let skippedNonFiniteMetric = "skipped_nonfinite"
    /// For tests: replaces a micro-batch's loss before the backward pass, given (optimizer step
    /// index, micro-batch index, loss), e.g. to inject a NaN at a known step.
    var lossInjection: ((_ step: Int, _ microBatch: Int, _ loss: Variable) -> Variable)?
    /// The world this trainer is one rank of (a single process unless a launcher started it): the
    /// data order is sharded over its ranks and the gradients summed (docs/design/distributed.md).
    public var communicator: any Communicator = World.current
    lazy var gradientReducer = GradientAllReducer(communicator: communicator)
    /// Only rank 0 writes the run folder (metrics, checkpoints, caches, the model).
    var writes: Bool { communicator.rank == 0 }

    public init(configuration: TrainingConfiguration, policy: any LanguageModel, reference: (any LanguageModel)? = nil,
                guides: [any LanguageModel] = [], mode: TrainerMode, train: TrainingExamples, eval: TrainingExamples? = nil,
                padID: Int, outputDirectory: URL? = nil) throws {
        let c = configuration
        // The one validation path: the CLI's flags and YAML, the demos and library callers alike.
        try c.validate()
        if let r = c.loraRank, r > policy.hiddenSize {
            // A LoRA adapter of rank r allocates r × (in + out) per layer: bounded by the model.
            throw TrainingError.invalidSetting(key: "lora_rank", value: "\(r)", requirement: "at most the model's hidden size \(policy.hiddenSize)")
        }
        self.configuration = c
        self.policy = policy
        self.reference = reference
        self.guides = guides
        self.mode = mode
        self.train = train
        self.eval = eval
        self.padID = padID
        self.outputDirectory = outputDirectory
        switch mode {
        case .preference(let m):
            if m.needsTokenRewards {
                for set in [train, eval].compactMap({ $0 }) {
                    guard case .pairs(let pairs) = set else { continue }
                    if let bad = pairs.first(where: { $0.chosen.tokenRewards == nil || $0.rejected.tokenRewards == nil }) {
                        throw TrainingError.invalidConfiguration("\(bad.location): the loss reads token rewards, but this row lacks chosen_token_rewards or rejected_token_rewards")
                    }
                }
            }
            let need = m.auxiliary.count, optional = m.optionalAuxiliary
            guard guides.count <= need && guides.count >= need - optional else {
                throw TrainingError.invalidConfiguration("the loss needs \(need - optional)\(optional > 0 ? "–\(need)" : "") --guide model(s) (\(m.auxiliary.map(\.key.rawValue).joined(separator: ", "))), got \(guides.count)")
            }
            if c.precomputeRefLogProbs && (m.needsReferenceLogits) {
                throw TrainingError.invalidConfiguration("--precompute-ref caches per-token log-probs, but this loss needs the reference's full logits")
            }
            guard let reference else { throw TrainingError.invalidConfiguration("preference training needs a reference model") }
            if m.learnedSparsePOMasks {
                // The mask network reads every layer of the reference (arXiv:2410.05102).
                guard reference is any ActivationInspecting else {
                    throw TrainingError.invalidConfiguration("sparsepo-learned reads the reference's layers, which a \(reference.modelType) model does not expose")
                }
                let mask = SparsePOMaskModule(hiddenSize: reference.hiddenSize, layerCount: reference.layerCount, seed: c.seed &+ 0x5BA5)
                let klMask = m.independentSparsePOMasks
                    ? SparsePOMaskModule(hiddenSize: reference.hiddenSize, layerCount: reference.layerCount, seed: c.seed &+ 0x5BA6) : nil
                sparsePOMask = mask
                sparsePOKLMask = klMask
                trainable = SparsePOTrainable(model: policy, mask: mask, klMask: klMask)
            } else {
                trainable = policy
            }
        case .reward(let head, _), .segmentReward(let head, _):
            trainable = ModelWithHead(model: policy, head: head, headKey: "head")
        case .sharedTrunkReward(let r):
            if r.needsReference && reference == nil { throw TrainingError.invalidConfiguration("--kind haf needs a reference model") }
            trainable = ModelWithHead(model: policy, head: r.trainableHead, headKey: "head")
        case .unpaired:
            if reference == nil { throw TrainingError.invalidConfiguration("KTO needs a reference model") }
            trainable = policy
        case .sft, .autoregressiveReward:
            trainable = policy
        case .multifurcationReward:
            for set in [train, eval].compactMap({ $0 }) {
                guard case .pairs(let pairs) = set else { continue }
                if let bad = pairs.first(where: { $0.chosen.tokenRewards == nil || $0.rejected.tokenRewards == nil }) {
                    throw TrainingError.invalidConfiguration("\(bad.location): a multifurcation reward model trains on token rewards (a teacher's prefix rewards, `tokenalign value-targets --teacher`), but this row lacks chosen_token_rewards or rejected_token_rewards")
                }
            }
            trainable = policy
        }
        // A tie row's target is P(chosen ≻ rejected) = ½: only a Bradley–Terry sequence score reads
        // it; any other objective would silently treat the pair as chosen ≻ rejected.
        let readsTies: Bool
        switch mode {
        case .reward(_, let tokenLevel): readsTies = !tokenLevel
        case .segmentReward, .sharedTrunkReward: readsTies = true
        default: readsTies = false
        }
        if !readsTies {
            for case .pairs(let pairs) in [train, eval].compactMap({ $0 }) {
                if let bad = pairs.first(where: \.tie) {
                    throw TrainingError.invalidConfiguration("\(bad.location): a tie row (\"tie\": true) is read only by a sequence reward model (tokenalign reward with a Bradley–Terry head); this run would train it as chosen ≻ rejected")
                }
            }
        }
        var models: [(role: String, model: any LanguageModel)] = [("policy", policy)]
        if let reference { models.append(("reference", reference)) }
        models += guides.enumerated().map { ("guide \($0.offset + 1)", $0.element) }
        var prefix = 0, ktoMismatch = false
        switch mode {
        case .preference(let m):
            // T-REG scores every row again with a contrastive instruction in front.
            prefix = m.contrastivePrefixIDs.map { max($0.better.count, $0.worse.count) } ?? 0
        case .unpaired(let kto):
            ktoMismatch = kto.lossType == .kto
        default: break
        }
        try ContextCheck.check(train, set: "train", models: models, extra: prefix, ktoMismatch: ktoMismatch)
        if let eval { try ContextCheck.check(eval, set: "eval", models: models, extra: prefix, ktoMismatch: ktoMismatch) }
        if let r = c.loraRank {
            var rng = RandomGenerator(seed: c.seed &+ 0x10FA)
            let n = LoRA.apply(to: policy, configuration: LoRAConfiguration(rank: r, alpha: c.loraAlpha, dropout: c.loraDropout),
                               targets: c.loraTargetModules, rng: &rng)
            guard n > 0 else { throw TrainingError.invalidConfiguration("--lora-target-modules \(c.loraTargetModules) matched no linear layer") }
        }
        optimizer = AdamW(learningRate: c.learningRate, weightDecay: c.weightDecay)
        reference?.eval()
        for g in guides { g.eval() }
    }

    // MARK: Schedule

    /// Optimizer steps per epoch.
    public var stepsPerEpoch: Int {
        let window = configuration.batchSize * configuration.gradientAccumulationSteps * communicator.size
        return max(1, (train.count + window - 1) / window)
    }

    /// Total optimizer steps of the run.
    public var totalSteps: Int { configuration.maxSteps ?? configuration.epochs * stepsPerEpoch }

    var schedule: LearningRateSchedule {
        let c = configuration
        switch c.schedule {
        case "constant": return c.warmupSteps > 0 ? .constantWithWarmup(peak: c.learningRate, warmup: c.warmupSteps) : .constant(c.learningRate)
        case "cosine": return .cosine(peak: c.learningRate, warmup: c.warmupSteps, total: totalSteps)
        default: return .linear(peak: c.learningRate, warmup: c.warmupSteps, total: totalSteps)
        }
    }

    /// The training-set indices of this rank's micro-batches of optimizer step `s`: a pure function
    /// of (seed, step, rank), which is what makes resuming exact.
    public func microBatches(forStep s: Int) -> [[Int]] {
        DataParallel.shard(globalMicroBatches(forStep: s), perRank: configuration.gradientAccumulationSteps, rank: communicator.rank)
    }

    /// Every rank's micro-batches of optimizer step `s`, in rank order: consecutive windows of
    /// batch × accumulation × processes rows of one seeded permutation per epoch.
    public func globalMicroBatches(forStep s: Int) -> [[Int]] {
        let epoch = s / stepsPerEpoch, k = s % stepsPerEpoch
        let order = DataOrder.permutation(count: train.count, seed: configuration.seed, epoch: epoch)
        let window = configuration.batchSize * configuration.gradientAccumulationSteps * communicator.size
        let lo = k * window, hi = min(lo + window, order.count)
        return stride(from: lo, to: hi, by: configuration.batchSize).map { Array(order[$0 ..< min($0 + configuration.batchSize, hi)]) }
    }

    // MARK: Loop

    /// Trains until `totalSteps` or until `progress` answers `.stop` (then a checkpoint is written
    /// when there is an output directory).
    public func run(progress: (TrainingEvent) -> TrainingDisposition = { _ in .continue }) throws {
        if configuration.precomputeRefLogProbs, case .preference = mode { precomputeReference() }
        if configuration.precomputeRefLogProbs, case .unpaired = mode { precomputeKTOReference() }
        // One writer per run folder (re-entrant: the CLI already holds it around setup and saving).
        let lock = try writes ? outputDirectory.map(RunLock.acquire) : nil
        defer { lock?.release() }
        if writes, let dir = outputDirectory, !FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.yaml").path) {
            try RunFolder.prepare(dir, configuration: configuration)
        }
        try DataParallel.startTogether(rows: train.count, "the number of training rows", step: step, parameters: trainable,
                                       optimizer: optimizer, communicator)
        trainable.train()
        let total = totalSteps
        while step < total {
            // A non-finite loss or gradient norm throws here under `on_nonfinite: stop`, before
            // anything is updated, logged or checkpointed.
            var metrics = try trainStep(microBatches(forStep: step))
            step += 1
            if configuration.onNonfinite == .skip { metrics[Trainer.skippedNonFiniteMetric] = Float(skippedNonFinite) }
            metrics["step"] = Float(step)
            metrics["epoch"] = Float(step) / Float(stepsPerEpoch)
            try appendMetrics(metrics)
            var disposition = progress(.step(step: step, totalSteps: total, metrics: metrics))
            // SIGINT / SIGTERM (StopSignals): stop here, through the final checkpoint below.
            if StopSignals.received != nil { disposition = .stop }
            if let every = configuration.evalSteps, every > 0, step % every == 0, eval != nil {
                let e = evaluate()
                try appendMetrics(e.merging(["step": Float(step)]) { a, _ in a })
                if progress(.evaluation(step: step, metrics: e)) == .stop { disposition = .stop }
            }
            let due = configuration.saveSteps.map { $0 > 0 && step % $0 == 0 } ?? false
            if try DataParallel.agreeToStop(disposition == .stop, communicator) { disposition = .stop }
            if try StepCheckpoint.finish(step: step, due: due, disposition: disposition, outputDirectory: outputDirectory,
                                         save: { try saveCheckpoint(in: $0) }, progress: progress) { break }
        }
    }

    /// One optimizer step over the given micro-batches; returns the step's metrics.
    ///
    /// A NaN or infinite loss (of any micro-batch) or gradient norm is never applied: under
    /// `on_nonfinite: stop` this throws `TrainingError.nonFinite` naming the step, the quantity and
    /// the rows of the micro-batch it came from; under `skip` the step is dropped (no parameter or
    /// optimizer update) and counted in `skippedNonFinite`.
    @discardableResult
    public func trainStep(_ micro: [[Int]]) throws -> [String: Float] {
        let batches = micro.map { BatchTensors(train.subset($0).collate(padID: padID)) }
        var normalizer = Normalizer.global(masks: batches.map(\.mask))
        if case .unpaired = mode { normalizer.items = Float(micro.reduce(0) { $0 + $1.count }) }  // KTO averages over rows
        // Every rank's micro-batches form the optimizer batch: the global counts (docs/design/distributed.md §2).
        normalizer = try DataParallel.allReduce(normalizer, communicator)
        var sums: [String: Double] = [:]
        var weightTotal = 0.0, lossTotal = 0.0
        var nonFinite: (quantity: String, value: Float, rows: [Int])?
        trainable.zeroGrad()
        for (i, (indices, b)) in zip(micro, batches).enumerated() {
            var out: ObjectiveOutput?
            var loss: Variable?
            _ = try valueAndGrad(trainable, accumulate: i > 0) {
                let o = self.objectiveOutput(b, indices: indices, set: "train", normalizer: normalizer)
                out = o
                let l = self.lossInjection.map { $0(self.step, i, o.loss) } ?? o.loss
                loss = l
                return l
            }
            let value = loss?.scalar ?? 0
            if !value.isFinite {
                nonFinite = ("loss", value, indices)
                break
            }
            // With accumulation, tell which micro-batch made the gradient non-finite.
            if micro.count > 1 {
                let norm = gradientNorm()
                if !norm.isFinite {
                    nonFinite = ("grad_norm", norm, indices)
                    break
                }
            }
            let w = Double(indices.count)
            weightTotal += w
            lossTotal += Double(value)
            for (k, v) in out?.metrics ?? [:] { sums[k, default: 0] += Double(v) * w }
        }
        if !communicator.isSingle {
            // Ranks agree on skipping or stopping; otherwise the gradients and metrics are summed.
            if try communicator.any(nonFinite != nil), nonFinite == nil { nonFinite = ("loss or grad_norm (on another rank)", .nan, []) }
            if nonFinite == nil {
                try gradientReducer.allReduce(trainable)
                var all = sums
                all["\u{1}rows"] = weightTotal
                all["\u{1}loss"] = lossTotal
                all = try communicator.allReduceSum(all)
                weightTotal = all.removeValue(forKey: "\u{1}rows") ?? 0
                lossTotal = all.removeValue(forKey: "\u{1}loss") ?? 0
                sums = all
            }
        }
        let lr = schedule.learningRate(at: step)
        var gradNorm = Float.nan
        if nonFinite == nil {
            gradNorm = clipGradientNorm(trainable, maxNorm: configuration.maxGradNorm > 0 ? configuration.maxGradNorm : .infinity)
            if !gradNorm.isFinite { nonFinite = ("grad_norm", gradNorm, micro.flatMap { $0 }) }
        }
        if let bad = nonFinite {
            trainable.zeroGrad()
            guard configuration.onNonfinite == .skip else {
                throw TrainingError.nonFinite(step: step + 1, quantity: bad.quantity, value: bad.value, rows: train.locations(bad.rows))
            }
            skippedNonFinite += 1
            return [Trainer.skippedNonFiniteMetric: Float(skippedNonFinite), "learning_rate": lr]
        }
        var metrics = sums.mapValues { Float($0 / max(weightTotal, 1)) }
        // With the global normaliser the micro-batch losses add up to the optimizer-batch loss.
        metrics[MetricName.loss] = Float(lossTotal)
        optimizer.learningRate = lr
        optimizer.step(trainable)
        metrics["grad_norm"] = gradNorm
        metrics["learning_rate"] = lr
        return metrics
    }

    /// The global L2 norm of the accumulated gradients (NaN or infinite when any entry is).
    func gradientNorm() -> Float {
        var total = 0.0
        for (_, p) in trainable.trainableParameters() {
            guard let g = p.grad else { continue }
            g.withUnsafeBufferPointer { b in
                var s: Float = 0
                for x in b { s += x * x }
                total += Double(s)
            }
        }
        return Float(total.squareRoot())
    }

    /// Evaluates on the eval split (or the training set when there is none), in order, batch by
    /// batch; metrics are pair-weighted means, named as TRL's `evaluate()` returns them (`eval_…`).
    public func evaluate() -> [String: Float] {
        let data = eval ?? train
        let set = eval == nil ? "train" : "eval"
        if configuration.precomputeRefLogProbs, case .preference = mode { precomputeReference() }
        if configuration.precomputeRefLogProbs, case .unpaired = mode { precomputeKTOReference() }
        let wasTraining = trainable.isTraining
        trainable.eval()
        defer { trainable.train(wasTraining) }
        var sums: [String: Double] = [:]
        var total = 0.0
        // Batch k is evaluated by rank k mod size; the weighted sums are then added over ranks.
        for (k, lo) in stride(from: 0, to: data.count, by: configuration.batchSize).enumerated() where k % communicator.size == communicator.rank {
            let indices = Array(lo ..< min(lo + configuration.batchSize, data.count))
            let b = BatchTensors(data.subset(indices).collate(padID: padID))
            let o = withoutGradients { objectiveOutput(b, indices: indices, set: set, normalizer: .local) }
            let w = Double(indices.count)
            total += w
            for (k, v) in o.metrics { sums[k, default: 0] += Double(v) * w }
        }
        if !communicator.isSingle {
            sums["\u{1}rows"] = total
            sums = communicator.orAbort("evaluation") { try communicator.allReduceSum(sums) }
            total = sums.removeValue(forKey: "\u{1}rows") ?? 0
        }
        var out: [String: Float] = [:]
        for (k, v) in sums { out["eval_" + k] = Float(v / max(total, 1)) }
        return out
    }

    // MARK: Objective inputs

    func objectiveOutput(_ b: BatchTensors, indices: [Int], set: String, normalizer: Normalizer) -> ObjectiveOutput {
        switch mode {
        case .sft:
            let logits = Forward.shiftedLogits(policy, b.ids)
            let batch = TokenBatch(policyLogits: logits, labels: b.labels, mask: b.mask)
            return SFT(reduction: .tokenMean).compute(batch, normalizer: normalizer)
        case .reward(let head, let tokenLevel):
            let rewardLoss = (try? RewardModelKinds.registry.entry(named: configuration.rewardKind))?.tokenKind?.rewardLoss ?? .squaredError
            return RewardStep.output(policy: policy, head: head, batch: b, tokenLevel: tokenLevel, padID: padID, normalizer: normalizer,
                                     rewardLoss: rewardLoss)
        case .segmentReward(let head, let segments):
            return RewardStep.segmentOutput(policy: policy, head: head, batch: b, ends: segments.mask(set: set, indices: indices, responseMask: b.mask),
                                            normalizer: normalizer)
        case .preference(let method):
            return preferenceOutput(method, b, indices: indices, set: set, normalizer: normalizer)
        case .unpaired(let kto):
            return unpairedOutput(kto, b, indices: indices, set: set, normalizer: normalizer)
        case .autoregressiveReward(let loss):
            let batch = TokenBatch(policyLogits: Forward.shiftedLogits(policy, b.ids), labels: b.labels, mask: b.mask, structure: .pairs)
            return loss.compute(batch, normalizer: normalizer)
        case .multifurcationReward(let loss, _):
            let batch = TokenBatch(policyLogits: Forward.shiftedLogits(policy, b.ids), labels: b.labels, mask: b.mask, structure: .pairs,
                                   tokenRewards: b.tokenRewards)
            return loss.compute(batch, normalizer: normalizer)
        case .sharedTrunkReward(let r):
            return r.output(policy: policy, reference: reference, batch: b, padID: padID, normalizer: normalizer)
        }
    }

    // MARK: Run folder

    func appendMetrics(_ metrics: [String: Float]) throws {
        guard writes, let dir = outputDirectory else { return }
        try RunFolder.appendMetrics(metrics, to: dir)
    }
}
