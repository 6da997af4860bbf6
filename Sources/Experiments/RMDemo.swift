// `tokenalign demo rm`: every registered reward-model kind, the reward-model training methods, a
// mean ensemble of BT seeds and the DPO implicit reward, trained on the same CreditBench rows with
// the same budget and scored by the same harness as `tokenalign eval rm` (rb1 strict pair accuracy,
// the robustness transformations, reward–length correlation) and, for token-level kinds, the
// first-error localisation `tokenalign credit` computes. Design: docs/design/rm-eval.md §10.
//
//   task rows ─► tokenizer + base Llama (the CreditBench demo's stages) ─► per kind its rows from the
//   same examples ─► per seed, every kind / method / DPO from the base model ─► held-out scoring
//   ─► results.json, report.md, timing.json
import CreditBench
import Datasets
import Evaluation
import Foundation
import Models
import OnlineRL
import Reports
import Rewards
import Support
import Tokenizers
import Training

public final class RMDemo: StagedDemo {
    public typealias Settings = RMDemoSettings
    public typealias Output = RMDemoResult

    public let context: DemoContext<RMDemoSettings>
    var data = RMDemoDataSummary()
    var timer = StageTimer()

    public init(_ context: DemoContext<RMDemoSettings>) { self.context = context }

    /// What is trained and scored: every registered kind, then every registered training method
    /// (each on the Bradley–Terry kind), then the ensemble, the DPO baseline and the base model's own
    /// likelihood.
    public static var contenders: [String] {
        RewardModelKinds.registry.entries.map(\.card.name) + RewardModelTrainingMethods.registry.entries.map { "bt+" + $0.card.name }
            + [ensembleName, dpoName, baseLikelihoodName]
    }
    public static let ensembleName = "bt-ensemble-mean"
    public static let dpoName = "dpo-implicit"
    public static let baseLikelihoodName = "base-likelihood"

