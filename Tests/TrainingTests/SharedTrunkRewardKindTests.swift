// `tokenalign reward --kind haf | grm | odin` (arXiv 2407.04185, 2406.10216, 2402.07319): each kind
// learns the fox/dog task with the dog preferred (held-out pair accuracy from 0 untrained — below
// 0.75 — to at least 0.875); the saved folder loads with `RewardModelLoader`, its head is the
// trained reward head (ODIN's quality head, the length head beside it ignored) and it scores
// through `rm:DIR` and `eval rm`; on data where the chosen response is always the longer one,
// ODIN's quality head correlates less with length than a Bradley–Terry model's score; bad settings
// exit 64 naming the setting.
import Autograd
import Checkpoints
import Foundation
import Models
import Objectives
import TensorCore
import Testing
@testable import Training

@Suite struct SharedTrunkRewardKindTests {
    static func configuration(kind: String, train: String, eval: String) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.task, c.rewardKind, c.model, c.out) = (.reward, kind, try modelFolder().path, temporaryDirectory().path)
        (c.data, c.evalData) = (train, eval)
        (c.learningRate, c.batchSize, c.maxSteps, c.seed) = (3e-3, 8, 12, 1)  // as the Bradley–Terry learning test
        return c
    }

    /// The reward head a run trains (ODIN: the quality head).
    static func head(_ t: Trainer) -> RewardHead? {
        switch t.mode {
        case .reward(let h, _): return h
        case .sharedTrunkReward(let r): return r.head
        default: return nil
        }
    }

    /// The fox/dog task with the dog preferred: the untrained model's head, which happens to score
    /// the fox higher (accuracy 1.0 on the task as `syntheticPreferences` writes it), ranks every
    /// held-out pair wrong, so reaching 0.875 means the kind learned the preference.
    static func dogPreferred() throws -> (train: String, eval: String) {
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        func swapped(_ path: String) throws -> String {
            let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line -> [String: Any] in
                var row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                (row["chosen"], row["rejected"]) = (row["rejected"], row["chosen"])
                return row
            }
            return try writeJSONL(rows)
        }
        return (try swapped(data.train), try swapped(data.eval))
    }

    @Test(arguments: ["haf", "grm", "odin"])
    func learnsToRankAndSavesAReadableRewardModel(kind: String) throws {
        let data = try Self.dogPreferred()
        let c = try Self.configuration(kind: kind, train: data.train, eval: data.eval)
        let run = try TrainingSetup.prepare(c)
        guard case .sharedTrunkReward(let r) = run.trainer.mode else { Issue.record("\(kind): not the shared-trunk mode"); return }
        #expect((r.lengthHead != nil) == (kind == "odin"))
        let before = try #require(run.trainer.evaluate()["eval_accuracy"])
        var losses: [Float] = []
        try run.trainer.run { event in
            if case .step(_, _, let m) = event, let l = m[MetricName.loss] { losses.append(l) }
            return .continue
        }
        let after = try #require(run.trainer.evaluate()["eval_accuracy"])
        #expect(before < 0.75 && after >= 0.875, "\(kind): held-out accuracy \(before) → \(after)")
        #expect(losses.count == 12 && losses.suffix(3).reduce(0, +) / 3 < losses[0], "\(kind): losses \(losses)")
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        let folder = URL(fileURLWithPath: c.out).appendingPathComponent("model")
        try run.trainer.saveModel(p, to: folder)
        let loaded = try #require(try RewardModelLoader.load(folder: folder))
        #expect(loaded.head.score.weight.value.scalars == r.head.score.weight.value.scalars)
        let lengthFile = folder.appendingPathComponent(LengthDisentangledHeads.lengthFile)
        #expect(FileManager.default.fileExists(atPath: lengthFile.path) == (kind == "odin"))
        if let length = r.lengthHead {
            let saved = try SafeTensorsFile(url: lengthFile).loadAll()
            #expect(saved[LengthDisentangledHeads.lengthKey]?.scalars == length.score.weight.value.scalars)
        }
    }

    /// Stop at step 2 of 4 and resume: every trained weight — backbone, LM head, reward head and
    /// ODIN's length head — equals the uninterrupted run's bit for bit.
    @Test(arguments: ["haf", "odin"])
    func interruptAndResumeIsBitIdentical(kind: String) throws {
        let data = try syntheticPreferences(train: 8, heldOut: 2)
        func configuration(_ out: URL) throws -> TrainingConfiguration {
            var c = try Self.configuration(kind: kind, train: data.train, eval: data.eval)
            c.out = out.path
            (c.batchSize, c.gradientAccumulationSteps, c.maxSteps, c.learningRate, c.seed) = (2, 2, 4, 1e-3, 3)
            return c
        }
        let (a, b, step) = try interruptAndResume(stopAt: 2, configuration)
        #expect(step == 4)
        #expect(a.keys.filter { $0.hasSuffix("score.weight") }.count == (kind == "odin" ? 2 : 1) && a.keys.sorted() == b.keys.sorted(), "\(a.keys.sorted())")
        #expect(a.keys.filter { a[$0] != b[$0] }.isEmpty)
    }

    /// The folder is a `bradley-terry`-style reward model for every consumer: `eval rm` ranks the
    /// held-out pairs with it and `grpo --reward rm:DIR` trains with it.
    @Test(arguments: ["haf", "grm", "odin"])
    func savedFolderScoresLikeABradleyTerryFolder(kind: String) throws {
        let data = try Self.dogPreferred()
        let out = temporaryDirectory().path
        _ = try runCLI(["reward", "--kind", kind, "--model", try modelFolder().path, "--data", data.train, "--out", out, "--learning-rate", "3e-3",
                        "--batch-size", "8", "--max-steps", "12", "--seed", "1"])
        let rows = try String(contentsOfFile: data.eval, encoding: .utf8).split(separator: "\n").map { line -> String in
            String(line.dropLast()) + ", \"subset\": \"fox\"}"
        }
        let bench = temporaryDirectory().path + ".jsonl"
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: bench))
        let report = try runCLI(["eval", "rm", "--model", out + "/model", "--bench", bench, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.split(separator: "\n").last!.utf8)) as! [String: Any]
        let acc = try #require(json["pairAccuracy"] as? Double)
        #expect(acc >= 0.875, "\(kind): eval rm pair accuracy \(acc)")
        let prompts = try writeJSONL([["prompt": "the quick 3"]])
        let grpo = try runCLIStatus(["grpo", "--model", try modelFolder().path, "--prompts", prompts, "--reward", "rm:\(out)/model",
                                     "--max-completion-length", "2", "--max-steps", "1"])
        #expect(grpo.status == 0, "\(kind): \(grpo.stderr)")
    }

    /// Pairs whose chosen response is always one filler word longer than the rejected one (length
    /// a spurious cue), and held-out responses whose length is independent of the animal.
    static func lengthConfounded() throws -> (train: String, eval: String) {
        let words = ["the", "quick", "brown", "lazy", "tokens", "are", "credit", "jumps", "over"]
        func filler(_ k: Int) -> String { String(repeating: " very", count: k) }
        let train = (0 ..< 32).map { i -> [String: Any] in
            let k = i % 4
            return ["prompt": "\(words[i % words.count]) \(words[(i / 3) % words.count]) \(i % 7)",
                    "chosen": " the quick fox" + filler(k + 1), "rejected": " the lazy dog" + filler(k)]
        }
        let eval = (0 ..< 16).map { i -> [String: Any] in
            ["prompt": "\(words[(i + 4) % words.count]) \(words[i % 5]) \(i % 7 + 1)",
             "chosen": " the quick fox" + filler(i % 4), "rejected": " the lazy dog" + filler((i / 4) % 4)]
        }
        return (try writeJSONL(train), try writeJSONL(eval))
    }

    /// Pearson correlation of the head's score with the response length over every held-out response.
    static func lengthCorrelation(_ t: Trainer) throws -> Float {
        let set = try #require(t.eval)
        let b = BatchTensors(set.collate(padID: t.padID))
        let head = try #require(Self.head(t))
        let full = withoutGradients { RewardStep.headScores(policy: t.policy, head: head, batch: b).full.value }
        let r = (full * RewardStep.readout(ids: b.ids, padID: t.padID)).sum(axis: 1).scalars
        let l = b.mask.sum(axis: 1).scalars
        let mr = r.reduce(0, +) / Float(r.count), ml = l.reduce(0, +) / Float(l.count)
        let cov = zip(r, l).map { ($0 - mr) * ($1 - ml) }.reduce(0, +)
        let vr = r.map { ($0 - mr) * ($0 - mr) }.reduce(0, +), vl = l.map { ($0 - ml) * ($0 - ml) }.reduce(0, +)
        return cov / (vr * vl).squareRoot()
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func odinQualityHeadIgnoresASpuriousLengthCue(seed: UInt64) throws {
        let data = try Self.lengthConfounded()
        var rho: [String: Float] = [:], acc: [String: Float] = [:]
        for kind in ["bradley-terry", "odin"] {
            var c = try Self.configuration(kind: kind, train: data.train, eval: data.eval)
            c.maxSteps = 24
            c.seed = seed
            let run = try TrainingSetup.prepare(c)
            try run.trainer.run()
            rho[kind] = try Self.lengthCorrelation(run.trainer)
            acc[kind] = run.trainer.evaluate()["eval_accuracy"]
        }
        let bt = try #require(rho["bradley-terry"]), odin = try #require(rho["odin"])
        // Measured: ρ = −0.09, −0.04, −0.19 for ODIN's r_Q against 0.22, 0.30, 0.25 for Bradley–Terry
        // (seeds 1, 2, 3), r_Q still ranking ≥ 0.75 of the held-out pairs.
        #expect(abs(odin) < abs(bt), "ρ(score, length): odin \(odin), bradley-terry \(bt); accuracies \(acc)")
        #expect(try #require(acc["odin"]) >= 0.75, "odin's r_Q held-out accuracy \(acc)")
    }

    @Test func badSettingsExit64() throws {
        let model = try modelFolder().path
        let data = try syntheticPreferences(train: 4, heldOut: 2).train
        let common = ["reward", "--model", model, "--data", data, "--max-steps", "1"]
        for (args, message) in [(["--kind", "grm", "--alpha", "1.5"], "alpha"), (["--kind", "haf", "--alpha", "-0.1"], "alpha"),
                                (["--kind", "odin", "--token-level"], "exclude each other"), (["--kind", "grm", "--token-level"], "exclude each other"),
                                (["--kind", "grm", "--grm-regularizer", "kl"], "grm_regularizer"),
                                (["--kind", "haf", "--precompute-ref-log-probs"], "precompute-ref-log-probs"),
                                (["--kind", "odin", "--odin-length-weight", "-1"], "odin_length_weight"),
                                (["--kind", "odin", "--odin-orthogonality-weight", "nan"], "odin_orthogonality_weight")] {
            let r = try runCLIStatus(common + args)
            #expect(r.status == 64 && r.stderr.contains(message), "\(args): \(r.status) \(r.stderr)")
        }
    }
}
