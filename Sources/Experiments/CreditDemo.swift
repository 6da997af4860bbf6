// `tokenalign demo`: the CreditBench pipeline end to end (docs/design/rewards.md §3–§4;
// docs/design/README.md, "Data flow").
//
//   task data ─► byte-level BPE tokenizer ─► tiny Llama trained from scratch on demonstrations with
//   injected errors (an imperfect start) ─► k samples per prompt, verified ─► preference pairs
//   (chosen correct, rejected wrong, first erroneous token known) ─► from the same start, DPO, TDPO2,
//   TGDPO, SparsePO and critical-token cDPO with equal budgets ─► held-out accuracy, KL to the
//   start, and for every token-credit source the localisation of the first erroneous token.
//
// Every stage writes what it made into the run folder (data as TRL JSONL, the tokenizer, each
// model as a Hugging Face folder, each trainer's config.yaml and metrics.jsonl), so any stage can be
// inspected or re-run with the ordinary commands.
import CreditBench
import Datasets
import Evaluation
import Foundation
import Models
import Objectives
import Support
import Tokenizers
import Training

/// What the demo reports while it runs (the CLI prints it; libraries never print).
public enum DemoEvent: Sendable {
    /// A stage starts.
    case stage(String)
    /// Progress within a stage.
    case progress(label: String, done: Int, total: Int)
    /// A finished stage's headline.
    case note(String)
}

public final class CreditDemo: StagedDemo {
    /// Methods the demo can train: its own wired ones (`dpo` = sigmoid, `tgdpo` guided by the dpo
    /// run, `cdpo` with the positive and negative models it trains) and every self-contained
    /// registered pair objective, by its `--loss` name.
    public static var knownMethods: [String] {
        let wired = ["dpo", "tgdpo", "cdpo"]
        return wired + PreferenceObjectives.selfContainedNames(withTokenRewards: false).filter { !wired.contains($0) }
    }

    public typealias Settings = CreditDemoSettings
    public typealias Output = CreditDemoResult

    public let context: DemoContext<CreditDemoSettings>
    let task: any CreditTask
    var timer = StageTimer()
    var curves: [Curve] = []
    var data = DataSummary()

    public init(_ context: DemoContext<CreditDemoSettings>) throws {
        self.context = context
        task = try context.settings.makeTask()
    }

