// CLoud reward models (arXiv 2408.11791; docs/design/rewards.md §11) end to end on a seeded
// small CreditBench task (forbidden, default knobs): `tokenalign data critiques` writes the
// library's rows; `reward --kind cloud` runs stage 1 (SFT on the oracle critiques) and regenerates
// every critique, then stage 2 reaches held-out pair accuracy ≥ 0.8 (chance 0.5), not below the
// untrained head's; the saved folder says it is CLoud and scores through `cloud-rm:DIR` (reward and
// scorer), `eval rm` and the critic, the same seed giving the same critiques and scores; the
// critic's forward work equals an independent count; bad inputs name the line, column or folder.
import CreditBench
import Datasets
import Foundation
import Models
import OnlineRL
import Search
import Testing
import TestSupport
@testable import Experiments
@testable import TokenAlignCLI
@testable import Training

@Suite(.serialized) struct CritiqueOutLoudTests {
    /// The forbidden-substring task (default knobs): rows `0 ..< count` of data set `seed`. The
    /// fixture Llama learns it in a few dozen steps (Bradley–Terry: 0.81 held out), unlike sort or
    /// cipher (≤ 0.70), so a learning test can ask for a margin over chance.
    static func rows(count: Int, seed: UInt64) throws -> [[String: Any]] {
        let task = try CreditTaskName.forbidden.task(TaskKnobs())
        return (0 ..< count).map { task.critiqueRow(seed: seed, index: $0) }
    }

    struct Trained {
        var folder: String
        var runFolder: String
        var evalFile: String
        var before: Float
        var after: Float
        var critiqueLossFirst: Float
        var critiqueLossLast: Float
    }

    /// The fixture Llama with room for prompt + response + critique: its committed tokenizer spends
    /// about 66 tokens on a sort pair's context and critique, more than the fixture's declared 64
    /// positions; RoPE has no position table, so declaring 192 changes no weight.
    static func model() throws -> String {
        let dir = try TestFiles.modelFolder()
        let url = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        config["max_position_embeddings"] = 192
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return dir.path
    }

