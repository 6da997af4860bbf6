// `tokenalign demo rl`: does token-level credit beat GRPO in online RL with a verifiable reward?
// CreditBench's one-digit addition: a tiny Llama trained from scratch to be partly right, then
// every method from that same start with the same number of sampled completions, on several seeds,
// measured on held-out problems (greedy accuracy, KL to the start) and compared with GRPO pairwise
// (same seed, same held-out problems).
import CreditBench
import Datasets
import Decoding
import Evaluation
import Foundation
import Models
import Objectives
import OnlineRL
import TensorCore
import Tokenizers
import Training

/// One method of the comparison: how it sets up the shared online-RL loop.
public struct RLDemoMethod: Sendable {
    public var label: String
    public var summary: String
    let configure: @Sendable (inout OnlineRLConfiguration, RLDemoSettings) -> Void
}

/// Greedy accuracy at a point of the run, on the training problems and on the held-out ones.
public struct RLCurvePoint: Codable, Sendable, Equatable {
    public var completions: Int
    public var trainAccuracy: Double
    public var accuracy: Double
}

/// One method × seed.
public struct RLDemoRun: Codable, Sendable {
    public var method: String
    public var seed: UInt64
    public var curve: [RLCurvePoint]
    /// Greedy correctness (0/1) on each held-out problem after training.
    public var correct: [Double]
    /// The same on each training problem.
    public var trainCorrect: [Double]
    /// KL(π‖π_SFT) per token, on sampled completions of the held-out problems.
    public var kl: Double
    public var sampledTokens: Int
    public var wallSeconds: Double
}

/// One method over the seeds.
public struct RLDemoRow: Codable, Sendable {
    public var method: String
    public var summary: String
    /// Held-out greedy accuracy: mean over seeds and problems, bootstrap CI over problems.
    public var accuracy: Estimate
    /// Greedy accuracy on the training problems (what the reward optimised).
    public var trainAccuracy: Estimate
    public var trainDifferenceFromGRPO: Estimate
    public var kl: Estimate
    /// Accuracy minus GRPO's, paired by seed and problem (bootstrap over problems).
    public var differenceFromGRPO: Estimate
    /// Seeds where the method ends above / below GRPO.
    public var seedsAbove: Int
    public var seedsBelow: Int
}

public struct RLDemoResult: Codable, Sendable {
    public var settings: RLDemoSettings
    public var startAccuracy: [Double]
    public var startTrainAccuracy: [Double]
    public var trainProblems: Int
    public var heldOutProblems: Int
    public var rows: [RLDemoRow]
    public var runs: [RLDemoRun]
    public var wallSeconds: Double
}