    /// Runs the whole pipeline into `folder` (created; the demo's own subfolders `data`, `models`,
    /// `runs` are replaced) and writes `results.json`, `report.md` and `report.html` there.
    public func run() throws -> CreditDemoResult {
        let start = ContinuousClock.now
        if let given = settings.sftModel {
            let g = URL(fileURLWithPath: given).standardizedFileURL.path
            for sub in ["data", "models", "runs"] where g.hasPrefix(url(sub).standardizedFileURL.path + "/") || g == url(sub).standardizedFileURL.path {
                throw DemoError.invalidSetting("sft_model \(given) lies inside this run's \(sub)/ folder, which the run replaces; copy it elsewhere or use another --out")
            }
        }
        try prepareRunFolder(folder)
        try writeJSON(settings, to: url("settings.json"))
        let s = settings

        // 1. Task data.
        timer.begin("data", log: log)
        let sftRows = makeDemonstrations()
        data.sftExamples = sftRows.count
        try JSONL.write(sftRows.map { ["prompt": $0.prompt, "completion": $0.completion, "is_correct": $0.correct, "task": task.name] },
                        to: url("data/sft.jsonl"))
        let preferenceExamples = task.examples(s.preferencePrompts, seed: s.seed &+ 101)
        let trainPrompts = Set(sftRows.map(\.prompt)).union(preferenceExamples.map(\.prompt))
        let evalCandidates = task.examples(s.evalPrompts, seed: s.seed &+ 202)
        var seenEval = Set<String>()
        let evalExamples = task.holdsOutByPrompt
            ? evalCandidates.filter { !trainPrompts.contains($0.prompt) && seenEval.insert($0.prompt).inserted }
            : evalCandidates
        data.evalPromptsOverlapping = evalCandidates.count - evalExamples.count
        guard !evalExamples.isEmpty else { throw DemoError.emptyStage("every held-out prompt also occurs in training; raise the task's difficulty") }
        data.preferencePrompts = preferenceExamples.count
        data.evalPrompts = evalExamples.count
        try JSONL.write(evalExamples.map { ["prompt": $0.prompt, "answer": $0.answer, "task": task.name] }, to: url("data/eval_prompts.jsonl"))
        log(.note("\(sftRows.count) demonstrations (\(data.sftInjectedErrors) with \(Self.errorKind(settings))), \(preferenceExamples.count) preference prompts, \(evalExamples.count) held-out prompts"))

        let tokenizer: Tokenizer
        var sftSeconds = 0.0
        if let given = s.sftModel {
            // 2–3. A given SFT model (and its tokenizer), copied into this run.
            timer.begin("sft (given)", log: log)
            let m = try PretrainedModel.load(path: given)
            guard let t = m.tokenizer, t.eosTokenID != nil else {
                throw DemoError.invalidSetting("sft_model \(given): needs a tokenizer with an EOS token")
            }
            tokenizer = t
            try m.save(to: url("models/sft"))
            try tokenizer.save(to: url("models/tokenizer.json"))
            data.modelParameters = m.model.parameterCount()
            log(.note("starting from \(given)"))
        } else {
            // 2. Tokenizer.
            timer.begin("tokenizer", log: log)
            tokenizer = try trainTokenizer(sftRows)
            try tokenizer.save(to: url("models/tokenizer.json"))
            log(.note("byte-level BPE, \(tokenizer.vocabularySize) tokens"))

            // 3. SFT from scratch.
            timer.begin("sft", log: log)
            let config = LlamaConfiguration(vocabSize: tokenizer.vocabularySize, hiddenSize: s.hiddenSize, intermediateSize: s.intermediateSize,
                                            numHiddenLayers: s.layers, numAttentionHeads: s.heads, numKeyValueHeads: s.kvHeads,
                                            tieWordEmbeddings: true, maxPositionEmbeddings: 128)
            let scratch = LlamaForCausalLM(config, seed: s.seed &+ 7)
            data.modelParameters = scratch.parameterCount()
            let sftStart = ContinuousClock.now
            let sft = PretrainedModel(model: scratch, tokenizer: tokenizer, source: url("models/sft"))
            let sftExamples = try loadSequences(url("data/sft.jsonl"), tokenizer)
            _ = try trainSupervised(label: "sft", model: sft, examples: sftExamples, steps: s.sftSteps, batch: s.sftBatch,
                                    learningRate: s.sftLearningRate, warmup: min(100, s.sftSteps / 10), saveTo: url("models/sft"))
            sftSeconds = StageTimer.seconds(since: sftStart)
        }
        data.tokenizerVocabulary = tokenizer.vocabularySize
        let sftPath = url("models/sft").path

        // 4. Sample, verify, pair.
        timer.begin("sampling", log: log)
        let reference = try PretrainedModel.load(path: sftPath)
        let trainSamples = Sampling.sample(model: reference.model, tokenizer: tokenizer, task: task, examples: preferenceExamples,
                                           count: s.samplesPerPrompt, temperature: 1, maxNewTokens: s.maxNewTokens, seed: s.seed &+ 303) {
            self.log(.progress(label: "sample (train prompts)", done: $0, total: $1))
        }
        let evalSamples = Sampling.sample(model: reference.model, tokenizer: tokenizer, task: task, examples: evalExamples,
                                          count: s.samplesPerPrompt, temperature: 1, maxNewTokens: s.maxNewTokens, seed: s.seed &+ 404) {
            self.log(.progress(label: "sample (held-out prompts)", done: $0, total: $1))
        }
        if s.regime == "systematic", let buggy = task as? any SystematicBugTask {
            // How confidently the SFT model learned the bug: its samples on held-out prompts that
            // admit it, compared with the planted answer.
            var planted = 0, total = 0
            for (e, samples) in zip(evalExamples, evalSamples) {
                guard buggy.systematicError(for: e) != nil else { continue }
                data.plantedPrompts += 1
                total += samples.count
                planted += samples.filter { buggy.followsBug($0.text, for: e) }.count
            }
            data.plantedErrorRate = total > 0 ? Double(planted) / Double(total) : nil
            log(.note("systematic bug: \(planted)/\(total) SFT samples on the \(data.plantedPrompts) held-out prompts that admit it are the planted answer"))
        }
        let trainPairs = makePairs(preferenceExamples, trainSamples, seed: s.seed &+ 505)
        let evalPairs = makePairs(evalExamples, evalSamples, seed: s.seed &+ 606)
        guard !trainPairs.isEmpty, !evalPairs.isEmpty else {
            throw DemoError.emptyStage("sampling gave \(trainPairs.count) training and \(evalPairs.count) held-out pairs (needs prompts with both a correct and a wrong sample); \(s.regime == "sampled" ? "lower sft_steps or raise samples_per_prompt" : "raise error_rate or samples_per_prompt")")
        }
        data.trainPairs = trainPairs.count
        data.evalPairs = evalPairs.count
        try JSONL.write(trainPairs.map { $0.row(task: task.name) }, to: url("data/pairs.jsonl"))
        try JSONL.write(evalPairs.map { $0.row(task: task.name) }, to: url("data/eval_pairs.jsonl"))
        try JSONL.write(trainPairs.map { ["prompt": $0.example.prompt, "completion": $0.chosen] }, to: url("data/positive.jsonl"))
        try JSONL.write(trainPairs.map { ["prompt": $0.example.prompt, "completion": $0.rejected] }, to: url("data/negative.jsonl"))
        let sampledAcc = trainSamples.joined().filter(\.isCorrect).count
        log(.note("SFT samples \(sampledAcc)/\(trainSamples.joined().count) correct; \(trainPairs.count) training pairs, \(evalPairs.count) held-out pairs"))
        let pairExamples = try loadPairs(url("data/pairs.jsonl"), tokenizer)
        let evalPairExamples = try loadPairs(url("data/eval_pairs.jsonl"), tokenizer)

        // 5. Auxiliary models: cDPO's positive and negative models, a sequence RM (attention-based
        //    credit) and a token-level RM (trained on the verifier's error spans).
        timer.begin("auxiliary models", log: log)
        _ = try trainSupervised(label: "positive", model: try PretrainedModel.load(path: sftPath),
                                examples: try loadSequences(url("data/positive.jsonl"), tokenizer), steps: s.auxiliarySteps,
                                batch: s.preferenceBatch, learningRate: s.auxiliaryLearningRate, warmup: 0, saveTo: url("models/positive"))
        _ = try trainSupervised(label: "negative", model: try PretrainedModel.load(path: sftPath),
                                examples: try loadSequences(url("data/negative.jsonl"), tokenizer), steps: s.auxiliarySteps,
                                batch: s.preferenceBatch, learningRate: s.auxiliaryLearningRate, warmup: 0, saveTo: url("models/negative"))
        let sequenceRM = try trainRewardModel(label: "sequence-rm", tokenLevel: false, sftPath: sftPath, pairs: pairExamples, eval: evalPairExamples)
        let tokenRM = try trainRewardModel(label: "token-rm", tokenLevel: true, sftPath: sftPath, pairs: pairExamples, eval: evalPairExamples)

        // 6. Preference methods from the same start, equal budgets.
        timer.begin("preference training", log: log)
        var trained: [(name: String, model: any LanguageModel, seconds: Double, heldOut: Double?)] = []
        for method in s.methods {
            let t0 = ContinuousClock.now
            let (model, heldOut) = try trainPreference(method, sftPath: sftPath, pairs: pairExamples, eval: evalPairExamples)
            trained.append((method, model, StageTimer.seconds(since: t0), heldOut))
            log(.note("\(method): held-out rewards/accuracies \(heldOut.map { String(format: "%.3f", $0) } ?? "–")"))
        }

        // 7. Policies on held-out prompts.
        timer.begin("policy evaluation", log: log)
        var policies: [PolicyResult] = []
        let candidates: [(String, any LanguageModel, Double, Double?)] = [("sft", reference.model, sftSeconds, nil)]
            + trained.map { ($0.name, $0.model, $0.seconds, $0.heldOut) }
        for (k, (name, model, secs, heldOut)) in candidates.enumerated() {
            var p = evaluatePolicy(name: name, model: model, reference: reference.model, tokenizer: tokenizer, examples: evalExamples,
                                   seed: s.seed &+ 707 &+ UInt64(k))
            p.trainSeconds = secs
            p.heldOutRewardAccuracy = heldOut
            policies.append(p)
            log(.progress(label: "evaluate policies", done: k + 1, total: candidates.count))
        }

        // 8. Credit localisation on held-out rejected responses.
        timer.begin("credit localisation", log: log)
        let positive = try PretrainedModel.load(path: url("models/positive").path).model
        let negative = try PretrainedModel.load(path: url("models/negative").path).model
        let localised = s.resolvedLocalisationSet == "all-wrong" ? wrongSamples(evalExamples, evalSamples, seed: s.seed &+ 606) : evalPairs
        let credit = CreditScoring(settings: s, task: task, tokenizer: tokenizer, pairs: localised)
        data.rejectedResponses = credit.rows.count
        data.rejectedEndingEarly = credit.firstErrors.enumerated().filter { $0.element == credit.rows[$0.offset].response.count - 1 }.count
        let models = CreditDemoModels(settings: s, task: task, tokenizer: tokenizer, sft: reference.model,
                                      policies: trained.map { ($0.name, $0.model) }, positive: positive, negative: negative,
                                      sequenceRM: sequenceRM, tokenRM: tokenRM)
        let sources = credit.sources(models)
        let creditResults = sources.map { credit.summarise($0) }
        // The same sources on off-policy errors: the canonical answer of every held-out prompt
        // corrupted by the task's error injector (TLDR-style perturbations; docs/design/rewards.md §4.3).
        // On the SFT model's own wrong samples the first error is, by construction, a token the
        // SFT model found unlikely; injected errors test whether a source finds errors it did not make.
        let injectedPairs = evalExamples.enumerated().map { i, e -> Pair in
            let bad = task.injectedError(for: e, seed: s.seed &+ 808, index: i).response
            return Pair(promptIndex: i, example: e, chosen: e.completion, rejected: bad, verdict: task.verify(bad, for: e),
                        correctSamples: 0, samples: 0)
        }
        let injected = CreditScoring(settings: s, task: task, tokenizer: tokenizer, pairs: injectedPairs)
        data.injectedResponses = injected.rows.count
        let injectedSources = injected.sources(models)
        let injectedResults = injectedSources.map { injected.summarise($0) }
        timer.finish()

        let wall = StageTimer.seconds(since: start)
        let result = CreditDemoResult(settings: s, data: data, policies: policies, credit: creditResults,
                                      creditInjected: injectedResults, curves: curves, stages: timer.stages, wallSeconds: wall)
        try writeJSON(result, to: url("results.json"))
        let report = CreditDemoReport.make(result, heatmaps: credit.heatmaps(sources, count: s.heatmaps),
                                           injectedHeatmaps: injected.heatmaps(injectedSources, count: min(s.heatmaps, 2)))
        do { try report.write(to: folder) } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
        return result
    }