    /// Runs the whole comparison into `folder` (its `data`, `models`, `runs` subfolders replaced) and
    /// writes `settings.json`, `results.json`, `report.md`, `report.html` and `timing.json` there.
    public func run() throws -> RMDemoResult {
        let start = ContinuousClock.now
        let s = settings
        try prepareRunFolder(folder)
        try writeJSON(s, to: url("settings.json"))

        // 1. The base model: the CreditBench demo's tokenizer and SFT stages on this task.
        timer.begin("base model", log: log)
        let credit = try CreditDemo(settings: s.creditSettings, folder: folder, log: log)
        let demonstrations = credit.makeDemonstrations()
        try JSONL.write(demonstrations.map { ["prompt": $0.prompt, "completion": $0.completion] }, to: url("data/sft.jsonl"))
        let tokenizer = try credit.trainTokenizer(demonstrations)
        try tokenizer.save(to: url("models/tokenizer.json"))
        let config = LlamaConfiguration(vocabSize: tokenizer.vocabularySize, hiddenSize: s.hiddenSize, intermediateSize: s.intermediateSize,
                                        numHiddenLayers: s.layers, numAttentionHeads: s.heads, numKeyValueHeads: s.kvHeads,
                                        tieWordEmbeddings: true, maxPositionEmbeddings: 128)
        let scratch = LlamaForCausalLM(config, seed: s.seed &+ 7)
        data.modelParameters = scratch.parameterCount()
        data.tokenizerVocabulary = tokenizer.vocabularySize
        _ = try credit.trainSupervised(label: "sft", model: PretrainedModel(model: scratch, tokenizer: tokenizer, source: url("models/sft")),
                                       examples: try credit.loadSequences(url("data/sft.jsonl"), tokenizer), steps: s.sftSteps, batch: s.sftBatch,
                                       learningRate: s.sftLearningRate, warmup: min(100, s.sftSteps / 10), saveTo: url("models/sft"))
        let sftPath = url("models/sft").path

        // 2. Every kind's rows from the same examples; held-out pairs.
        timer.begin("data", log: log)
        let task = try s.makeTask()
        let held = try makeData(task: task, tokenizer: tokenizer, sftPath: sftPath)
        log(.note("\(data.trainPairs) training examples, \(data.evalPairs) held-out pairs; base-model rollouts \(String(format: "%.3f", data.rolloutAccuracy ?? 0)) correct"))
        let harness = try RMDemoHarness(task: task, tokenizer: tokenizer, held: held, benchFile: url("data/eval.jsonl").path,
                                        maxNewTokens: s.maxNewTokens)

        // 3. Every contender on every seed.
        var rows: [RMDemoRow] = []
        var btFolders: [UInt64: String] = [:]
        for entry in RewardModelKinds.registry.entries where s.runs(entry.card.name) {
            let kind = RMDemoRows.of(entry)
            var row = RMDemoRow(name: entry.card.name, family: "kind", arxiv: entry.card.arxiv, rows: kind.rawValue, tokenLevel: entry.tokenLevel)
            guard data.rows[kind.rawValue] != nil else {
                row.notApplicable = "needs \(entry.card.inputs.joined(separator: "; ")): \(data.missing[kind.rawValue] ?? "no rows")"
                rows.append(row)
                continue
            }
            timer.begin(entry.card.name, log: log)
            do {
                for seed in s.seeds {
                    let out = try train(label: "\(entry.card.name)/seed-\(seed)", seed: seed, sftPath: sftPath) { c in
                        c.rewardKind = entry.card.name
                        c.data = self.url(kind.file).path
                        c.appendEos = kind.appendsEOS
                        if entry.critiqueOutLoud { c.critiqueSftSteps = s.critiqueSftSteps }
                    }
                    if entry.card.name == "bradley-terry" { btFolders[seed] = out }
                    let scorer = try harness.scorer(entry, folder: out, beta: Double(s.beta))
                    row.runs.append(try harness.evaluate(scorer, seed: seed, tokenFolder: entry.tokenLevel ? out : nil))
                }
            } catch let e as DatasetError where row.runs.isEmpty {
                // Rows the kind's loader refuses on this task (e.g. targets that do not line up with
                // the tokens): listed, not silently dropped.
                row.notApplicable = "needs \(entry.card.inputs.joined(separator: "; ")): \(e)"
            }
            rows.append(row)
        }
        for method in RewardModelTrainingMethods.registry.entries where s.runs("bt+" + method.card.name) {
            let name = "bt+" + method.card.name
            var row = RMDemoRow(name: name, family: "method", arxiv: method.card.arxiv, rows: "", tokenLevel: false)
            let configure: (inout TrainingConfiguration) -> Void
            switch method.card.name {
            case "rrm":
                row.rows = RMDemoRows.rrm.rawValue
                configure = { $0.data = self.url(RMDemoRows.rrm.file).path }
            case "ssrm":
                row.rows = "\(RMDemoRows.pairs.rawValue) + \(RMDemoRows.unlabelled.rawValue)"
                configure = { $0.selfTrain = self.url(RMDemoRows.unlabelled.file).path }
            case "co-teaching":
                row.rows = RMDemoRows.pairs.rawValue
                configure = { $0.coFilterRate = s.coFilterRate }
            default:
                row.notApplicable = "registered, but demo rm has no wiring for it (RMDemo.run)"
                rows.append(row)
                continue
            }
            timer.begin(name, log: log)
            for seed in s.seeds {
                let out = try train(label: "\(name)/seed-\(seed)", seed: seed, sftPath: sftPath) { c in
                    c.data = self.url(RMDemoRows.pairs.file).path
                    configure(&c)
                }
                row.runs.append(try harness.evaluate(try RewardHeadScorer(folder: out), seed: seed, tokenFolder: nil))
            }
            rows.append(row)
        }

        // The mean ensemble of every seed's BT model, and the DPO implicit reward against the base model.
        timer.begin("ensemble and dpo", log: log)
        if s.runs(Self.ensembleName) {
            var ensemble = RMDemoRow(name: Self.ensembleName, family: "ensemble", arxiv: [], rows: "BT models of every seed", tokenLevel: false)
            if btFolders.count < s.seeds.count {
                ensemble.notApplicable = "needs the bradley-terry kind (its members are the BT models of the seeds)"
            } else if s.seeds.count >= 2 {
                let members = try s.seeds.map { try RewardHeadScorer(folder: btFolders[$0]!) as any ResponseScorer }
                ensemble.runs.append(try harness.evaluate(EnsembleScorer(members: members, aggregation: try RewardEnsembles.make("mean")),
                                                          seed: nil, tokenFolder: nil))
            } else {
                ensemble.notApplicable = "needs at least two seeds (its members are the BT models of the seeds)"
            }
            rows.append(ensemble)
        }
        var dpo = RMDemoRow(name: Self.dpoName, family: "baseline", arxiv: ["2305.18290", "2403.13787"], rows: RMDemoRows.pairs.rawValue, tokenLevel: false)
        for seed in s.seeds where s.runs(Self.dpoName) {
            let out = try train(label: "\(Self.dpoName)/seed-\(seed)", seed: seed, sftPath: sftPath) { c in
                c.task = .preference
                c.loss = ["sigmoid"]
                c.ref = sftPath
                c.data = self.url(RMDemoRows.pairs.file).path
            }
            let scorer = try ImplicitRewardScorer(policy: out, reference: sftPath, beta: Double(s.beta))
            dpo.runs.append(try harness.evaluate(scorer, seed: seed, tokenFolder: nil))
        }
        if s.runs(Self.dpoName) { rows.append(dpo) }
        // What the base model knows for free: its own log-likelihood of the response, Σ log π_base
        // (RewardBench's reference-free sum), with no training. Where it already ranks the pairs,
        // likelihood-read rewards (GenARM, DPO) start from the answer; the systematic regime's
        // pairs are the ones it gets wrong.
        if s.runs(Self.baseLikelihoodName) {
            var base = RMDemoRow(name: Self.baseLikelihoodName, family: "baseline", arxiv: ["2403.13787"], rows: "none (untrained)", tokenLevel: false)
            base.runs.append(try harness.evaluate(try ImplicitRewardScorer(policy: sftPath, reference: nil, beta: 1, referenceFree: .sum),
                                                  seed: nil, tokenFolder: nil))
            rows.append(base)
        }
        timer.finish()

        let result = RMDemoResult(settings: s, data: data, top1Chance: harness.top1Chance,
                                  rows: RMDemoSummary.summarise(rows, bootstrap: s.bootstrapResamples, seed: s.seed))
        try writeJSON(result, to: url("results.json"))
        do { try RMDemoSummary.report(result).write(to: folder) } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
        try writeJSON(RMDemoTiming(stages: timer.stages, wallSeconds: StageTimer.seconds(since: start)), to: url("timing.json"))
        return result
    }