public enum RLDemo {
    /// Every method the demo can run, by label.
    public static let methods: [RLDemoMethod] = [
        RLDemoMethod(label: "grpo", summary: "GRPO: group-normalised outcome reward, PPO clip") { _, _ in },
        RLDemoMethod(label: "dr-grpo", summary: "Dr. GRPO: no std scaling, constant length normaliser") { c, s in
            c.estimator = "dr-grpo"
            c.lossAggMode = "seq-mean-token-sum-norm"
        },
        RLDemoMethod(label: "rloo", summary: "RLOO: leave-one-out baseline") { c, _ in c.estimator = "rloo" },
        RLDemoMethod(label: "reinforce++-baseline", summary: "REINFORCE++ with a group-mean baseline, batch whitening") { c, _ in
            c.estimator = "reinforce++-baseline"
        },
        RLDemoMethod(label: "ktae", summary: "KTAE: GRPO plus key-token bonuses from correct-vs-wrong statistics") { c, _ in
            c.estimator = "ktae"
        },
        RLDemoMethod(label: "grpo-token-credit", summary: "GRPO with the verifier's first-error token penalty (−1 on the wrong token)") { c, _ in
            c.rewards = ["creditbench-token"]
        },
        RLDemoMethod(label: "gspo", summary: "GSPO: sequence-level ratio") { c, _ in c.policyLoss = "gspo" },
        RLDemoMethod(label: "ppo", summary: "PPO: GAE over a value head, KL 0.05 in the reward, 4 epochs") { c, s in
            c.estimator = "gae"
            c.promptsPerStep = s.completionsPerStep
            c.numGenerations = 1
            c.klCoef = 0.05
            c.numIterations = 4
            c.learningRate = s.ppoLearningRate
        },
        RLDemoMethod(label: "gtpo", summary: "GTPO: entropy-weighted token rewards, normalised over the group's tokens") { c, _ in
            c.estimator = "gtpo"
        },
        RLDemoMethod(label: "grpo-s", summary: "GRPO-S: outcome rewards reshaped by each response's mean entropy") { c, _ in
            c.estimator = "grpo-s"
        },
        RLDemoMethod(label: "ma-rlhf", summary: "MA-RLHF: the ppo method with GAE over macro actions of 2 tokens") { c, s in
            RLDemo.method("ppo")?.configure(&c, s)
            c.estimator = "ma-gae"
            c.macro = "ngram:2"
        },
        RLDemoMethod(label: "constrained", summary: "Constrained RLHF: the overlong penalty's mean kept ≥ −0.05 by a Lagrange multiplier") { c, _ in
            c.rewards = ["creditbench", "overlong"]
            c.constraints = ["2:-0.05"]
        },
        RLDemoMethod(label: "em-ft", summary: "EM-FT: token-entropy minimisation on the policy's own samples, KL 0.04 (no reward)") { c, _ in
            c.policyLoss = "em-ft"
            c.beta = 0.04
        },
        RLDemoMethod(label: "em-rl", summary: "EM-RL: negative token entropy as the only reward, KL 0.04") { c, _ in
            c.rewards = ["neg-entropy"]
            c.beta = 0.04
        },
    ]

    public static func method(_ label: String) -> RLDemoMethod? { methods.first { $0.label == label } }

