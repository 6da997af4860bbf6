// `tokenalign demo decoding`: what each decoding-time guide and sample searcher buys in reward for
// what it costs in forward passes, on the controlled-sentiment task of `tokenalign demo sentiment`
// with SmolLM2-135M — RAD's own setting (arXiv:2310.09520 §4.1). RAD and GenARM (arXiv:2410.08193)
// claim best-of-N's reward at a fraction of its compute; this demo measures both sides.
//
//   sentiment demo's prompts and best-vs-worst pairs ─► from the same start, one LoRA budget each:
//   RAD's causal RM, ARGS's sequence RM, GenARM's autoregressive RM, a DPO policy ─► on held-out
//   prompts: plain sampling, each guide at several weights, best-of-N scored by the sequence RM and
//   by VADER (an oracle), the DPO policy ─► VADER and lexicon reward, reference perplexity,
//   distinct-n, and base / reward-model forward tokens per generated token from the cost ledgers.
import Decoding
import Evaluation
import Foundation
import Guidance
import Models
import Objectives
import OnlineRL
import Search
import Support
import Tokenizers
import Training

public final class DecodingDemo: StagedDemo {
    public typealias Settings = DecodingDemoSettings
    public typealias Output = DecodingDemoResult

    public let context: DemoContext<DecodingDemoSettings>
    var timer = StageTimer()
    var curves: [Curve] = []
    var runSeconds: [String: Double] = [:]

    public init(_ context: DemoContext<DecodingDemoSettings>) { self.context = context }

    /// Runs the experiment into `folder` (its `data`, `models` and `runs` subfolders are replaced)
    /// and writes `settings.json`, `results.json`, `timings.json`, `report.md` and `report.html`.
    public func run() throws -> DecodingDemoResult {
        let start = ContinuousClock.now
        try prepareRunFolder(folder)
        try writeJSON(settings, to: url("settings.json"))
        var seeds: [DecodingSeedResult] = []
        var promptCounts = (train: 0, test: 0)
        for seed in settings.seeds {
            let (r, counts) = try runSeed(seed)
            seeds.append(r)
            promptCounts = counts
        }
        timer.finish()
        var result = DecodingDemoResult(settings: settings, trainPrompts: promptCounts.train, testPrompts: promptCounts.test, seeds: seeds,
                                        curves: curves)
        result.timings.stages = timer.stages
        result.timings.runSeconds = runSeconds
        result.timings.wallSeconds = StageTimer.seconds(since: start)
        try writeJSON(result, to: url("results.json"))
        try writeJSON(result.timings, to: url("timings.json"))
        do { try DecodingDemoReport.make(result).write(to: folder) } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
        return result
    }

    // MARK: One seed