    /// Trains one reward model (or the DPO policy) from the base model with the shared budget and
    /// saves it under `models/LABEL`; returns that folder.
    func train(label: String, seed: UInt64, sftPath: String, _ configure: (inout TrainingConfiguration) -> Void) throws -> String {
        let s = settings
        var c = TrainingConfiguration.demoRun(.reward, model: sftPath, out: url("runs/\(label)").path, seed: seed, steps: s.rmSteps,
                                              batch: s.rmBatch, learningRate: s.rmLearningRate)
        c.beta = s.beta
        configure(&c)
        do { try FileManager.default.createDirectory(atPath: c.out, withIntermediateDirectories: true) } catch {
            throw DemoError.cannotWrite(path: c.out, reason: "\(error)")
        }
        let run = try TrainingSetup.prepare(c)
        var trainer = run.trainer
        if let peer = run.peer {
            _ = try CoTeaching.run(first: trainer, peer: peer, rate: Double(c.coFilterRate ?? 0))
        } else if let unlabelled = run.unlabelled {
            trainer = try SelfTraining.run(first: trainer, unlabelled: unlabelled, rounds: c.selfTrainRounds ?? SelfTraining.defaultRounds,
                                           threshold: Double(c.confidenceThreshold ?? SelfTraining.defaultConfidenceThreshold))
        } else {
            try trainer.run()
        }
        let out = url("models/\(label)")
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        try trainer.saveModel(p, to: out)
        log(.note("\(label) trained"))
        return out.path
    }
}

/// Wall-clock times of a run (kept out of results.json, which depends only on the settings).
public struct RMDemoTiming: Codable, Sendable {
    public var stages: [StageTime]
    public var wallSeconds: Double
}
