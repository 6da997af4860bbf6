// `tokenalign demo decoding --part creditbench`: accuracy against forward tokens of every
// sequence-level searcher on a CreditBench task (issue 14; docs/design/search.md §6).
//
//   per seed: demonstrations with injected errors ─► BPE tokenizer ─► tiny Llama SFT from scratch
//   (the stages of `tokenalign demo`) ─► the SFT model's verified samples ─► pairs ─► outcome RM
//   (Bradley–Terry); verified rollouts of separate prompts ─► TVM value targets ─► value model (the
//   PRM), and the verifier's prefix labels of the same rollouts ─► multifurcation RM (Saffron);
//   the three RMs with one budget ─► on disjoint held-out prompts, every method of
//   `CreditDecodingMethods` at every budget level through `SearchRun` (the `tokenalign search`
//   path), correctness judged by the verifier, base and RM forward tokens from the cost ledgers.
import CreditBench
import Datasets
import Evaluation
import Foundation
import Models
import OnlineRL
import Search
import Support
import Tokenizers
import Training

public final class CreditDecodingDemo: StagedDemo {
    public typealias Settings = DecodingDemoSettings
    public typealias Output = CreditDecodingResult

    public let context: DemoContext<DecodingDemoSettings>
    var timer = StageTimer()
    var runSeconds: [String: Double] = [:]

    public init(_ context: DemoContext<DecodingDemoSettings>) { self.context = context }