    // MARK: Stages

    /// What the wrong demonstrations carry, in words.
    static func errorKind(_ s: CreditDemoSettings) -> String {
        if s.regime == "sampled" { return "errors (sampled regime: every wrong sample is the SFT model's own)" }
        guard s.regime == "systematic", let t = (try? s.makeTask()) as? any SystematicBugTask else { return "injected errors" }
        return "the systematic bug (\(t.bugDescription))"
    }

    struct Demonstration {
        var prompt: String
        var completion: String
        var correct: Bool
    }

    /// Demonstrations: example i of the SFT data set; a seeded coin decides whether its completion
    /// is replaced by an injected error (carry slips, wrong digits, swaps, drops…) or, in the
    /// systematic regime, by the task's systematic bug when the example admits it. In the sampled
    /// regime every demonstration is right.
    func makeDemonstrations() -> [Demonstration] {
        let s = settings
        if s.regime == "sampled" {
            return (0 ..< s.sftExamples).map { i in
                let e = task.example(seed: s.seed, index: i)
                return Demonstration(prompt: e.prompt, completion: e.completion, correct: true)
            }
        }
        var rng = SplitMix64(seed: s.seed &+ 11)
        let buggy = s.regime == "systematic" ? task as? any SystematicBugTask : nil
        return (0 ..< s.sftExamples).map { i in
            let e = task.example(seed: s.seed, index: i)
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            if let buggy {
                if u < s.systematicShare, let bug = buggy.systematicError(for: e) {
                    data.sftInjectedErrors += 1
                    return Demonstration(prompt: e.prompt, completion: bug.response, correct: false)
                }
                return Demonstration(prompt: e.prompt, completion: e.completion, correct: true)
            }
            if u < s.errorRate {
                data.sftInjectedErrors += 1
                return Demonstration(prompt: e.prompt, completion: task.injectedError(for: e, seed: s.seed, index: i).response, correct: false)
            }
            return Demonstration(prompt: e.prompt, completion: e.completion, correct: true)
        }
    }