    func runSeed(_ seed: UInt64) throws -> (DecodingSeedResult, (train: Int, test: Int)) {
        let s = settings.sentiment(seed: seed)
        let tag = "seed\(seed)"
        timer.begin("\(tag): setup and pairs", log: log)
        let modelPath = try SentimentSteps.requireFile(s.model, "model").path
        let scorer = try SentimentSteps.scorer(s)
        let (trainPrompts, testPrompts, _) = try SentimentSteps.prompts(s)
        let base = try PretrainedModel.load(path: modelPath)
        guard let tokenizer = base.tokenizer else { throw DemoError.invalidSetting("\(modelPath) has no tokenizer") }
        let reference = base.model
        reference.eval()
        let sampler = ContinuationSampler(tokenizer: tokenizer, settings: s)
        let trainSamples = sampler.sample(reference, prompts: trainPrompts, count: s.samplesPerPrompt,
                                          seed: seed &+ SentimentDemoSettings.trainingSampleSeedOffset) {
            self.log(.progress(label: "sample (train prompts)", done: $0, total: $1))
        }
        let rows = SentimentSteps.preferenceRows(prompts: trainPrompts, continuations: trainSamples.map { $0.map(\.text) }, scorer: scorer,
                                                 tokenizer: tokenizer, minimumMargin: s.minimumMargin)
        let (trainRows, evalRows) = SentimentSteps.splitHeldOut(rows)
        guard !trainRows.isEmpty else {
            throw DemoError.emptyStage("seed \(seed): only \(rows.count) prompts had continuations whose scores differ by ≥ \(s.minimumMargin); raise train_prompts or samples_per_prompt")
        }
        let data = "data/\(tag)"
        do { try FileManager.default.createDirectory(at: url(data), withIntermediateDirectories: true) } catch {
            throw DemoError.cannotWrite(path: url(data).path, reason: "\(error)")
        }
        try JSONL.write(trainRows, to: url("\(data)/pairs.jsonl"))
        try JSONL.write(evalRows, to: url("\(data)/eval_pairs.jsonl"))
        try JSONL.write(Self.prefixRegressionRows(trainRows), to: url("\(data)/rad_pairs.jsonl"))
        try JSONL.write(Self.prefixRegressionRows(evalRows), to: url("\(data)/eval_rad_pairs.jsonl"))
        log(.note("seed \(seed): \(trainRows.count) training pairs, \(evalRows.count) held-out pairs"))

        // The four trained models, each from the base with the same budget.
        var models: [DecodingTrainedModel] = []
        for spec in Self.trainedModels(settings) {
            timer.begin("\(tag): train \(spec.name)", log: log)
            models.append(try train(spec, modelPath: modelPath, tag: tag, data: data, seed: seed))
        }
        func folder(_ name: String) -> String { url(Self.modelFolder(tag: tag, name: name)).path }

        // Every decoding method on the held-out prompts.
        let decoder = HeldOutDecoding(evaluator: SentimentEvaluator(settings: s, tokenizer: tokenizer, scorer: scorer, reference: reference,
                                                                    prompts: testPrompts, sampler: sampler))
        var runs: [DecodingRun] = []
        func record(_ body: () throws -> DecodingRun) rethrows {
            let t0 = ContinuousClock.now
            let r = try body()
            runSeconds["seed \(seed): \(r.label)"] = StageTimer.seconds(since: t0)
            runs.append(r)
            log(.note(String(format: "%@: reward %.3f, %.1f + %.1f forward tokens per token", r.label, r.reward.value, r.basePerToken, r.rewardPerToken)))
        }
        timer.begin("\(tag): plain sampling", log: log)
        try record { try decoder.sampled(method: "sample", strength: nil, model: reference) }
        let environment = GuideEnvironment(policy: reference, tokenizer: tokenizer)
        let guides: [(name: String, model: String, weights: [Float])] = [
            ("rad", "rad-rm", settings.radWeights), ("args", "args-rm", settings.argsWeights), ("genarm", "genarm-arm", settings.genarmWeights)]
        for (name, model, weights) in guides {
            timer.begin("\(tag): \(name)", log: log)
            let guide = try Guides.make("\(name):\(folder(model))", environment: environment)
            for w in weights {
                try record { try decoder.guided(guide, weight: w, topK: settings.guideTopK) }
            }
        }
        // Best-of-N ranked by the sequence RM (ARGS's), then by VADER itself (the oracle line).
        let rankings: [(name: String, spec: String?)] = [("rm", "rm:\(folder("args-rm"))"), ("vader oracle", nil)]
        for (scorerName, spec) in rankings {
            timer.begin("\(tag): best-of-n (\(scorerName))", log: log)
            let rankBy: any SequenceScorer
            if let spec {
                rankBy = try SequenceScorers.make(spec, context: ScorerContext(tokenizer: tokenizer, vocabularySize: reference.vocabularySize,
                                                                               maxNewTokens: s.maxNewTokens))
            } else {
                rankBy = SentimentSequenceScorer(scorer: scorer)
            }
            for n in settings.bestOf {
                try record { try decoder.bestOfN(n, scorer: rankBy, method: "best-of-n (\(scorerName))", seed: seed) }
            }
        }
        timer.begin("\(tag): dpo", log: log)
        let dpo = try PretrainedModel.load(path: folder("dpo")).model
        dpo.eval()
        try record { try decoder.sampled(method: "dpo", strength: nil, model: dpo) }
        let result = DecodingSeedResult(seed: seed, pairs: trainRows.count, heldOutPairs: evalRows.count, models: models, runs: runs)
        return (result, (trainPrompts.count, testPrompts.count))
    }

    // MARK: Training

    /// One model the demo trains: its name, what it is, and the trainer's settings.
    struct TrainedModelSpec {
        var name: String
        var training: String
        var task: TrainingTask
        var rewardKind: String?
        /// The pairs file in the seed's data folder (and its held-out twin, `eval_` + it).
        var data: String
        var beta: Float
    }

