// `tokenalign demo rl`: does token-level credit beat GRPO in online RL with a verifiable reward?
// The CreditBench demo's SFT model is the start and its held-out prompts the test set; its DPO
// policy, token RM and sequence RM are the auxiliary models of the methods that read one. Every
// method trains from that start with the same number of sampled completions, on several seeds,
// on fresh problems of the same task, and is compared with GRPO pairwise (same seed, same held-out
// prompts). Design and results: docs/design/online-rl.md, docs/results.md.
import CreditBench
import Evaluation
import Foundation
import Support
import Models
import OnlineRL
import Tokenizers

public enum RLDemo: DemoPipeline {
    public static func run(_ context: DemoContext<RLDemoSettings>) throws -> RLDemoResult {
        let (settings, folder, log) = (context.settings, context.folder, context.log)
        let start = ContinuousClock.now
        try prepareRunFolder(folder)
        try writeJSON(settings, to: folder.appendingPathComponent("settings.json"))
        var timer = StageTimer()

        // 1. The start: a finished CreditBench run, or one made now.
        let creditRun: URL
        if let given = settings.creditRun {
            creditRun = URL(fileURLWithPath: given)
        } else {
            timer.begin("creditbench demo", log: log)
            var cs = settings.creditPreset == "quick" ? CreditDemoSettings.quick : CreditDemoSettings()
            cs.methods = ["dpo"]
            creditRun = folder.appendingPathComponent("credit")
            _ = try CreditDemo.run(cs, folder: creditRun) { event in if case .stage(let s) = event { log(.note("creditbench demo: \(s)")) } }
        }
        let creditSettings = try readJSON(CreditDemoSettings.self, from: creditRun.appendingPathComponent("settings.json"))
        let inputs = RLDemoInputs(creditRun: creditRun, auxiliary: folder.appendingPathComponent("auxiliary"))
        for label in settings.methods {
            for need in method(label)?.needs ?? [] where !FileManager.default.fileExists(atPath: inputs.model(need)) {
                throw DemoError.invalidSetting("credit_run \(creditRun.path) has no models/\(need), which \(label) reads; run `tokenalign demo` with dpo among its methods")
            }
        }
        guard let taskName = CreditTaskName(rawValue: creditSettings.task) else { throw CreditBenchError.unknownTask(creditSettings.task) }
        let knobs = creditSettings.knobs(for: taskName)
        let task = try taskName.task(knobs)
        let sftPath = inputs.model("sft")
        let sft = try PretrainedModel.load(path: sftPath)
        guard let tokenizer = sft.tokenizer, tokenizer.eosTokenID != nil else {
            throw DemoError.invalidSetting("\(sftPath): needs a tokenizer with an EOS token")
        }
        sft.model.eval()

        // 2. Prompts: the credit run's held-out prompts, and fresh training problems (none held out).
        timer.begin("data", log: log)
        let heldOut = try heldOutExamples(creditRun.appendingPathComponent("data/eval_prompts.jsonl"), task: task)
        let heldOutSet = Set(heldOut.map(\.prompt))
        var seen = Set<String>(), train: [CreditExample] = []
        var index = 0
        while train.count < settings.trainPrompts && index < settings.trainPrompts * 20 {
            let e = task.example(seed: creditSettings.seed &+ 0x7A1, index: index)
            index += 1
            if !heldOutSet.contains(e.prompt) && seen.insert(e.prompt).inserted { train.append(e) }
        }
        guard train.count == settings.trainPrompts else {
            throw DemoError.emptyStage("the task has only \(train.count) distinct problems outside the held-out set; lower train_prompts")
        }
        func rows(_ examples: [CreditExample]) -> [[String: Any]] {
            examples.map { e in
                var r: [String: Any] = ["prompt": e.prompt, "answer": e.answer, "task": task.name]
                if !knobs.columns.isEmpty { r["task_knobs"] = knobs.columns }
                return r
            }
        }
        let trainPath = folder.appendingPathComponent("data/train_prompts.jsonl")
        try JSONL.write(rows(train), to: trainPath)
        try JSONL.write(rows(heldOut), to: folder.appendingPathComponent("data/eval_prompts.jsonl"))
        log(.note("\(creditSettings.task): \(train.count) training problems, \(heldOut.count) held-out prompts from \(creditRun.path)"))

        let evaluator = HeldOutEvaluator(task: task, tokenizer: tokenizer, examples: heldOut, start: sft.model,
                                        maxNewTokens: creditSettings.maxNewTokens, samples: settings.evalSamples)
        timer.begin("start", log: log)
        let startEval = evaluator.accuracies(sft.model, seed: 0x57A7)
        log(.note(String(format: "start: greedy %.3f, sampled %.3f on the held-out prompts", mean(startEval.greedy), mean(startEval.sampled.joined()))))

        // The models some methods train themselves from the credit run's pairs (reused when finished).
        let auxiliary = try RLDemoAuxiliary.prepare(RLDemoAuxiliary.needed(by: settings.methods), settings: settings, inputs: inputs, task: task,
                                                    seed: creditSettings.seed, sftPath: sftPath, runs: folder.appendingPathComponent("runs"),
                                                    timer: &timer, log: log)

        // 3. Every method × seed from the same start, the same number of sampled completions.
        var runs: [RLDemoRun] = []
        for label in settings.methods {
            guard let m = method(label) else { continue }
            timer.begin(label, log: log)
            for seed in settings.seeds {
                let run = try runMethod(m, seed: seed, settings: settings, inputs: inputs, sftPath: sftPath, trainPath: trainPath,
                                        creditSettings: creditSettings, task: task, train: train, tokenizer: tokenizer,
                                        evaluator: evaluator, startEval: (startEval.greedy, startEval.sampled), log: log)
                runs.append(run)
            }
        }
        timer.finish()

        let result = RLDemoResult(settings: settings, creditRun: creditRun.path, creditSettings: creditSettings,
                                  modelParameters: sft.model.parameterCount(), startGreedy: startEval.greedy, startSampled: startEval.sampled,
                                  trainPrompts: train.count, heldOutPrompts: heldOut.count,
                                  rows: summarise(runs, settings: settings, prompts: heldOut.count), runs: runs,
                                  stages: timer.stages, wallSeconds: StageTimer.seconds(since: start), auxiliary: auxiliary)
        try write(result, to: folder)
        return result
    }