    /// Byte-level BPE on the demonstrations. Digits are pre-split one per token (`Digits` with
    /// individual digits, as Llama's tokenizer does): a tiny model then learns carries digit by digit
    /// instead of memorising a vocabulary of multi-digit chunks; merges still form for the rest.
    func trainTokenizer(_ rows: [Demonstration]) throws -> Tokenizer {
        let special = ["<|endoftext|>", "<|pad|>"]
        let trainer = BPETrainer(vocabularySize: settings.vocabularySize, specialTokens: special,
                                 preTokenizer: .sequence([.digits(individualDigits: true), .gpt2]))
        let raw = try trainer.train(rows.map { $0.prompt + $0.completion })
        return try Tokenizer(model: raw.model, normalizer: raw.normalizer, preTokenizer: raw.preTokenizer, decoder: raw.decoder,
                             addedTokens: raw.addedTokens, eosToken: special[0], padToken: special[1])
    }

    var encodingOptions: EncodingOptions { EncodingOptions(maxLength: 128) }

    func loadSequences(_ u: URL, _ t: Tokenizer) throws -> TrainingExamples {
        .sequences(try DatasetLoader.sequences(u.path, encoder: DatasetEncoder(tokenizer: t, options: encodingOptions)).examples)
    }

    func loadPairs(_ u: URL, _ t: Tokenizer) throws -> TrainingExamples {
        .pairs(try DatasetLoader.preferences(u.path, encoder: DatasetEncoder(tokenizer: t, options: encodingOptions)).examples)
    }

