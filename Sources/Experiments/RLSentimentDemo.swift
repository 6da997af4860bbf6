// `tokenalign demo rl-sentiment`: controlled sentiment by online RL on SmolLM2-135M with LoRA. Does
// PPO with the lexicon's exact per-token rewards beat GRPO on the sequence score, and does
// fine-grained RLHF (arXiv 2306.01693: PPO on a token RM and a sequence RM read at clause ends)
// get there with learned dense rewards? Every method trains from the same start with the same
// number of sampled continuations, on several seeds, and is judged by the sentiment demo's
// held-out evaluator (gold reward, lexicon reward, KL to the reference, distinct-n, self-BLEU,
// reference perplexity), paired with GRPO by seed and prompt. Design: docs/design/online-rl.md.
//
//   Shakespeare prompts ─► (fine-grained-rlhf only) k continuations ─► best/worst pairs with lexicon
//   token rewards ─► token RM (squared error on the token rewards) and Bradley–Terry RM, LoRA ─►
//   every method × seed: online RL, LoRA, steps × completions_per_step continuations ─► held-out
//   evaluation along the way (learning curve) and at the end.
import Datasets
import Evaluation
import Foundation
import Models
import Objectives
import OnlineRL
import Tokenizers
import Training

public enum RLSentimentDemo: DemoPipeline {
    public static func run(_ context: DemoContext<RLSentimentDemoSettings>) throws -> RLSentimentDemoResult {
        let (settings, folder, log) = (context.settings, context.folder, context.log)
        let start = ContinuousClock.now
        let s = settings, ss = settings.sentiment
        try prepareRunFolder(folder)
        try writeJSON(s, to: folder.appendingPathComponent("settings.json"))
        var timer = StageTimer()

        // 1. Reward, prompts, the start model (also the reference).
        timer.begin("setup", log: log)
        let modelPath = try SentimentSteps.requireFile(ss.model, "model").path
        let scorer = try SentimentSteps.scorer(ss)
        let (allTrain, testPrompts, available) = try SentimentSteps.prompts(ss)
        let trainPrompts = Array(allTrain.prefix(s.trainPrompts))
        guard trainPrompts.count == s.trainPrompts, allTrain.count >= s.rmPrompts else {
            throw DemoError.emptyStage("the corpus has only \(allTrain.count) training prompts; lower train_prompts or rm_prompts")
        }
        let trainPath = folder.appendingPathComponent("data/train_prompts.jsonl")
        try JSONL.write(trainPrompts.map { ["prompt": $0] }, to: trainPath)
        try JSONL.write(testPrompts.map { ["prompt": $0] }, to: folder.appendingPathComponent("data/test_prompts.jsonl"))
        let base = try PretrainedModel.load(path: modelPath)
        guard let tokenizer = base.tokenizer, tokenizer.eosTokenID != nil else {
            throw DemoError.invalidSetting("\(modelPath): needs a tokenizer with an EOS token")
        }
        let reference = base.model
        reference.eval()
        let sampler = ContinuationSampler(tokenizer: tokenizer, settings: ss)
        log(.note("\(trainPrompts.count) training and \(testPrompts.count) held-out prompts from \(available); model \(reference.parameterCount()) parameters"))

        // 2. The reward models, when a method reads them.
        let inputs = RLSentimentInputs(tokenRM: folder.appendingPathComponent("models/token-rm").path,
                                       sequenceRM: folder.appendingPathComponent("models/sequence-rm").path)
        var rm = RewardModels()
        if s.methods.contains(where: { method($0)?.needsRewardModels == true }) {
            timer.begin("reward models", log: log)
            rm = try trainRewardModels(s, prompts: Array(allTrain.prefix(s.rmPrompts)), modelPath: modelPath, reference: reference,
                                       tokenizer: tokenizer, scorer: scorer, sampler: sampler, inputs: inputs, folder: folder, log: log)
        }

        // 3. The reference on the held-out prompts.
        timer.begin("evaluate reference", log: log)
        let evaluator = SentimentEvaluator(settings: ss, tokenizer: tokenizer, scorer: scorer, reference: reference, prompts: testPrompts,
                                           sampler: sampler)
        evaluator.keepsPerPrompt = true
        let referenceResult = try evaluator.evaluate(method: "reference", beta: nil, policy: reference, trainSeconds: 0,
                                                     saveTo: folder.appendingPathComponent("runs/reference-samples.jsonl"))
        log(.note(String(format: "reference: reward %.3f", referenceResult.reward.value)))

        // 4. Every method × seed from the same start, the same number of sampled continuations.
        var runs: [RLSentimentRun] = []
        for label in s.methods {
            guard let m = method(label) else { continue }
            timer.begin(label, log: log)
            for seed in s.seeds {
                let run = try runMethod(m, seed: seed, settings: s, inputs: inputs, modelPath: modelPath, trainPath: trainPath, tokenizer: tokenizer,
                                        scorer: scorer, evaluator: evaluator, start: referenceResult, folder: folder, log: log)
                log(.note(String(format: "%@ seed %llu: reward %.3f, KL %.4f", label, seed, run.evaluation.reward.value, run.evaluation.kl.value)))
                runs.append(run)
            }
        }
        timer.finish()

        let result = RLSentimentDemoResult(settings: s, modelParameters: reference.parameterCount(), trainPrompts: trainPrompts.count,
                                           testPrompts: testPrompts.count, rewardModelPairs: rm.pairs, rewardModelHeldOutPairs: rm.heldOutPairs,
                                           sequenceRMAccuracy: rm.sequenceAccuracy, tokenRMError: rm.tokenError, reference: referenceResult,
                                           rows: summarise(runs, settings: s, prompts: testPrompts.count), runs: runs, stages: timer.stages,
                                           wallSeconds: StageTimer.seconds(since: start))
        try writeJSON(result, to: folder.appendingPathComponent("results.json"))
        do { try RLSentimentDemoReport.make(result).write(to: folder) } catch {
            throw DemoError.cannotWrite(path: folder.path, reason: "\(error)")
        }
        return result
    }