    public static func run(_ settings: RLDemoSettings, folder: URL, log: @escaping (DemoEvent) -> Void = { _ in }) throws -> RLDemoResult {
        try settings.validate()
        let start = ContinuousClock.now
        try prepareRunFolder(folder)
        try writeJSON(settings, to: folder.appendingPathComponent("settings.json"))
        var timer = StageTimer()
        let task = AdditionTask(digits: 1)

        // Data: every one-digit problem, split in half (seeded); demonstrations sampled as
        // `tokenalign data make --task add --digits 1` does.
        timer.begin("data", log: log)
        var problems: [String] = []
        for a in 0 ... 9 { for b in 0 ... 9 { problems.append("\(a)+\(b)=") } }
        let order = DataOrder.permutation(count: problems.count, seed: 0xADD, epoch: 0)
        let train = order.prefix(50).map { problems[$0] }, heldOut = order.dropFirst(50).map { problems[$0] }
        func promptRows(_ ps: [String]) throws -> [[String: Any]] {
            try ps.map { p in ["prompt": p, "task": "add", "answer": try task.example(fromPrompt: p).answer] }
        }
        let trainPath = folder.appendingPathComponent("data/train_prompts.jsonl"), evalPath = folder.appendingPathComponent("data/eval_prompts.jsonl")
        try FileManager.default.createDirectory(at: trainPath.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeRows(try promptRows(train), to: trainPath)
        try writeRows(try promptRows(heldOut), to: evalPath)
        let demonstrations = (0 ..< settings.sftExamples).map { task.example(seed: 1, index: $0) }
        let sftPath = folder.appendingPathComponent("data/sft.jsonl")
        try writeRows(demonstrations.map { ["prompt": $0.prompt, "completion": $0.completion] }, to: sftPath)

        // The starting model: a byte-level BPE and a tiny Llama, fine-tuned to be partly right.
        timer.begin("sft", log: log)
        let special = ["<|endoftext|>", "<|pad|>"]
        let raw = try BPETrainer(vocabularySize: 300, specialTokens: special,
                                 preTokenizer: .sequence([.digits(individualDigits: true), .gpt2]))
            .train(demonstrations.map { $0.prompt + $0.completion })
        let tokenizer = try Tokenizer(model: raw.model, normalizer: raw.normalizer, preTokenizer: raw.preTokenizer, decoder: raw.decoder,
                                      addedTokens: raw.addedTokens, eosToken: special[0], padToken: special[1])
        let config = LlamaConfiguration(vocabSize: tokenizer.vocabularySize, hiddenSize: 64, intermediateSize: 172, numHiddenLayers: 2,
                                        numAttentionHeads: 4, numKeyValueHeads: 2, tieWordEmbeddings: true, maxPositionEmbeddings: 64)
        let sftModel = PretrainedModel(model: LlamaForCausalLM(config, seed: 7), tokenizer: tokenizer,
                                       source: folder.appendingPathComponent("models/sft"))
        var sc = TrainingConfiguration()
        sc.task = .sft
        sc.maxSteps = settings.sftSteps
        sc.batchSize = settings.sftBatch
        sc.learningRate = settings.sftLearningRate
        sc.schedule = "constant"
        sc.maxLength = 64
        let examples = TrainingExamples.sequences(try DatasetLoader.sequences(
            sftPath.path, encoder: DatasetEncoder(tokenizer: tokenizer, options: sc.encodingOptions)).examples)
        let sft = try Trainer(configuration: sc, policy: sftModel.model, mode: .sft, train: examples, padID: tokenizer.padTokenID ?? 0)
        try sft.run()
        let modelFolder = folder.appendingPathComponent("models/sft")
        try sft.saveModel(sftModel, to: modelFolder)
        let reference = try PretrainedModel.load(path: modelFolder.path).model
        reference.eval()
        let evalPrompts = try RLPrompts.load(evalPath.path, tokenizer: tokenizer)
        let trainPrompts = try RLPrompts.load(trainPath.path, tokenizer: tokenizer)
        func accuracies(_ model: any LanguageModel) throws -> (train: [Double], heldOut: [Double]) {
            (try greedyCorrect(model, trainPrompts, tokenizer: tokenizer, task: task, maxNewTokens: settings.maxNewTokens),
             try greedyCorrect(model, evalPrompts, tokenizer: tokenizer, task: task, maxNewTokens: settings.maxNewTokens))
        }
        let (startTrain, startCorrect) = try accuracies(reference)
        log(.note(String(format: "start: greedy accuracy %.3f on the training problems, %.3f on the held-out ones", mean(startTrain), mean(startCorrect))))

        // Every method × seed from the same start, the same number of sampled completions.
        var runs: [RLDemoRun] = []
        for label in settings.methods {
            let m = method(label)!
            timer.begin(label, log: log)
            for seed in settings.seeds {
                let runStart = ContinuousClock.now
                var c = OnlineRLConfiguration()
                c.model = modelFolder.path
                c.prompts = trainPath.path
                c.rewards = ["creditbench"]
                c.maxNewTokens = settings.maxNewTokens
                c.stop = ["\n"]
                c.numGenerations = settings.numGenerations
                c.promptsPerStep = settings.completionsPerStep / settings.numGenerations
                c.microBatchSize = 32
                c.learningRate = settings.learningRate
                c.maxSteps = settings.steps
                c.seed = seed
                m.configure(&c, settings)
                let (trainer, _) = try OnlineRLSetup.prepare(c, tokenizer: tokenizer)
                var curve = [RLCurvePoint(completions: 0, trainAccuracy: mean(startTrain), accuracy: mean(startCorrect))]
                var tokens = 0, failure: Error?
                try trainer.run { event in
                    if case .step(let step, let total, let metrics) = event {
                        tokens += Int((metrics["completions/mean_length"] ?? 0) * Float(c.rolloutSize))
                        if step % settings.evalEvery == 0 || step == total {
                            do {
                                let (tr, ho) = try accuracies(trainer.policy)
                                curve.append(RLCurvePoint(completions: step * c.rolloutSize, trainAccuracy: mean(tr), accuracy: mean(ho)))
                            } catch { failure = error; return .stop }
                        }
                        log(.progress(label: "\(label) seed \(seed)", done: step, total: total))
                    }
                    return .continue
                }
                if let failure { throw failure }
                let (trainCorrect, correct) = try accuracies(trainer.policy)
                let kl = klToStart(trainer.policy, reference, evalPrompts, tokenizer: tokenizer, maxNewTokens: settings.maxNewTokens, seed: seed)
                runs.append(RLDemoRun(method: label, seed: seed, curve: curve, correct: correct, trainCorrect: trainCorrect, kl: kl, sampledTokens: tokens,
                                      wallSeconds: StageTimer.seconds(since: runStart)))
            }
        }
        timer.finish()

        // Rows: mean over seeds and problems; paired differences from GRPO.
        let grpo = runs.filter { $0.method == "grpo" }
        var rows: [RLDemoRow] = []
        for label in settings.methods {
            let mine = runs.filter { $0.method == label }
            let perProblem = (0 ..< heldOut.count).map { p in mine.map { $0.correct[p] } }
            let diffs = (0 ..< heldOut.count).map { p in zip(mine, grpo).filter { $0.0.seed == $0.1.seed }.map { $0.0.correct[p] - $0.1.correct[p] } }
            let trainPerProblem = (0 ..< train.count).map { p in mine.map { $0.trainCorrect[p] } }
            let trainDiffs = (0 ..< train.count).map { p in
                zip(mine, grpo).filter { $0.0.seed == $0.1.seed }.map { $0.0.trainCorrect[p] - $0.1.trainCorrect[p] }
            }
            let seedPairs = zip(mine, grpo).map { (mean($0.0.correct), mean($0.1.correct)) }
            rows.append(RLDemoRow(method: label, summary: method(label)!.summary,
                                  accuracy: Bootstrap.meanOverGroups(perProblem, seed: 11),
                                  trainAccuracy: Bootstrap.meanOverGroups(trainPerProblem, seed: 14),
                                  trainDifferenceFromGRPO: Bootstrap.meanOverGroups(trainDiffs, seed: 15),
                                  kl: Bootstrap.meanOverGroups(mine.map { [$0.kl] }, seed: 12),
                                  differenceFromGRPO: Bootstrap.meanOverGroups(diffs, seed: 13),
                                  seedsAbove: seedPairs.filter { $0.0 > $0.1 }.count, seedsBelow: seedPairs.filter { $0.0 < $0.1 }.count))
        }
        let result = RLDemoResult(settings: settings, startAccuracy: startCorrect, startTrainAccuracy: startTrain, trainProblems: train.count, heldOutProblems: heldOut.count,
                                  rows: rows, runs: runs, wallSeconds: StageTimer.seconds(since: start))
        try writeJSON(result, to: folder.appendingPathComponent("results.json"))
        try Data(report(result).utf8).write(to: folder.appendingPathComponent("report.md"))
        return result
    }

    /// Greedy correctness (0/1) of `model` on each prompt, judged by the task's verifier.
    static func greedyCorrect(_ model: any LanguageModel, _ prompts: [RLPrompt], tokenizer: Tokenizer, task: AdditionTask,
                              maxNewTokens: Int) throws -> [Double] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var params = GenerationParameters(maxNewTokens: maxNewTokens, stopTokenIDs: Set([tokenizer.eosTokenID].compactMap { $0 }), stopStrings: ["\n"])
        params.padTokenID = tokenizer.padTokenID ?? 0
        let results = Generator.generate(model: model, prompts: prompts.map(\.ids), parameters: params) { tokenizer.decode($0, skipSpecialTokens: true) }
        return try zip(prompts, results).map { p, r in
            let example = try task.example(fromPrompt: p.text)
            return task.verify(tokenizer.decode(r.tokens, skipSpecialTokens: true), for: example).isCorrect ? 1 : 0
        }
    }