    static func configuration(train: String, eval: String, out: String) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.task, c.rewardKind, c.model, c.out, c.data, c.evalData) = (.reward, "cloud", try model(), out, train, eval)
        (c.learningRate, c.batchSize, c.maxSteps, c.critiqueSftSteps, c.seed, c.schedule) = (3e-3, 8, 60, 60, 1, "constant")
        c.maxCritiqueTokens = 24
        return c
    }

    /// Trained once for the suite: 128 training pairs, 64 held-out pairs of another seed.
    static let trained: Result<Trained, Error> = Result {
        let train = try TestFiles.writeRows(rows(count: 128, seed: 0), name: "critiques.jsonl")
        let eval = try TestFiles.writeRows(rows(count: 64, seed: 1), name: "critiques-eval.jsonl")
        let out = TestFiles.temporaryPath("cloud-run")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let c = try configuration(train: train, eval: eval, out: out)
        let run = try TrainingSetup.prepare(c)
        let before = run.trainer.evaluate()["eval_accuracy"] ?? .nan
        var critique: [Float] = []
        try run.trainer.run { event in
            if case .step(_, _, let m) = event, let l = m["loss/critique"] { critique.append(l) }
            return .continue
        }
        let after = run.trainer.evaluate()["eval_accuracy"] ?? .nan
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        let folder = URL(fileURLWithPath: out).appendingPathComponent("model")
        try run.trainer.saveModel(p, to: folder)
        return Trained(folder: folder.path, runFolder: out, evalFile: eval, before: before, after: after,
                       critiqueLossFirst: critique.first ?? .nan, critiqueLossLast: critique.last ?? .nan)
    }

    @Test func learnsTheTaskAndSavesACLoudFolder() throws {
        let t = try Self.trained.get()
        #expect(t.after >= 0.8 && t.after >= t.before, "held-out pair accuracy \(t.before) → \(t.after)")
        #expect(t.critiqueLossFirst.isFinite && t.critiqueLossLast.isFinite)
        // The folder says it is CLoud, with how it writes its critiques.
        let spec = try #require(try CritiqueSpec.of(folder: URL(fileURLWithPath: t.folder)))
        #expect(spec == CritiqueSpec(maxCritiqueTokens: 24, temperature: 0))
        // Stage 2's critiques were the model's own, for every training and held-out pair.
        let written = try JSONLReader.read(t.runFolder + "/" + CritiqueOutLoudSetup.selfCritiquesFile).map(\.object)
        #expect(written.count == 192 && written.filter { $0["split"] as? String == "eval" }.count == 64)
        #expect(written.allSatisfy { ($0[CritiquePairs.chosenColumn] as? String) != nil && ($0[CritiquePairs.rejectedColumn] as? String) != nil })
    }

    /// `eval rm` picks the critic for a CLoud folder: its pair accuracy is the critic's own (fresh
    /// critiques of the final model, which may differ from the stage-1 critiques the trainer's
    /// evaluation read), it is at least 0.8 too, and the critiques' work is counted.
    @Test func evalRMScoresThroughTheCritic() throws {
        let t = try Self.trained.get()
        let bench = TestFiles.temporaryPath("bench.jsonl")
        let held = try JSONLReader.read(t.evalFile)
        let rows = held.map { r -> [String: Any] in
            ["prompt": r.object["prompt"]!, "chosen": r.object["chosen"]!, "rejected": r.object["rejected"]!, "subset": "forbidden"]
        }
        try JSONLWriter.encode(rows, file: bench).write(to: URL(fileURLWithPath: bench))
        let scorer = try CritiqueOutLoudResponseScorer.forFolder(t.folder)
        #expect(scorer is CritiqueOutLoudResponseScorer)
        let (report, _) = try RMEvaluation.run(try RMBenchRow.read(bench), scorer: scorer, scoring: .rb1, robustness: false)
        let critic = try CritiqueOutLoudModel.load(folder: t.folder)
        let chosen = try critic.judge(held.map { ($0.object["prompt"] as! String, $0.object["chosen"] as! String) }, seed: 0).scores
        let rejected = try critic.judge(held.map { ($0.object["prompt"] as! String, $0.object["rejected"] as! String) }, seed: 0).scores
        let own = Double(zip(chosen, rejected).filter { $0 > $1 }.count) / Double(held.count)
        #expect(abs(report.pairAccuracy - own) < 1e-9 && report.pairAccuracy >= 0.8, "eval rm \(report.pairAccuracy), critic \(own)")
        #expect(((scorer as? CritiqueOutLoudResponseScorer)?.work.generatedTokens ?? 0) > 0)
    }

    @Test func sameSeedSameCritiquesAndScores() throws {
        let t = try Self.trained.get()
        let items = try JSONLReader.read(t.evalFile).prefix(6).flatMap { r -> [(prompt: String, response: String)] in
            let p = r.object["prompt"] as! String
            return [(p, r.object["chosen"] as! String), (p, r.object["rejected"] as! String)]
        }
        let a = try CritiqueOutLoudModel.load(folder: t.folder), b = try CritiqueOutLoudModel.load(folder: t.folder)
        let ga = try a.judge(items, seed: 0), gb = try b.judge(items, seed: 9)
        #expect(ga.critiques == gb.critiques && ga.scores == gb.scores, "greedy critiques do not depend on the seed")
        let sampled = CritiqueSpec(maxCritiqueTokens: 24, temperature: 1)
        let s = CritiqueOutLoudModel(model: a.model, head: a.head, tokenizer: a.tokenizer, spec: sampled)
        let s1 = try s.judge(items, samples: 3, seed: 5), s2 = try s.judge(items, samples: 3, seed: 5), s3 = try s.judge(items, samples: 3, seed: 6)
        #expect(s1.critiques == s2.critiques && s1.scores == s2.scores)
        #expect(s1.critiques != s3.critiques)
        // A score is the mean of the head over its critiques.
        let read = s.read(contexts: items.flatMap { it in Array(repeating: sampled.context(prompt: it.prompt, response: it.response, tokenizer: s.tokenizer), count: 3) },
                          critiques: s1.critiques).scores
        for i in items.indices { #expect(abs(s1.scores[i] - (read[3 * i] + read[3 * i + 1] + read[3 * i + 2]) / 3) < 1e-5) }
        // The reward and the scorer read the same critic.
        let reward = try CritiqueOutLoudReward(argument: t.folder)
        let prompt = RLPrompt(location: RowLocation(file: "p", line: 1), text: items[0].prompt, ids: [1], columns: ["prompt": items[0].prompt])
        let rewards = try reward.tokenRewards([Completion(prompt: prompt, ids: [5, 6, 7], text: items[0].response, finishReason: .stopToken)])
        #expect(rewards == [[0, 0, ga.scores[0]]])
    }

    /// Every position the critic runs, counted independently from its contexts and critiques: per
    /// batch of 3 rows, rows × the longest context (prefill), rows × (longest critique − 1) (decode),
    /// one call per generated step; then per reading batch rows × the longest sequence.
    @Test func forwardWorkMatchesAnIndependentCount() throws {
        let t = try Self.trained.get()
        let critic = try CritiqueOutLoudModel.load(folder: t.folder)
        critic.batchSize = 3
        let items = try JSONLReader.read(t.evalFile).prefix(4).flatMap { r -> [(prompt: String, response: String)] in
            let p = r.object["prompt"] as! String
            return [(p, r.object["chosen"] as! String), (p + " ", r.object["rejected"] as! String)]
        }
        let j = try critic.judge(items, seed: 0)
        let contexts = items.map { critic.spec.context(prompt: $0.prompt, response: $0.response, tokenizer: critic.tokenizer) }
        var prefill = 0, decode = 0, calls = 0, read = 0, reads = 0
        var k = 0
        while k < contexts.count {
            let rows = Array(k ..< min(k + 3, contexts.count))
            let steps = rows.map { j.critiques[$0].count }.max()!
            prefill += rows.count * rows.map { contexts[$0].count }.max()!
            decode += rows.count * (steps - 1)
            calls += steps
            k += 3
        }
        let lengths = zip(contexts, j.critiques).map { $0.count + $1.count }.sorted()
        k = 0
        while k < lengths.count {
            read += min(3, lengths.count - k) * lengths[min(k + 3, lengths.count) - 1]
            reads += 1
            k += 3
        }
        #expect(j.work.generatedTokens == j.critiques.map(\.count).reduce(0, +))
        #expect(j.work.prefillTokens == prefill && j.work.decodeTokens == decode && j.work.generationCalls == calls)
        #expect(j.work.readTokens == read && j.work.readCalls == reads)
        // The search scorer puts exactly that in the ledger under its name.
        var ledger = CostLedger()
        ledger.recordCritiques("cloud-rm", j.work)
        #expect(ledger.scorers["cloud-rm"] == ModelCost(prefillTokens: prefill + read, decodeTokens: decode, forwardCalls: calls + reads))
        let scorer = try SequenceScorers.make("cloud-rm:\(t.folder)", context: ScorerContext(tokenizer: critic.tokenizer, vocabularySize: 512, maxNewTokens: 8))
        var searchLedger = CostLedger()
        let prompt = RLPrompt(location: RowLocation(file: "p", line: 1), text: items[0].prompt, ids: [1], columns: ["prompt": items[0].prompt])
        let answers = [Answer(ids: [1], text: items[0].response), Answer(ids: [1], text: items[2].response)]
        let s = try scorer.scores(prompt, answers, ledger: &searchLedger)
        #expect(s.count == 2 && s.allSatisfy { $0 > 0 && $0 < 1 })
        #expect((searchLedger.scorers["cloud-rm"]?.decodeTokens ?? 0) + (searchLedger.scorers["cloud-rm"]?.prefillTokens ?? 0) > 0)
    }

    /// A command's exit code and message, run in this process.
    static func status(_ args: [String]) -> (code: Int32, message: String) {
        do {
            var cmd = try TokenAlignCommand.parseAsRoot(args)
            try cmd.run()
            return (0, "")
        } catch {
            return (ExitCodes.code(for: error), TokenAlignCommand.message(for: error))
        }
    }

    @Test func badInputsNameTheLineColumnOrFolder() throws {
        // A critique file with a missing field: the line and the column.
        var rows = try Self.rows(count: 3, seed: 0)
        rows[1].removeValue(forKey: CritiquePairs.rejectedColumn)
        let bad = try TestFiles.writeRows(rows, name: "bad-critiques.jsonl")
        #expect { try CritiquePairs.read(bad) } throws: { "\($0)".contains("\(bad):2") && "\($0)".contains("rejected_critique") }
        let r = Self.status(["reward", "--kind", "cloud", "--model", try Self.model(), "--data", bad, "--max-steps", "1"])
        #expect(r.code == 65 && r.message.contains(":2") && r.message.contains("rejected_critique"), "\(r.code): \(r.message)")
        // A folder that is not a CLoud reward model (a plain BT folder), for the critic, --reward and --scorer.
        let t = try Self.trained.get()
        let btOut = TestFiles.temporaryPath("bt")
        try run(["reward", "--model", try Self.model(), "--data", try TestFiles.writeRows(Self.rows(count: 8, seed: 0), name: "p.jsonl"),
                 "--max-steps", "1", "--out", btOut])
        #expect { try CritiqueOutLoudModel.load(folder: btOut + "/model") } throws: { "\($0)".contains("not a CLoud reward model") }
        #expect { try CritiqueOutLoudReward(argument: btOut + "/model") } throws: { "\($0)".contains("not a CLoud reward model") }
        // A CLoud folder read as a plain reward model is refused with the spec to use instead.
        let tok = try CritiqueOutLoudModel.load(folder: t.folder).tokenizer
        #expect { try RewardModelReward(folder: t.folder, tokenLevel: false, vocabularySize: 512, tokenizer: tok) } throws: { "\($0)".contains("cloud-rm:") }
        #expect { try SequenceScorers.make("rm:\(t.folder)", context: ScorerContext(tokenizer: tok, vocabularySize: 512, maxNewTokens: 8)) }
            throws: { "\($0)".contains("cloud-rm:") }
        #expect { try CritiqueOutLoudReward(argument: t.folder + ",samples=2") } throws: { "\($0)".contains("temperature") }
        #expect { try CritiqueOutLoudReward(argument: t.folder + ",colour=2") } throws: { "\($0)".contains("colour") }
        #expect { try SequenceScorers.make("reward:cloud-rm:\(t.folder)", context: ScorerContext(tokenizer: tok, vocabularySize: 512, maxNewTokens: 8)) }
            throws: { "\($0)".contains("--scorer cloud-rm:DIR") }
        // Settings out of range name the key.
        let s = Self.status(["reward", "--kind", "cloud", "--model", try Self.model(), "--data", bad, "--cloud-lambda", "-1"])
        #expect(s.code == 64 && s.message.contains("cloud_lambda"), "\(s.message)")
        let good = try TestFiles.writeRows(Self.rows(count: 4, seed: 0), name: "good.jsonl")
        let co = Self.status(["reward", "--kind", "cloud", "--model", try Self.model(), "--data", good, "--co-filter-rate", "0.2"])
        #expect(co.code == 64 && co.message.contains("--co-filter-rate"), "\(co.code): \(co.message)")
    }

    @Test func dataCritiquesWritesTheLibrarysRows() throws {
        let out = TestFiles.temporaryPath("critiques.jsonl")
        try run(["data", "critiques", "--from", "creditbench", "--task", "sort,add", "--count", "6", "--seed", "3", "--out", out])
        let got = try CritiquePairs.read(out)
        let want = try #require(TokenLabelRows.rows(count: 6, tasks: [CreditTaskName.sort.task(TaskKnobs()), CreditTaskName.add.task(TaskKnobs())], seed: 3) {
            $0.critiqueRow(seed: $1, index: $2)
        })
        #expect(got.count == 6)
        for (g, w) in zip(got, want) {
            #expect(g.prompt == w["prompt"] as? String && g.chosenCritique == w["chosen_critique"] as? String && g.rejectedCritique == w["rejected_critique"] as? String)
            #expect(g.chosenCritique == "Correct." && g.rejectedCritique.hasPrefix("Wrong at character "))
        }
        // --task-knobs: three numbers to sort.
        try run(["data", "critiques", "--from", "creditbench", "--task", "sort", "--task-knobs", "{\"length\": 3}", "--count", "2", "--out", out])
        #expect(try CritiquePairs.read(out).allSatisfy { $0.prompt.split(separator: ",").count == 3 })
        do {
            var cmd = try TokenAlignCommand.parseAsRoot(["data", "critiques", "--from", "sentiment", "--out", out])
            try cmd.run()
            Issue.record("--from sentiment was accepted")
        } catch {
            #expect(ExitCodes.code(for: error) == 64 && TokenAlignCommand.message(for: error).contains("--from"))
        }
    }
}