    func baseConfiguration(_ label: String, task: TrainingTask, steps: Int, batch: Int, learningRate: Float, warmup: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = task
        c.model = url("models/sft").path
        c.data = url("data").path
        c.out = url("runs/\(label)").path
        c.seed = settings.seed
        c.maxSteps = steps
        c.batchSize = batch
        c.learningRate = learningRate
        c.warmupSteps = warmup
        c.schedule = "cosine"
        c.maxLength = 128
        c.beta = settings.beta
        c.alpha = settings.alpha
        return c
    }

    /// Runs a trainer, recording its loss (and held-out metrics) as learning curves.
    func drive(_ trainer: Trainer, label: String) throws {
        curves += try TrainingCurves.run(trainer, label: label, log: log)
    }

    func trainSupervised(label: String, model: PretrainedModel, examples: TrainingExamples, steps: Int, batch: Int,
                         learningRate: Float, warmup: Int, saveTo: URL) throws -> Trainer {
        let c = baseConfiguration(label, task: .sft, steps: steps, batch: batch, learningRate: learningRate, warmup: warmup)
        let pad = model.tokenizer?.padTokenID ?? 0
        let trainer = try Trainer(configuration: c, policy: model.model, mode: .sft, train: examples, padID: pad,
                                  outputDirectory: URL(fileURLWithPath: c.out))
        try drive(trainer, label: label)
        try trainer.saveModel(model, to: saveTo)
        return trainer
    }