    /// KL(π‖π_start) per token, estimated on four sampled completions per prompt (temperature 1):
    /// the mean over sampled tokens of log π − log π_start.
    static func klToStart(_ policy: any LanguageModel, _ start: any LanguageModel, _ prompts: [RLPrompt], tokenizer: Tokenizer,
                          maxNewTokens: Int, seed: UInt64) -> Double {
        let wasTraining = policy.isTraining
        policy.eval()
        defer { policy.train(wasTraining) }
        var params = GenerationParameters(maxNewTokens: maxNewTokens, temperature: 1, stopTokenIDs: Set([tokenizer.eosTokenID].compactMap { $0 }),
                                          seed: seed &+ 0x4B1)
        params.padTokenID = tokenizer.padTokenID ?? 0
        params.recordLogProbs = true
        let rows = prompts.flatMap { p in [[Int]](repeating: p.ids, count: 4) }
        let results = Generator.generate(model: policy, prompts: rows, parameters: params)
        var sum = 0.0, count = 0
        for (prompt, r) in zip(rows, results) where !r.tokens.isEmpty {
            let ids = prompt + r.tokens, L = ids.count
            let input = IndexTensor(shape: [1, L], data: ids.map { Int32($0) })
            let labels = IndexTensor(shape: [1, L - 1], data: ids.dropFirst().map { Int32($0) })
            var mask = [Float](repeating: 0, count: L - 1)
            for k in r.tokens.indices { mask[prompt.count - 1 + k] = 1 }
            let ref = TokenBatch.tokenLogps(logits: Forward.frozenLogits(start, input), labels: labels, mask: Tensor(shape: [1, L - 1], data: mask)).scalars
            for (k, lp) in r.logProbs.enumerated() {
                sum += Double(lp - ref[prompt.count - 1 + k])
                count += 1
            }
        }
        return count > 0 ? sum / Double(count) : 0
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }

