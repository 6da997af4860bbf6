import Autograd
import Datasets
import Foundation
import Testing
@testable import Training

/// A NaN or infinite loss or gradient norm is never applied: `on_nonfinite: stop` (default) ends
/// the run naming the step, the rows and the quantity without touching the last checkpoint;
/// `skip` drops the step and counts it.
@Suite struct NonFiniteGuardTests {
    func configuration(out: URL?, accumulation: Int = 1) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try syntheticPreferences(train: 8, heldOut: 2).train
        c.out = out?.path ?? ""
        c.batchSize = 2
        c.gradientAccumulationSteps = accumulation
        c.maxSteps = 6
        c.saveSteps = 2
        c.learningRate = 1e-3
        c.seed = 3
        return c
    }

    /// Every file of a folder with its bytes.
    func snapshot(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            out[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return out
    }

    @Test func nanLossStopsTheRunNamingStepRowsAndQuantity() throws {
        let dir = temporaryDirectory()
        let trainer = try TrainingSetup.prepare(configuration(out: dir)).trainer
        // Step 4 (index 3) gets a NaN loss; checkpoint-2 is the last good state on disk.
        trainer.lossInjection = { step, _, loss in step == 3 ? loss * Float.nan : loss }
        var checkpoint2: [String: Data] = [:]
        var afterStep3: [String: [UInt32]] = [:]
        var caught: (any Error)?
        do {
            try trainer.run { event in
                if case .checkpoint(2, let path) = event { checkpoint2 = (try? snapshot(URL(fileURLWithPath: path))) ?? [:] }
                if case .step(3, _, _) = event { afterStep3 = parameterBits(trainer) }
                return .continue
            }
        } catch {
            caught = error
        }
        guard case .nonFinite(let step, let quantity, let value, let rows) = caught as? TrainingError else {
            Issue.record("expected TrainingError.nonFinite, got \(String(describing: caught))")
            return
        }
        let expected = trainer.train.locations(trainer.microBatches(forStep: 3)[0])
        let message = "\(caught!)"
        #expect(step == 4 && quantity == "loss" && value.isNaN)
        #expect(rows == expected && !rows.isEmpty)
        #expect(message.contains("step 4: loss is nan") && expected.allSatisfy { message.contains($0.description) }, "\(message)")
        #expect(trainer.step == 3)
        #expect(parameterBits(trainer) == afterStep3, "the bad step changed parameters")
        #expect(Trainer.latestCheckpoint(in: dir)?.lastPathComponent == "checkpoint-2")
        #expect(!checkpoint2.isEmpty)
        #expect(try snapshot(dir.appendingPathComponent("checkpoint-2")) == checkpoint2)
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
    }

    /// A finite loss whose gradient overflows: the quantity is the gradient norm, and with
    /// accumulation the rows are those of the micro-batch that overflowed.
    @Test func infiniteGradientNormNamesItsMicroBatch() throws {
        let trainer = try TrainingSetup.prepare(configuration(out: nil, accumulation: 2)).trainer
        try trainer.trainStep(trainer.microBatches(forStep: 0))
        trainer.lossInjection = { _, micro, loss in micro == 1 ? loss * 1e38 : loss }
        let micro = trainer.microBatches(forStep: 1)
        #expect(micro.count == 2)
        var caught: (any Error)?
        do { try trainer.trainStep(micro) } catch { caught = error }
        guard case .nonFinite(_, let quantity, let value, let rows) = caught as? TrainingError else {
            Issue.record("expected TrainingError.nonFinite, got \(String(describing: caught))")
            return
        }
        #expect(quantity == "grad_norm" && !value.isFinite)
        #expect(rows == trainer.train.locations(micro[1]))
    }

    @Test func skipDropsTheStepAndCountsIt() throws {
        let dir = temporaryDirectory()
        var c = try configuration(out: dir)
        c.onNonfinite = .skip
        let trainer = try TrainingSetup.prepare(c).trainer
        try trainer.trainStep(trainer.microBatches(forStep: 0))
        trainer.step = 1
        // A skipped step changes neither the parameters nor the optimizer.
        trainer.lossInjection = { _, _, loss in loss * Float.infinity }
        let before = parameterBits(trainer), optimizerSteps = trainer.optimizer.stepCount
        let m = try trainer.trainStep(trainer.microBatches(forStep: 1))
        #expect(parameterBits(trainer) == before)
        #expect(trainer.optimizer.stepCount == optimizerSteps)
        #expect(m[Trainer.skippedNonFiniteMetric] == 1 && trainer.skippedNonFinite == 1)

        // Through `run`: step 3 is dropped, the run goes on to the end, every line is valid JSON.
        let run = try TrainingSetup.prepare(c).trainer
        run.lossInjection = { step, _, loss in step == 2 ? loss * Float.nan : loss }
        try run.run()
        #expect(run.step == 6 && run.skippedNonFinite == 1)
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let rows = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double]) }
        #expect(rows.map { $0["skipped_nonfinite"] } == [0, 0, 1, 1, 1, 1])
        #expect(rows[2]["loss"] == nil && rows[3]["loss"] != nil)
        // The count survives a checkpoint and resume.
        let resumed = try TrainingSetup.prepare(c).trainer
        try resumed.resume(from: dir.appendingPathComponent("checkpoint-4"))
        #expect(resumed.skippedNonFinite == 1)
    }
}

/// JSON has no NaN: writers name the file, the row and the field instead of Foundation's
/// "Invalid number value (nan) in JSON write".
@Suite struct NonFiniteOutputTests {
    @Test func metricsNameFileRowAndField() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try RunFolder.appendMetrics(["loss": 1, "step": 1], to: dir)
        let path = dir.appendingPathComponent("metrics.jsonl").path
        #expect(throws: JSONLWriteError.nonFinite(file: path, row: 2, field: "rewards/margins", value: .infinity, context: " (step 2)")) {
            try RunFolder.appendMetrics(["loss": 1, "rewards/margins": .infinity, "step": 2], to: dir)
        }
        #expect {
            try RunFolder.appendMetrics(["loss": .nan, "step": 2], to: dir)
        } throws: { error in
            "\(error)".hasPrefix("\(path):2: field 'loss' is nan")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 1)
    }
}