    /// A reward model from the SFT start: its backbone and head (kept in memory for scoring).
    public struct RewardModel {
        public var backbone: any LanguageModel
        public var head: RewardHead

        public init(backbone: any LanguageModel, head: RewardHead) {
            self.backbone = backbone
            self.head = head
        }
    }

    func trainRewardModel(label: String, tokenLevel: Bool, sftPath: String, pairs: TrainingExamples, eval: TrainingExamples) throws -> RewardModel {
        let s = settings
        var c = baseConfiguration(label, task: .reward, steps: s.auxiliarySteps, batch: s.preferenceBatch,
                                  learningRate: s.auxiliaryLearningRate, warmup: 0)
        c.tokenLevel = tokenLevel
        c.evalSteps = s.evalEvery
        let m = try PretrainedModel.load(path: sftPath)
        let head = RewardHead(hiddenSize: m.model.hiddenSize, seed: s.seed &+ 13)
        let trainer = try Trainer(configuration: c, policy: m.model, mode: .reward(head: head, tokenLevel: tokenLevel), train: pairs,
                                  eval: eval, padID: m.tokenizer?.padTokenID ?? 0, outputDirectory: URL(fileURLWithPath: c.out))
        try drive(trainer, label: label)
        try trainer.saveModel(m, to: url("models/\(label)"))
        m.model.eval()
        return RewardModel(backbone: m.model, head: head)
    }

    /// Trains one preference method from the SFT start against the SFT reference; returns the model
    /// and its final held-out `rewards/accuracies`.
    func trainPreference(_ method: String, sftPath: String, pairs: TrainingExamples, eval: TrainingExamples) throws -> (any LanguageModel, Double?) {
        let s = settings
        var c = baseConfiguration(method, task: .preference, steps: s.preferenceSteps, batch: s.preferenceBatch,
                                  learningRate: s.preferenceLearningRate, warmup: 0)
        c.evalSteps = s.evalEvery
        var guides: [String] = []
        switch method {
        case "dpo": c.loss = ["sigmoid"]
        case "ipo": c.loss = ["ipo"]
        case "tgdpo":
            c.loss = ["tgdpo"]
            guides = [url("models/dpo").path]  // the DPO run's implicit token reward
        case "cdpo":
            c.loss = ["cdpo-critical"]
            guides = [url("models/positive").path, url("models/negative").path]
        default: c.loss = [method]
        }
        c.guide = guides
        let policy = try PretrainedModel.load(path: sftPath)
        let reference = try PretrainedModel.load(path: sftPath).model
        let guideModels = try guides.map { try PretrainedModel.load(path: $0).model }
        let pm = try PreferenceMethod.make(losses: c.loss, weights: nil, beta: c.beta, alpha: c.alpha, labelSmoothing: 0)
        let trainer = try Trainer(configuration: c, policy: policy.model, reference: reference, guides: guideModels,
                                  mode: .preference(pm), train: pairs, eval: eval, padID: policy.tokenizer?.padTokenID ?? 0,
                                  outputDirectory: URL(fileURLWithPath: c.out))
        try drive(trainer, label: method)
        let final = trainer.evaluate()
        try trainer.saveModel(policy, to: url("models/\(method)"))
        policy.model.eval()
        return (policy.model, final["eval_" + MetricName.rewardsAccuracies].map(Double.init))
    }

    // MARK: Pairs

    struct Pair {
        var promptIndex: Int
        var example: CreditExample
        var chosen: String
        var rejected: String
        var verdict: Verdict
        var correctSamples: Int
        var samples: Int

        func row(task: String) -> [String: Any] {
            var r: [String: Any] = ["prompt": example.prompt, "chosen": chosen, "rejected": rejected, "task": task,
                                    "rejected_first_error_char": verdict.firstError ?? -1]
            r["rejected_error_spans"] = verdict.errorSpans.map { ["start": $0.start, "end": $0.end, "severity": $0.severity.rawValue] }
            return r
        }
    }