    /// What the reward-model stage produced.
    struct RewardModels {
        var pairs = 0, heldOutPairs = 0
        var sequenceAccuracy: Double?, tokenError: Double?
    }

    /// The sentiment demo's pairs from the start model's continuations (best vs worst by the gold
    /// score, with the lexicon's token rewards), then a Bradley–Terry RM and a token RM (squared error
    /// on the pairs' token rewards), each LoRA on the start model with a fresh scalar head, saved with
    /// the adapters folded in.
    static func trainRewardModels(_ s: RLSentimentDemoSettings, prompts: [String], modelPath: String, reference: any LanguageModel,
                                  tokenizer: Tokenizer, scorer: SentimentScorer, sampler: ContinuationSampler, inputs: RLSentimentInputs,
                                  folder: URL, log: @escaping (DemoEvent) -> Void) throws -> RewardModels {
        let seed = s.sentiment.seed
        let samples = sampler.sample(reference, prompts: prompts, count: s.rmSamplesPerPrompt,
                                     seed: seed &+ SentimentDemoSettings.trainingSampleSeedOffset) { log(.progress(label: "sample (rm prompts)", done: $0, total: $1)) }
        let rows = SentimentSteps.preferenceRows(prompts: prompts, continuations: samples.map { $0.map(\.text) }, scorer: scorer,
                                                 tokenizer: tokenizer, minimumMargin: s.minimumMargin)
        let (trainRows, evalRows) = SentimentSteps.splitHeldOut(rows)
        guard !trainRows.isEmpty else {
            throw DemoError.emptyStage("only \(rows.count) rm prompts had continuations whose scores differ by ≥ \(s.minimumMargin); raise rm_prompts or rm_samples_per_prompt")
        }
        let pairsPath = folder.appendingPathComponent("data/pairs.jsonl"), evalPath = folder.appendingPathComponent("data/eval_pairs.jsonl")
        try JSONL.write(trainRows, to: pairsPath)
        try JSONL.write(evalRows, to: evalPath)
        let encoder = DatasetEncoderFactory.encoder(tokenizer)
        let pairs = TrainingExamples.pairs(try DatasetLoader.preferences(pairsPath.path, encoder: encoder).examples)
        let evalPairs = TrainingExamples.pairs(try DatasetLoader.preferences(evalPath.path, encoder: encoder).examples)
        log(.note("reward models: \(trainRows.count) training pairs, \(evalRows.count) held-out pairs"))
        var out = RewardModels(pairs: trainRows.count, heldOutPairs: evalRows.count)
        for (label, tokenLevel, dir) in [("sequence-rm", false, inputs.sequenceRM), ("token-rm", true, inputs.tokenRM)] {
            var c = TrainingConfiguration.demoLoRARun(.reward, model: modelPath, data: pairsPath.path,
                                                      out: folder.appendingPathComponent("runs/\(label)").path, seed: seed, steps: s.rmSteps,
                                                      batch: s.rmBatch, learningRate: s.rmLearningRate, loraRank: s.loraRank,
                                                      loraAlpha: s.loraAlpha, evalSteps: s.rmSteps)
            c.tokenLevel = tokenLevel
            c.rewardKind = tokenLevel ? "token" : "bradley-terry"
            let m = try PretrainedModel.load(path: modelPath)
            let head = RewardHead(hiddenSize: m.model.hiddenSize, seed: seed &+ 13)
            let trainer = try Trainer(configuration: c, policy: m.model, mode: .reward(head: head, tokenLevel: tokenLevel), train: pairs,
                                      eval: evalPairs, padID: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0,
                                      outputDirectory: URL(fileURLWithPath: c.out))
            _ = try TrainingCurves.run(trainer, label: label, log: log)
            let heldOut = trainer.evaluate()
            try trainer.saveModel(m, to: URL(fileURLWithPath: dir))  // folds the LoRA adapters in
            if tokenLevel {
                out.tokenError = heldOut["eval_" + MetricName.loss].map(Double.init)
            } else {
                out.sequenceAccuracy = heldOut["eval_" + MetricName.rewardsAccuracies].map(Double.init)
            }
        }
        return out
    }