    /// RAD's causal reward model (arXiv:2310.09520 §3: a unidirectional RM regressed, at every
    /// prefix, onto the whole sequence's label — here the `token` head with squared error against
    /// the sequence score repeated on every continuation token, RAD's cumulative loss without its
    /// position weights); ARGS's sequence RM (arXiv:2402.01694: an ordinary Bradley–Terry RM, read
    /// on prefixes at decoding time); GenARM's autoregressive RM (arXiv:2410.08193, β_r·Σ log π_r
    /// with the Bradley–Terry loss); and DPO (arXiv:2305.18290) as the trained-policy line.
    static func trainedModels(_ s: DecodingDemoSettings) -> [TrainedModelSpec] {
        [TrainedModelSpec(name: "rad-rm", training: "token head, squared error to the sequence score at every prefix", task: .reward,
                          rewardKind: "token", data: "rad_pairs.jsonl", beta: s.dpoBeta),
         TrainedModelSpec(name: "args-rm", training: "Bradley–Terry sequence head", task: .reward, rewardKind: "bradley-terry",
                          data: "pairs.jsonl", beta: s.dpoBeta),
         TrainedModelSpec(name: "genarm-arm", training: "autoregressive RM, Bradley–Terry on β_r·Σ log π_r (β_r = \(s.armBeta))", task: .reward,
                          rewardKind: "autoregressive", data: "pairs.jsonl", beta: s.armBeta),
         TrainedModelSpec(name: "dpo", training: "DPO (sigmoid), β = \(s.dpoBeta)", task: .preference, rewardKind: nil, data: "pairs.jsonl",
                          beta: s.dpoBeta)]
    }

    /// Trains one model with LoRA (folded in when saved) from the base and saves it with its
    /// tokenizer under `models/seedS/NAME`, through the same setup `tokenalign reward|dpo` use.
    func train(_ spec: TrainedModelSpec, modelPath: String, tag: String, data: String, seed: UInt64) throws -> DecodingTrainedModel {
        let s = settings.data
        var c = TrainingConfiguration.demoLoRARun(spec.task, model: modelPath, data: url("\(data)/\(spec.data)").path,
                                                  out: url("runs/\(tag)/\(spec.name)").path, seed: seed, steps: s.steps, batch: s.batch,
                                                  learningRate: s.learningRate, loraRank: s.loraRank, loraAlpha: s.loraAlpha,
                                                  evalSteps: max(1, s.steps / 3))
        if let k = spec.rewardKind { c.rewardKind = k }
        c.evalData = url("\(data)/eval_\(spec.data)").path
        c.appendEos = false  // continuations are cut at a length, they do not end (as in the sentiment demo)
        c.maxLength = 256
        c.beta = spec.beta
        let run = try TrainingSetup.prepare(c)
        curves += try TrainingCurves.run(run.trainer, label: "\(tag) \(spec.name)", log: log)
        let accuracy = run.trainer.evaluate()["eval_" + MetricName.rewardsAccuracies].map(Double.init)
        let relative = Self.modelFolder(tag: tag, name: spec.name)
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        try run.trainer.saveModel(p, to: url(relative))
        return DecodingTrainedModel(name: spec.name, training: spec.training, folder: relative, heldOutAccuracy: accuracy)
    }

    /// Where a trained model is saved, relative to the run folder.
    static func modelFolder(tag: String, name: String) -> String { "models/\(tag)/\(name)" }

    /// Pair rows whose token rewards are the row's sequence score on every continuation token:
    /// RAD's target, the final label at every prefix.
    static func prefixRegressionRows(_ rows: [[String: Any]]) -> [[String: Any]] {
        rows.map { row in
            var out = row
            for side in ["chosen", "rejected"] {
                let n = (row["\(side)_token_rewards"] as? [Double])?.count ?? 0
                out["\(side)_token_rewards"] = [Double](repeating: row["\(side)_score"] as? Double ?? 0, count: n)
            }
            return out
        }
    }
}

/// The VADER score (− profanity) as a search scorer: the oracle line of best-of-N. No model, so
/// no forward tokens.
final class SentimentSequenceScorer: SequenceScorer {
    let scorer: SentimentScorer
    var name: String { "vader" }
    init(scorer: SentimentScorer) { self.scorer = scorer }

    func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        answers.map { Float(scorer.sequenceScore($0.text)) }
    }

    func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}