    /// Runs the CreditBench part into `folder` (one subfolder `seedS` per seed, each with its `data`,
    /// `models` and `runs`) and writes `settings.json`, `results.json`, `timings.json`, `report.md`,
    /// `report.html` and the figures.
    public func run() throws -> CreditDecodingResult {
        let start = ContinuousClock.now
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DemoError.cannotWrite(path: folder.path, reason: "\(error)")
        }
        try writeJSON(settings, to: folder.appendingPathComponent("settings.json"))
        var seeds: [CreditDecodingSeed] = [], runs: [CreditDecodingRun] = [], parameters = 0
        for seed in settings.seeds {
            let (s, r, p) = try runSeed(seed)
            seeds.append(s)
            runs += r
            parameters = p
        }
        timer.finish()
        let result = CreditDecodingResult(settings: settings, modelParameters: parameters, seeds: seeds, runs: runs)
        var timings = DecodingDemoTimings()
        timings.stages = timer.stages
        timings.runSeconds = runSeconds
        timings.wallSeconds = StageTimer.seconds(since: start)
        try writeJSON(result, to: folder.appendingPathComponent("results.json"))
        try writeJSON(timings, to: folder.appendingPathComponent("timings.json"))
        do { try CreditDecodingReport.make(result, wallSeconds: timings.wallSeconds).write(to: folder) } catch {
            throw DemoError.cannotWrite(path: folder.path, reason: "\(error)")
        }
        return result
    }

    // MARK: One seed

    func runSeed(_ seed: UInt64) throws -> (CreditDecodingSeed, [CreditDecodingRun], Int) {
        let s = settings.creditbench
        let tag = "seed\(seed)"
        let seedFolder = folder.appendingPathComponent(tag)
        func url(_ p: String) -> URL { seedFolder.appendingPathComponent(p) }
        try prepareRunFolder(seedFolder)
        // The stages `tokenalign demo` runs (demonstrations, tokenizer, SFT, verified samples, pairs).
        let credit = try CreditDemo(settings: s.creditSettings(seed: seed), folder: seedFolder, log: log)
        let task = credit.task

        timer.begin("\(tag): data", log: log)
        let demonstrations = credit.makeDemonstrations()
        try JSONL.write(demonstrations.map { ["prompt": $0.prompt, "completion": $0.completion, "is_correct": $0.correct, "task": task.name] },
                        to: url("data/sft.jsonl"))
        let split = Self.split(task: task, seed: seed, training: Set(demonstrations.map(\.prompt)), s)
        guard split.test.count == s.testPrompts, split.value.count == s.valuePrompts, split.preference.count == s.preferencePrompts else {
            throw DemoError.emptyStage("\(task.name) has too few distinct problems outside the SFT prompts for \(s.preferencePrompts) preference, \(s.valuePrompts) value and \(s.testPrompts) held-out prompts (got \(split.preference.count), \(split.value.count), \(split.test.count)); lower them")
        }
        // Each prompt row names its task's knobs, so the verifier of the value targets and of the
        // search judges the problem the prompt poses (`add`: a reversed sum).
        let knobs = try Self.promptKnobs(credit.settings, task: task)
        func promptRows(_ examples: [CreditExample]) -> [[String: Any]] { examples.map { $0.promptRow(knobs: knobs) } }
        try JSONL.write(promptRows(split.value), to: url("data/value_prompts.jsonl"))
        try JSONL.write(promptRows(split.test), to: url("data/test_prompts.jsonl"))

        timer.begin("\(tag): tokenizer and sft", log: log)
        let tokenizer = try credit.trainTokenizer(demonstrations)
        try tokenizer.save(to: url("models/tokenizer.json"))
        let c = credit.settings
        let config = LlamaConfiguration(vocabSize: tokenizer.vocabularySize, hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize,
                                        numHiddenLayers: c.layers, numAttentionHeads: c.heads, numKeyValueHeads: c.kvHeads,
                                        tieWordEmbeddings: true, maxPositionEmbeddings: 128)
        let scratch = LlamaForCausalLM(config, seed: seed &+ 7)
        let sftPath = url("models/sft").path
        _ = try credit.trainSupervised(label: "sft", model: PretrainedModel(model: scratch, tokenizer: tokenizer, source: url("models/sft")),
                                       examples: try credit.loadSequences(url("data/sft.jsonl"), tokenizer), steps: c.sftSteps,
                                       batch: c.sftBatch, learningRate: c.sftLearningRate, warmup: min(100, c.sftSteps / 10), saveTo: url("models/sft"))
        let sft = try PretrainedModel.load(path: sftPath)
        sft.model.eval()

        timer.begin("\(tag): outcome RM pairs", log: log)
        let samples = Sampling.sample(model: sft.model, tokenizer: tokenizer, task: task, examples: split.preference, count: s.pairSamples,
                                      temperature: 1, maxNewTokens: s.maxNewTokens, seed: seed &+ 303) {
            self.log(.progress(label: "sample (preference prompts)", done: $0, total: $1))
        }
        // The ORM trains with the EOS appended (`trainRewardModel`), so a side the model ended at once
        // (an empty answer) still has a token to read the head at: every pair is kept.
        let pairs = credit.makePairs(split.preference, samples, seed: seed &+ 505)
        guard !pairs.isEmpty else {
            throw DemoError.emptyStage("seed \(seed): no preference prompt had both a correct and a wrong SFT sample; raise cb_preference_prompts or cb_pair_samples")
        }
        try JSONL.write(pairs.map { $0.row(task: task.name) }, to: url("data/pairs.jsonl"))
        let sampleAccuracy = Double(samples.joined().filter(\.isCorrect).count) / Double(max(1, samples.joined().count))

        timer.begin("\(tag): value and MRM targets", log: log)
        let rendering = PromptRendering(addSpecialTokens: false)
        let valuePrompts = try RLPrompts.load(url("data/value_prompts.jsonl").path, tokenizer: tokenizer, rendering: rendering)
        let rollout = SearchPolicy.sampling(sft.model, tokenizer: tokenizer, maxNewTokens: s.maxNewTokens, temperature: s.temperature,
                                            stop: ["\n"], seed: seed &+ 707)
        var valueRows: [[String: Any]] = [], mrmRows: [[String: Any]] = [], rolloutsCorrect = 0
        for (i, p) in valuePrompts.enumerated() {
            // The same seed gives the same rollouts, so both target sets describe one sample of answers.
            let tvm = try TokenTargetRows.rows(p, index: i, policy: rollout, rollouts: s.rollouts, seed: seed &+ 707, teacher: nil)
            let mrm = try TokenTargetRows.rows(p, index: i, policy: rollout, rollouts: s.rollouts, seed: seed &+ 707, teacher: VerifierScorer(task: nil))
            valueRows += tvm.rows
            mrmRows += mrm.rows
            rolloutsCorrect += tvm.correct
            log(.progress(label: "rollouts (value prompts)", done: i + 1, total: valuePrompts.count))
        }
        guard !valueRows.isEmpty else { throw DemoError.emptyStage("seed \(seed): every rollout was empty; raise cb_max_new_tokens") }
        try JSONL.write(valueRows, to: url("data/value_targets.jsonl"))
        try JSONL.write(mrmRows, to: url("data/mrm_targets.jsonl"))

        var models: [CreditDecodingModel] = []
        for spec in Self.rewardModels {
            timer.begin("\(tag): train \(spec.name)", log: log)
            models.append(try trainRewardModel(spec, sftPath: sftPath, seedFolder: seedFolder, seed: seed))
        }

        // Every method at every budget on the held-out prompts.
        let testPrompts = try RLPrompts.load(url("data/test_prompts.jsonl").path, tokenizer: tokenizer, rendering: rendering)
        let policy = SearchPolicy.sampling(sft.model, tokenizer: tokenizer, maxNewTokens: s.maxNewTokens, temperature: s.temperature,
                                           stop: ["\n"], seed: seed)
        let context = ScorerContext(tokenizer: tokenizer, vocabularySize: sft.model.vocabularySize, maxNewTokens: s.maxNewTokens)
        var scorers: [CreditDecodingMethod.Scorer: any SequenceScorer] = [.verifier: VerifierScorer(task: nil)]
        for (kind, spec) in [(CreditDecodingMethod.Scorer.orm, "rm"), (.prm, "value"), (.mrm, "mrm")] {
            let model = models.first { $0.scorer == kind.rawValue }?.folder ?? ""
            scorers[kind] = try SequenceScorers.make("\(spec):\(url(model).path)", context: context)
        }
        var runs: [CreditDecodingRun] = []
        for label in s.methods {
            guard let m = CreditDecodingMethods.method(label) else { continue }
            timer.begin("\(tag): \(label)", log: log)
            let searcher = try Searchers.registry.entry(named: m.searcher)
            for (level, value) in CreditDecodingMethods.budgets(m, s).enumerated() {
                let searchSettings = try CreditDecodingMethods.searchSettings(m, value: value, s, seed: seed)
                let estimateN = m.pool ? Self.estimateN(value) : []
                let t0 = ContinuousClock.now
                let rows = try SearchRun.run(searcher.make(searchSettings), prompts: testPrompts, policy: policy, scorer: m.scorer.flatMap { scorers[$0] },
                                             estimateN: estimateN) { self.log(.progress(label: "\(label) \(value)", done: $0, total: $1)) }
                runSeconds["seed \(seed): \(label) \(value)"] = StageTimer.seconds(since: t0)
                let run = CreditDecodingRun(method: label, budget: value, level: m.budget == .none ? nil : level, seed: seed, rows: rows, estimateN: estimateN)
                log(.note(String(format: "%@ @ %d: accuracy %.3f, %.0f base + %.0f RM tokens per prompt", label, value, run.accuracy,
                                 run.meanPolicyTokens, run.meanScorerTokens)))
                runs.append(run)
            }
        }
        let summary = CreditDecodingSeed(seed: seed, demonstrations: demonstrations.count, injectedErrors: demonstrations.filter { !$0.correct }.count,
                                         preferencePrompts: split.preference.count, pairs: pairs.count, pairSampleAccuracy: sampleAccuracy,
                                         valuePrompts: split.value.count, valueRows: valueRows.count,
                                         rolloutAccuracy: Double(rolloutsCorrect) / Double(max(1, s.rollouts * valuePrompts.count)),
                                         testPrompts: testPrompts.count, models: models)
        return (summary, runs, scratch.parameterCount())
    }

    /// The knobs of the task `settings` make, as the prompt rows carry them (`task_knobs`).
    static func promptKnobs(_ settings: CreditDemoSettings, task: any CreditTask) throws -> TaskKnobs {
        guard let name = CreditTaskName(rawValue: task.name) else { throw CreditBenchError.unknownTask(task.name) }
        return settings.knobs(for: name)
    }

    /// n of the unbiased best-of-n estimate from a pool of N: the powers of two below N, and N.
    static func estimateN(_ n: Int) -> [Int] {
        var out: [Int] = [], k = 1
        while k < n { out.append(k); k *= 2 }
        return out + [n]
    }

    /// Preference, value and held-out problems, pairwise disjoint and disjoint from the SFT prompts
    /// (each seeded; a problem seen once is skipped).
    static func split(task: any CreditTask, seed: UInt64, training: Set<String>, _ s: CreditDecodingSettings)
        -> (preference: [CreditExample], value: [CreditExample], test: [CreditExample]) {
        var seen = training
        func draw(_ count: Int, _ stream: UInt64) -> [CreditExample] {
            var out: [CreditExample] = [], index = 0
            while out.count < count && index < count * 20 + 100 {
                let e = task.example(seed: seed &+ stream, index: index)
                index += 1
                if !task.holdsOutByPrompt || seen.insert(e.prompt).inserted { out.append(e) }
            }
            return out
        }
        let test = draw(s.testPrompts, 202)
        return (draw(s.preferencePrompts, 101), draw(s.valuePrompts, 707), test)
    }

    // MARK: Reward models

    /// One reward model of the part: its name, the scorer kind that reads it, its reward-model kind
    /// and its training rows.
    struct RewardModelSpec {
        var name: String
        var scorer: CreditDecodingMethod.Scorer
        var kind: String
        var data: String
        var training: String
    }

    /// The outcome RM (Bradley–Terry on verified pairs, arXiv 2203.02155); TVM (arXiv 2407.12863:
    /// per-token BCE of σ(head) against the fraction of correct rollouts sharing the prefix), the
    /// PRM of beam search and MCTS; and Saffron's multifurcation RM (arXiv 2506.06444: the LM's
    /// outputs are the rewards of every next token, squared error on the observed tokens), taught
    /// the verifier's prefix labels (1 while the prefix can still be completed correctly).
    static let rewardModels = [
        RewardModelSpec(name: "orm", scorer: .orm, kind: "bradley-terry", data: "pairs.jsonl",
                        training: "Bradley–Terry on (correct, wrong) SFT samples"),
        RewardModelSpec(name: "tvm", scorer: .prm, kind: "value", data: "value_targets.jsonl",
                        training: "TVM: per-token BCE on the fraction of correct rollouts sharing each prefix"),
        RewardModelSpec(name: "mrm", scorer: .mrm, kind: "multifurcation", data: "mrm_targets.jsonl",
                        training: "multifurcation RM: squared error on the verifier's prefix labels of the same rollouts"),
    ]

    /// Trains one reward model from the SFT model through the setup `tokenalign reward` uses, and
    /// saves it with its tokenizer under `models/NAME`.
    func trainRewardModel(_ spec: RewardModelSpec, sftPath: String, seedFolder: URL, seed: UInt64) throws -> CreditDecodingModel {
        let s = settings.creditbench
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = spec.kind
        c.model = sftPath
        c.data = seedFolder.appendingPathComponent("data/\(spec.data)").path
        c.out = seedFolder.appendingPathComponent("runs/\(spec.name)").path
        // Each kind trains as `tokenalign reward` and `demo rm` train it: the ORM on pairs with the
        // EOS appended (the folder records it, and the `rm:` scorer appends the EOS to every answer
        // before reading the head, so it reads where training read); the TVM and the MRM without,
        // since their token targets cover the completion's own tokens only (`TokenTargetRows`).
        c.appendEos = RMDemoRows.of(try RewardModelKinds.registry.entry(named: spec.kind)).appendsEOS
        c.maxLength = 128
        c.seed = seed
        c.maxSteps = s.rmSteps
        c.batchSize = s.rmBatch
        c.learningRate = s.rmLearningRate
        c.schedule = "constant"
        let run = try TrainingSetup.prepare(c)
        let losses = try TrainingCurves.run(run.trainer, label: "seed\(seed) \(spec.name)", log: log).first { $0.metric == "loss" }?.values ?? []
        // The mean over the last tenth of the steps: one batch's loss is noisy.
        let tail = losses.suffix(max(1, losses.count / 10)).filter(\.isFinite)
        let lastLoss = tail.isEmpty ? nil : tail.reduce(0, +) / Double(tail.count)
        let relative = "models/\(spec.name)"
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        try run.trainer.saveModel(p, to: seedFolder.appendingPathComponent(relative))
        return CreditDecodingModel(name: spec.name, scorer: spec.scorer.rawValue, training: spec.training, folder: relative, finalLoss: lastLoss)
    }
}