    /// The online-RL settings of one method on one seed: the budget every method shares (the
    /// verifier's reward, the sampling and step counts, the learning rate), then the method's changes.
    static func configuration(_ m: RLDemoMethod, seed: UInt64, settings: RLDemoSettings, inputs: RLDemoInputs, sftPath: String,
                              trainPath: URL, maxCompletionLength: Int) -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = sftPath
        c.prompts = trainPath.path
        c.rewards = ["creditbench"]
        c.maxCompletionLength = maxCompletionLength
        c.numGenerations = settings.numGenerations
        c.promptsPerStep = settings.completionsPerStep / settings.numGenerations
        c.perDeviceTrainBatchSize = 32
        c.learningRate = settings.learningRate
        c.maxSteps = settings.steps
        c.seed = seed
        m.configure(&c, settings, inputs)
        return c
    }

    /// One method on one seed: train, evaluating along the way, then the final measurements.
    static func runMethod(_ m: RLDemoMethod, seed: UInt64, settings: RLDemoSettings, inputs: RLDemoInputs, sftPath: String, trainPath: URL,
                          creditSettings: CreditDemoSettings, task: any CreditTask, train: [CreditExample], tokenizer: Tokenizer,
                          evaluator: HeldOutEvaluator, startEval: (greedy: [Double], sampled: [[Double]]),
                          log: @escaping (DemoEvent) -> Void) throws -> RLDemoRun {
        let runStart = ContinuousClock.now
        let c = configuration(m, seed: seed, settings: settings, inputs: inputs, sftPath: sftPath, trainPath: trainPath,
                              maxCompletionLength: creditSettings.maxNewTokens)
        let (trainer, _) = try OnlineRLSetup.prepare(c, tokenizer: tokenizer)
        var curve = [RLCurvePoint(completions: 0, greedyAccuracy: mean(startEval.greedy), sampledAccuracy: mean(startEval.sampled.joined()),
                                  rolloutAccuracy: nil)]
        var credit = AdvantageLocalisation()
        var completions = 0, tokens = 0, windowCorrect = 0, windowTotal = 0
        var termSums: [String: Double] = [:], termSteps = 0
        try trainer.run { event in
            guard case .step(let step, let total, let stepMetrics) = event else { return .continue }
            let term = stepMetrics.filter { $0.key.hasPrefix("imitation/") }
            if !term.isEmpty {
                termSteps += 1
                for (k, v) in term { termSums[k, default: 0] += Double(v) }
            }
            let rollouts = trainer.lastRollouts
            completions += rollouts.count
            tokens += rollouts.reduce(0) { $0 + $1.ids.count }
            for r in rollouts {
                let example = train[r.promptIndex]
                let verdict = task.verify(r.text, for: example)
                windowTotal += 1
                // Methods without per-token advantages (Quark trains on its pool) leave `credit` empty.
                if verdict.isCorrect { windowCorrect += 1 } else if let first = verdict.firstError, !r.ids.isEmpty, r.credit.count == r.ids.count {
                    let token = CreditBenchVerifierReward.token(holding: first, text: r.text, ids: r.ids, tokenizer: tokenizer)
                    credit.add(advantages: r.credit, firstError: token)
                    if step == total && seed == settings.seeds[0] && credit.maps.count < settings.heatmaps {
                        credit.maps.append(RLAdvantageMap(prompt: example.prompt, tokens: r.ids.map { tokenizer.decode([$0]) },
                                                          advantages: r.credit, firstError: token))
                    }
                }
            }
            if step % settings.evalEvery == 0 && step < total {
                let e = evaluator.accuracies(trainer.policy, seed: seed &+ UInt64(step))
                curve.append(RLCurvePoint(completions: completions, greedyAccuracy: mean(e.greedy), sampledAccuracy: mean(e.sampled.joined()),
                                          rolloutAccuracy: windowTotal > 0 ? Double(windowCorrect) / Double(windowTotal) : nil))
                windowCorrect = 0
                windowTotal = 0
            }
            log(.progress(label: "\(m.label) seed \(seed)", done: step, total: total))
            return .continue
        }
        // The final measurement is also the curve's last point.
        let final = evaluator.accuracies(trainer.policy, seed: seed &+ 0xF1A1)
        curve.append(RLCurvePoint(completions: completions, greedyAccuracy: mean(final.greedy), sampledAccuracy: mean(final.sampled.joined()),
                                  rolloutAccuracy: windowTotal > 0 ? Double(windowCorrect) / Double(windowTotal) : nil))
        return RLDemoRun(method: m.label, seed: seed, curve: curve, greedyCorrect: final.greedy, sampledCorrect: final.sampled,
                         kl: evaluator.kl(trainer.policy, samples: final.samples), sampledCompletions: completions, sampledTokens: tokens,
                         advantageTop1: credit.top1, advantageTop1Chance: credit.chance, wrongRollouts: credit.count, heatmaps: credit.maps,
                         wallSeconds: StageTimer.seconds(since: runStart),
                         updateTermMetrics: termSteps == 0 ? nil : termSums.mapValues { $0 / Double(termSteps) })
    }

    /// The held-out prompts of a CreditBench run (`data/eval_prompts.jsonl`), read back into examples.
    static func heldOutExamples(_ u: URL, task: any CreditTask) throws -> [CreditExample] {
        let text: String
        do { text = try String(contentsOf: u, encoding: .utf8) } catch {
            throw DemoError.invalidSetting("\(u.path): cannot read the credit run's held-out prompts (\(error.localizedDescription))")
        }
        var out: [CreditExample] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let object = try? JSONValue.parse(String(line), file: u.path), let prompt = object["prompt"]?.stringValue else {
                throw DemoError.invalidSetting("\(u.path):\(n + 1): expected a JSON object with a \"prompt\" string")
            }
            do { out.append(try task.example(fromPrompt: prompt)) } catch {
                throw DemoError.invalidSetting("\(u.path):\(n + 1): \(error)")
            }
        }
        guard !out.isEmpty else { throw DemoError.emptyStage("\(u.path) holds no held-out prompts") }
        return out
    }

    /// Rows: means over seeds and prompts; paired differences from GRPO and from each method's
    /// own baseline.
    static func summarise(_ runs: [RLDemoRun], settings s: RLDemoSettings, prompts: Int) -> [RLDemoRow] {
        let B = s.bootstrapResamples
        func byMethod(_ label: String) -> [UInt64: RLDemoRun] {
            Dictionary(runs.filter { $0.method == label }.map { ($0.seed, $0) }, uniquingKeysWith: { a, _ in a })
        }
        /// Sampled-accuracy difference of `mine` from `other`, paired by seed and prompt, and the
        /// seeds where it ends above / below.
        func paired(_ mine: [RLDemoRun], _ other: [UInt64: RLDemoRun], seed: UInt64) -> (Estimate, Int, Int)? {
            let pairs = mine.compactMap { r in other[r.seed].map { (r, $0) } }
            guard !pairs.isEmpty else { return nil }
            let diff = (0 ..< prompts).map { p in pairs.map { mean($0.0.sampledCorrect[p]) - mean($0.1.sampledCorrect[p]) } }
            let seedPairs = pairs.map { (mean($0.0.sampledCorrect.joined()), mean($0.1.sampledCorrect.joined())) }
            return (Bootstrap.meanOverGroups(diff, resamples: B, seed: seed), seedPairs.filter { $0.0 > $0.1 }.count,
                    seedPairs.filter { $0.0 < $0.1 }.count)
        }
        let grpo = byMethod("grpo")
        return s.methods.map { label in
            let mine = runs.filter { $0.method == label }
            let pairs = mine.compactMap { r in grpo[r.seed].map { (r, $0) } }
            let greedy = (0 ..< prompts).map { p in mine.map { $0.greedyCorrect[p] } }
            let sampled = (0 ..< prompts).map { p in mine.flatMap { $0.sampledCorrect[p] } }
            let greedyDiff = (0 ..< prompts).map { p in pairs.map { $0.0.greedyCorrect[p] - $0.1.greedyCorrect[p] } }
            let kl = (0 ..< prompts).map { p in mine.flatMap { $0.kl[p] } }
            let vsGRPO = paired(mine, grpo, seed: 14)
            let base = method(label)?.baseline ?? "grpo"
            let vsBase = base == label ? nil : paired(mine, byMethod(base), seed: 16)
            let others = (method(label)?.alsoPairedWith ?? []).filter { $0 != label }.compactMap { other in
                paired(mine, byMethod(other), seed: 17).map { RLDemoPairing(method: other, difference: $0.0, seedsAbove: $0.1, seedsBelow: $0.2) }
            }
            return RLDemoRow(method: label, summary: method(label)?.summary ?? "",
                             greedyAccuracy: Bootstrap.meanOverGroups(greedy, resamples: B, seed: 11),
                             greedyDifference: Bootstrap.meanOverGroups(greedyDiff, resamples: B, seed: 12),
                             sampledAccuracy: Bootstrap.meanOverGroups(sampled, resamples: B, seed: 13),
                             sampledDifference: vsGRPO?.0 ?? Bootstrap.meanOverGroups([], resamples: B, seed: 14),
                             seedsAbove: vsGRPO?.1 ?? 0, seedsBelow: vsGRPO?.2 ?? 0,
                             baseline: vsBase == nil ? nil : base, baselineDifference: vsBase?.0,
                             baselineSeedsAbove: vsBase?.1, baselineSeedsBelow: vsBase?.2,
                             kl: Bootstrap.meanOverGroups(kl, resamples: B, seed: 15),
                             advantageTop1: mean(mine.map(\.advantageTop1)), advantageTop1Chance: mean(mine.map(\.advantageTop1Chance)),
                             sampledTokens: mean(mine.map { Double($0.sampledTokens) }), wallSeconds: mean(mine.map(\.wallSeconds)),
                             pairings: others.isEmpty ? nil : others)
        }
    }

    /// Several runs of the demo from the same start with the same budget (e.g. a later run of new
    /// methods) as one result: their runs pooled and summarised again. A method that ran in more
    /// than one must have given the same numbers (same seed, same numbers), and the runs must share
    /// the CreditBench start, the held-out prompts, the seeds and the budget.
    public static func combine(_ results: [RLDemoResult]) throws -> RLDemoResult {
        guard var out = results.first else { throw DemoError.invalidSetting("combine: no results") }
        func budget(_ s: RLDemoSettings) -> [Int] {
            [s.steps, s.completionsPerStep, s.numGenerations, s.evalEvery, s.evalSamples, s.trainPrompts, s.bootstrapResamples]
        }
        for (k, r) in results.enumerated().dropFirst() {
            guard r.creditRun == out.creditRun, r.startGreedy == out.startGreedy, r.startSampled == out.startSampled else {
                throw DemoError.invalidSetting("combine: result \(k + 1) starts from another CreditBench run or held-out set")
            }
            guard r.settings.seeds == out.settings.seeds, budget(r.settings) == budget(out.settings),
                  r.settings.learningRate == out.settings.learningRate, r.settings.ppoLearningRate == out.settings.ppoLearningRate else {
                throw DemoError.invalidSetting("combine: result \(k + 1) has other seeds, budget or learning rates")
            }
            for run in r.runs {
                if let seen = out.runs.first(where: { $0.method == run.method && $0.seed == run.seed }) {
                    guard seen.greedyCorrect == run.greedyCorrect, seen.sampledCorrect == run.sampledCorrect, seen.curve == run.curve else {
                        throw DemoError.invalidSetting("combine: \(run.method) seed \(run.seed) differs between the results (not the same code or settings)")
                    }
                } else {
                    out.runs.append(run)
                    if !out.settings.methods.contains(run.method) { out.settings.methods.append(run.method) }
                }
            }
            out.wallSeconds += r.wallSeconds
            out.stages += r.stages
            if let more = r.auxiliary { out.auxiliary = (out.auxiliary ?? []) + more }
        }
        out.rows = summarise(out.runs, settings: out.settings, prompts: out.heldOutPrompts)
        return out
    }

    /// Writes `results.json`, `report.md` and `report.html` of `result` into `folder`.
    public static func write(_ result: RLDemoResult, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeJSON(result, to: folder.appendingPathComponent("results.json"))
        do { try RLDemoReport.make(result).write(to: folder) } catch {
            throw DemoError.cannotWrite(path: folder.path, reason: "\(error)")
        }
    }

    /// The Markdown report (as `report.md`).
    public static func report(_ r: RLDemoResult) -> String { RLDemoReport.make(r).markdown() }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
    static func mean<S: Sequence>(_ v: S) -> Double where S.Element == Double { mean(Array(v)) }
}
