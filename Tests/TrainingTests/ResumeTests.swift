import Foundation
import Testing
@testable import Training

/// Same seed + resume from a checkpoint = the uninterrupted run, bit for bit (with gradient
/// accumulation, so the data order, the global normaliser and AdamW's state all have to round-trip).
@Suite struct TrainingResumeTests {
    func configuration(out: URL, lora: Bool, dropout: Float = 0) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try syntheticPreferences(train: 10, heldOut: 2).train
        c.out = out.path
        c.batchSize = 2
        c.gradientAccumulationSteps = 2
        c.maxSteps = 6
        c.learningRate = 1e-3
        c.warmupSteps = 2
        c.seed = 7
        if lora { c.loraRank = 4; c.loraDropout = dropout }
        return c
    }

    @Test(arguments: [(false, Float(0)), (true, 0), (true, 0.1)])
    func interruptAndResumeIsBitIdentical(_ lora: Bool, _ dropout: Float) throws {
        let full = try TrainingSetup.prepare(configuration(out: temporaryDirectory(), lora: lora, dropout: dropout)).trainer
        try full.run()

        let dir = temporaryDirectory()
        let c = try configuration(out: dir, lora: lora, dropout: dropout)
        let first = try TrainingSetup.prepare(c).trainer
        try first.run { event in
            if case .step(let s, _, _) = event, s == 3 { return .stop }
            return .continue
        }
        #expect(first.step == 3)
        let checkpoint = try #require(Trainer.latestCheckpoint(in: dir))
        #expect(checkpoint.lastPathComponent == "checkpoint-3")
        let resumed = try TrainingSetup.prepare(c).trainer
        try resumed.resume(from: checkpoint)
        try resumed.run()
        #expect(resumed.step == 6)
        let a = parameterBits(full), b = parameterBits(resumed)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "parameters differ after resume: \(differing.prefix(5))")
        // The run folder has the metrics of every step, with TRL's names and ours.
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        let m = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Double]
        for k in ["loss", "rewards/accuracies", "rewards/margins", "logps/chosen", "learning_rate", "grad_norm", "epoch", "step", "kl/per_token_k1", "token_rewards/chosen_mean"] {
            #expect(m[k] != nil, "metrics.jsonl lacks \(k)")
        }
    }
}

/// Bad rows fail the command with file, line and field.
@Suite struct CommandErrorTests {
    @Test func badRowNamesFileLineAndField() throws {
        let model = try modelFolder()
        let data = try writeJSONL([["prompt": "a", "chosen": " b", "rejected": " c"], ["prompt": "a", "chosen": " b"]])
        let message = try runCLIFailing(["dpo", "--model", model.path, "--data", data, "--eval-only", "--json"])
        #expect(message.contains("\(data):2"))
        #expect(message.contains("'rejected'"))
        let skipped = try runCLI(["dpo", "--model", model.path, "--data", data, "--eval-only", "--json", "--skip-invalid-rows"])
        #expect(skipped.split(separator: "\n").last?.hasPrefix("{") == true)
    }

    @Test func configFileMirrorsFlags() throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 4, heldOut: 2)
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).yaml")
        try "model: \(model.path)\ndata: \(data.train)\nloss: [sigmoid, ipo]\nloss_weights: [1, 0.5]\nbeta: 0.2\n".write(to: yaml, atomically: true, encoding: .utf8)
        let out = try runCLI(["dpo", "--config", yaml.path, "--eval-only", "--json"])
        let m = try JSONSerialization.jsonObject(with: Data(out.split(separator: "\n").last!.utf8)) as! [String: Double]
        #expect(m["eval_loss/ipo"] != nil && m["eval_loss/sigmoid"] != nil)
        let dir = temporaryDirectory()
        _ = try runCLI(["dpo", "--config", yaml.path, "--out", dir.path, "--max-steps", "2", "--batch-size", "2"])
        let written = try RunFolder.readConfiguration(dir.appendingPathComponent("config.yaml").path)
        #expect(written.loss == ["sigmoid", "ipo"] && written.beta == 0.2 && written.maxSteps == 2)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint-2/model.safetensors").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("model/model.safetensors").path))
    }
}

/// `--precompute-ref` writes the reference log-probs once and training with them equals training
/// with the live reference.
@Suite struct PrecomputedReferenceTests {
    @Test func cachedReferenceMatchesLiveReference() throws {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try syntheticPreferences(train: 6, heldOut: 2).train
        c.batchSize = 3
        c.maxSteps = 2
        func losses(_ t: Trainer) throws -> [Float] {
            var out: [Float] = []
            try t.run { e in
                if case .step(_, _, let m) = e { out += [m["loss"]!, m["rewards/margins"]!] }
                return .continue
            }
            return out
        }
        let live = try losses(try TrainingSetup.prepare(c).trainer)
        var p = c
        p.precomputeRefLogProbs = true
        p.out = temporaryDirectory().path
        let cached = try losses(try TrainingSetup.prepare(p).trainer)
        #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: p.out).appendingPathComponent("ref_logps.safetensors").path))
        #expect(zip(live, cached).allSatisfy { abs($0 - $1) < 1e-5 }, "live \(live) vs cached \(cached)")
        #expect(live.count == 4 && live[3] != 0)
        let again = try TrainingSetup.prepare(p).trainer
        #expect(again.loadReferenceCache(from: URL(fileURLWithPath: p.out)))
    }
}

/// `tokenalign dpo --resume latest` continues a run from its newest checkpoint.
@Suite struct CommandResumeTests {
    @Test func resumeLatestContinuesTheRun() throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 8, heldOut: 2).train
        let dir = temporaryDirectory()
        let common = ["dpo", "--model", model.path, "--data", data, "--out", dir.path, "--batch-size", "2", "--seed", "5"]
        _ = try runCLI(common + ["--max-steps", "2"])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint-2").path))
        _ = try runCLI(common + ["--max-steps", "4", "--resume", "latest"])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint-4").path))
        let steps = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double] }.compactMap { $0["step"] }
        #expect(steps == [1, 2, 3, 4])
    }
}