    static func writeRows(_ rows: [[String: Any]], to u: URL) throws {
        var out = Data()
        for r in rows {
            out.append(try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]))
            out.append(UInt8(ascii: "\n"))
        }
        try out.write(to: u, options: .atomic)
    }

    /// The Markdown report: settings, the comparison table, the curves as a table.
    public static func report(_ r: RLDemoResult) -> String {
        let s = r.settings
        var md = "# Online RL on CreditBench addition: token credit against GRPO\n\n"
        md += "One-digit addition, \(r.trainProblems) training and \(r.heldOutProblems) held-out problems (disjoint). A tiny Llama "
        md += "(2 layers, d = 64) trained from scratch on \(s.sftExamples) demonstrations for \(s.sftSteps) steps starts at greedy "
        md += String(format: "accuracy %.3f on the training problems and %.3f on the held-out ones. ", mean(r.startTrainAccuracy), mean(r.startAccuracy))
        md += "Every method: \(s.steps) rollout batches of \(s.completionsPerStep) sampled completions (the same budget), "
        md += "seeds \(s.seeds.map(String.init).joined(separator: ", ")). 95% bootstrap CIs over held-out problems (pooled over seeds); "
        md += "the difference from GRPO is paired by seed and problem.\n\n"
        md += "| method | training-problem accuracy | Δ vs GRPO | held-out accuracy | Δ vs GRPO | seeds above / below GRPO (held-out) | KL(π‖π_SFT)/token | what it is |\n"
        md += "|---|---|---|---|---|---|---|---|\n"
        for row in r.rows {
            md += "| \(row.method) | \(row.trainAccuracy.interval()) | \(row.method == "grpo" ? "–" : row.trainDifferenceFromGRPO.interval()) | "
            md += "\(row.accuracy.interval()) | \(row.method == "grpo" ? "–" : row.differenceFromGRPO.interval()) | "
            md += "\(row.method == "grpo" ? "–" : "\(row.seedsAbove) / \(row.seedsBelow)") | \(row.kl.interval()) | \(row.summary) |\n"
        }
        for (title, key) in [("training-problem", \RLCurvePoint.trainAccuracy), ("held-out", \RLCurvePoint.accuracy)] {
            md += "\n## Greedy \(title) accuracy along the run (mean over seeds; columns: sampled completions)\n\n| method | "
            md += (r.runs.first?.curve.map { "\($0.completions)" }.joined(separator: " | ") ?? "") + " |\n"
            md += "|---|" + String(repeating: "---|", count: r.runs.first?.curve.count ?? 0) + "\n"
            for label in s.methods {
                let curves = r.runs.filter { $0.method == label }.map(\.curve)
                guard let first = curves.first else { continue }
                let means = first.indices.map { i in mean(curves.map { $0[i][keyPath: key] }) }
                md += "| \(label) | " + means.map { String(format: "%.3f", $0) }.joined(separator: " | ") + " |\n"
            }
        }
        md += String(format: "\nWall time %.0f s.\n", r.wallSeconds)
        return md
    }
}