    /// One pair per prompt that has both a correct and a wrong sample: a random correct sample is
    /// chosen, a random wrong one rejected (on-policy pairs; prompts the SFT model always or never
    /// solves give no pair, as in on-policy DPO data pipelines).
    func makePairs(_ examples: [CreditExample], _ samples: [[SampledResponse]], seed: UInt64) -> [Pair] {
        var rng = SplitMix64(seed: seed)
        var out: [Pair] = []
        for (i, (e, ss)) in zip(examples, samples).enumerated() {
            let good = Array(Set(ss.filter(\.isCorrect).map(\.text))).sorted()
            let bad = Array(Set(ss.filter { !$0.isCorrect }.map(\.text))).sorted()
            guard !good.isEmpty, !bad.isEmpty else { continue }
            let c = good[Int(rng.next() % UInt64(good.count))], r = bad[Int(rng.next() % UInt64(bad.count))]
            out.append(Pair(promptIndex: i, example: e, chosen: c, rejected: r, verdict: task.verify(r, for: e),
                            correctSamples: ss.filter(\.isCorrect).count, samples: ss.count))
        }
        return out
    }

    /// One wrong sample per held-out prompt that has any (chosen one seeded among the distinct wrong
    /// texts), beside the canonical answer: the `all-wrong` localisation set. Unlike `makePairs` it
    /// keeps prompts whose samples were all wrong — where a model that learned a bug makes it with
    /// high probability — which the paired set leaves out (docs/design/rewards.md §3.6).
    func wrongSamples(_ examples: [CreditExample], _ samples: [[SampledResponse]], seed: UInt64) -> [Pair] {
        var rng = SplitMix64(seed: seed)
        var out: [Pair] = []
        for (i, (e, ss)) in zip(examples, samples).enumerated() {
            let bad = Array(Set(ss.filter { !$0.isCorrect }.map(\.text))).sorted()
            guard !bad.isEmpty else { continue }
            let r = bad[Int(rng.next() % UInt64(bad.count))]
            out.append(Pair(promptIndex: i, example: e, chosen: e.completion, rejected: r, verdict: task.verify(r, for: e),
                            correctSamples: ss.filter(\.isCorrect).count, samples: ss.count))
        }
        return out
    }

    // MARK: Policy evaluation

    func evaluatePolicy(name: String, model: any LanguageModel, reference: any LanguageModel, tokenizer: Tokenizer,
                        examples: [CreditExample], seed: UInt64) -> PolicyResult {
        let s = settings
        let evaluator = HeldOutEvaluator(task: task, tokenizer: tokenizer, examples: examples, start: reference,
                                         maxNewTokens: s.maxNewTokens, samples: s.evalSamples)
        let (g, a, sampled) = evaluator.accuracies(model, seed: seed)
        let groups = evaluator.kl(model, samples: sampled)
        model.eval()
        let B = s.bootstrapResamples
        return PolicyResult(name: name, greedyAccuracy: Bootstrap.meanOverGroups(g.map { [$0] }, resamples: B, seed: seed),
                            sampledAccuracy: Bootstrap.meanOverGroups(a, resamples: B, seed: seed &+ 2),
                            klToReference: Bootstrap.meanOverGroups(groups, resamples: B, seed: seed &+ 3),
                            heldOutRewardAccuracy: nil, trainSeconds: 0)
    }

}

/// Writing JSON Lines (one object per line, keys sorted so files diff cleanly).
enum JSONL {
    static func write(_ rows: [[String: Any]], to u: URL) throws {
        do {
            // A NaN or infinity is reported with the row and field (JSONLWriteError), not as
            // Foundation's "Invalid number value in JSON write".
            try JSONLWriter.encode(rows, file: u.path).write(to: u, options: .atomic)
        } catch {
            throw DemoError.cannotWrite(path: u.path, reason: "\(error)")
        }
    }
}