    /// The online-RL settings of one method on one seed: the budget every method shares (the gold
    /// reward, sampling, steps, LoRA), then the method's changes.
    static func configuration(_ m: RLSentimentMethod, seed: UInt64, settings s: RLSentimentDemoSettings, inputs: RLSentimentInputs,
                              modelPath: String, trainPath: URL) -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = modelPath
        c.prompts = trainPath.path
        c.rewards = [sentimentReward(s)]
        c.maxCompletionLength = s.maxNewTokens
        c.topK = s.topK
        c.numGenerations = s.numGenerations
        c.promptsPerStep = s.completionsPerStep / s.numGenerations
        c.perDeviceTrainBatchSize = 16
        c.learningRate = s.learningRate
        c.maxSteps = s.steps
        c.seed = seed
        c.loraRank = s.loraRank
        c.loraAlpha = s.loraAlpha
        c.loraTargetModules = SentimentDemoSettings.loraTargetModules
        m.configure(&c, s, inputs)
        return c
    }

    /// One method on one seed: train, evaluating on the held-out prompts every `eval_every` steps,
    /// then the final evaluation (also the curve's last point).
    static func runMethod(_ m: RLSentimentMethod, seed: UInt64, settings s: RLSentimentDemoSettings, inputs: RLSentimentInputs, modelPath: String,
                          trainPath: URL, tokenizer: Tokenizer, scorer: SentimentScorer, evaluator: SentimentEvaluator,
                          start: SentimentRunResult, folder: URL, log: @escaping (DemoEvent) -> Void) throws -> RLSentimentRun {
        let runStart = ContinuousClock.now
        let c = configuration(m, seed: seed, settings: s, inputs: inputs, modelPath: modelPath, trainPath: trainPath)
        let (trainer, _) = try OnlineRLSetup.prepare(c, tokenizer: tokenizer)
        func point(_ e: SentimentRunResult, _ completions: Int, _ window: [Double]) -> RLSentimentCurvePoint {
            RLSentimentCurvePoint(completions: completions, reward: e.reward.value, lexiconReward: e.lexiconReward?.value ?? .nan, kl: e.kl.value,
                                  rolloutReward: window.isEmpty ? nil : window.reduce(0, +) / Double(window.count))
        }
        var curve = [point(start, 0, [])]
        var completions = 0, tokens = 0, window: [Double] = []
        var failure: (any Error)?
        try trainer.run { event in
            guard case .step(let step, let total, _) = event else { return .continue }
            for r in trainer.lastRollouts {
                completions += 1
                tokens += r.ids.count
                window.append(scorer.sequenceScore(r.text))
            }
            if step % s.evalEvery == 0 && step < total {
                do { curve.append(point(try evaluator.evaluate(method: m.label, beta: nil, policy: trainer.policy, trainSeconds: 0), completions, window)) } catch {
                    failure = error
                    return .stop
                }
                window = []
            }
            log(.progress(label: "\(m.label) seed \(seed)", done: step, total: total))
            return .continue
        }
        if let failure { throw failure }
        let final = try evaluator.evaluate(method: m.label, beta: nil, policy: trainer.policy, trainSeconds: 0,
                                           saveTo: folder.appendingPathComponent("runs/\(m.label)-seed\(seed)-samples.jsonl"))
        curve.append(point(final, completions, window))
        return RLSentimentRun(method: m.label, seed: seed, curve: curve, evaluation: final, sampledCompletions: completions,
                              sampledTokens: tokens, wallSeconds: StageTimer.seconds(since: runStart))
    }

    /// Rows: each method's measurements pooled over seeds, and its paired differences from GRPO and
    /// from its own baseline (by seed and prompt: the same held-out prompts and sampling seeds).
    static func summarise(_ runs: [RLSentimentRun], settings s: RLSentimentDemoSettings, prompts: Int) -> [RLSentimentRow] {
        let B = s.bootstrapResamples
        func byMethod(_ label: String) -> [UInt64: RLSentimentRun] {
            Dictionary(runs.filter { $0.method == label }.map { ($0.seed, $0) }, uniquingKeysWith: { a, _ in a })
        }
        func perPrompt(_ r: RLSentimentRun, _ key: KeyPath<SentimentRunResult, [[Double]]?>) -> [[Double]] {
            r.evaluation[keyPath: key] ?? []
        }
        /// `key`'s per-prompt mean of `mine` minus `other`'s, paired by seed and prompt, and the seeds
        /// where `mine` ends above / below.
        func paired(_ mine: [RLSentimentRun], _ other: [UInt64: RLSentimentRun], _ key: KeyPath<SentimentRunResult, [[Double]]?>,
                    seed: UInt64) -> (Estimate, Int, Int)? {
            let pairs = mine.compactMap { r in other[r.seed].map { (r, $0) } }
            guard !pairs.isEmpty else { return nil }
            let diff = (0 ..< prompts).map { p in
                pairs.compactMap { a, b -> Double? in
                    let x = perPrompt(a, key), y = perPrompt(b, key)
                    guard p < x.count, p < y.count, !x[p].isEmpty, !y[p].isEmpty else { return nil }
                    return mean(x[p]) - mean(y[p])
                }
            }
            let seedMeans = pairs.map { (mean(perPrompt($0.0, key).joined()), mean(perPrompt($0.1, key).joined())) }
            return (Bootstrap.meanOverGroups(diff, resamples: B, seed: seed), seedMeans.filter { $0.0 > $0.1 }.count,
                    seedMeans.filter { $0.0 < $0.1 }.count)
        }
        func pooled(_ mine: [RLSentimentRun], _ key: KeyPath<SentimentRunResult, [[Double]]?>, seed: UInt64) -> Estimate {
            Bootstrap.meanOverGroups((0 ..< prompts).map { p in mine.flatMap { r in p < perPrompt(r, key).count ? perPrompt(r, key)[p] : [] } },
                                     resamples: B, seed: seed)
        }
        let grpo = byMethod("grpo")
        return s.methods.map { label in
            let mine = runs.filter { $0.method == label }
            let isGRPO = label == "grpo"
            let vsGRPO = isGRPO ? nil : paired(mine, grpo, \.rewardByPrompt, seed: 21)
            let klVsGRPO = isGRPO ? nil : paired(mine, grpo, \.klByPrompt, seed: 22)
            let base = method(label)?.baseline ?? "grpo"
            let vsBase = base == label || base == "grpo" ? nil : paired(mine, byMethod(base), \.rewardByPrompt, seed: 23)
            func average(_ f: (SentimentRunResult) -> Double) -> Double { mean(mine.map { f($0.evaluation) }) }
            return RLSentimentRow(method: label, summary: method(label)?.summary ?? "",
                                  reward: pooled(mine, \.rewardByPrompt, seed: 24), rewardDifference: vsGRPO?.0,
                                  seedsAbove: vsGRPO?.1 ?? 0, seedsBelow: vsGRPO?.2 ?? 0,
                                  kl: pooled(mine, \.klByPrompt, seed: 25), klDifference: klVsGRPO?.0,
                                  baseline: vsBase == nil ? nil : base, baselineDifference: vsBase?.0,
                                  baselineSeedsAbove: vsBase?.1, baselineSeedsBelow: vsBase?.2,
                                  lexiconReward: pooled(mine, \.lexiconByPrompt, seed: 26),
                                  distinct1: average(\.distinct1), distinct2: average(\.distinct2), selfBLEU: average(\.selfBLEU),
                                  referencePerplexity: average(\.referencePerplexity),
                                  sampledTokens: mean(mine.map { Double($0.sampledTokens) }), wallSeconds: mean(mine.map(\.wallSeconds)))
        }
    }

    /// The Markdown report (as `report.md`).
    public static func report(_ r: RLSentimentDemoResult) -> String { RLSentimentDemoReport.make(r).markdown() }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
    static func mean<S: Sequence>(_ v: S) -> Double where S.Element == Double { mean(Array(v)) }
}
