// A NaN at a chosen step of an online-RL run (in the loss, or from a reward function) stops the run
// with a report naming the step, the quantity and the prompt rows, before the step is applied or
// checkpointed: the last checkpoint is byte for byte what it was (docs/design/hardening.md §3).
import Autograd
import Datasets
import Foundation
import Testing
@testable import OnlineRL
import Training
import TestSupport

@Suite(.serialized) struct OnlineRLNonFiniteTests {
    /// GRPO on the tiny fixture Llama: 2 prompts per step, a checkpoint after every step.
    func configuration() throws -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = try TestFiles.modelFolder().path
        c.prompts = try TestFiles.writeRows((0 ..< 4).map { ["prompt": "count \($0) to"] })
        c.rewards = ["regex:e"]
        c.maxCompletionLength = 4
        c.promptsPerStep = 2
        c.numGenerations = 2
        c.maxSteps = 4
        c.saveSteps = 1
        c.seed = 3
        c.out = TestFiles.temporaryPath("nan-run")
        return c
    }

    /// Every file of a checkpoint with its bytes.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        try Dictionary(uniqueKeysWithValues: FileManager.default.contentsOfDirectory(atPath: dir.path).map {
            ($0, try Data(contentsOf: dir.appendingPathComponent($0)))
        })
    }

    /// Runs `trainer` expecting `TrainingError.nonFinite` at step 3; checkpoint-2 must be what it
    /// was when written, and there is no checkpoint-3.
    func expectStopAtStep3(_ trainer: OnlineRLTrainer, out: String, quantity: String) throws {
        var written: [String: Data] = [:]
        let checkpoint2 = URL(fileURLWithPath: out).appendingPathComponent("checkpoint-2")
        do {
            try trainer.run { event in
                if case .checkpoint(2, _) = event { written = (try? Self.snapshot(checkpoint2)) ?? [:] }
                return .continue
            }
            Issue.record("a NaN \(quantity) at step 3 was accepted")
        } catch let e as TrainingError {
            guard case .nonFinite(let step, let q, let value, let rows) = e else { Issue.record("\(e)"); return }
            #expect(step == 3 && q.hasPrefix(quantity) && value.isNaN, "\(e)")
            #expect(!rows.isEmpty && rows.allSatisfy { $0.file == trainer.configuration.prompts }, "\(rows)")
            #expect("\(e)".hasPrefix("step 3: \(quantity)"), "\(e)")
        }
        #expect(!written.isEmpty)
        #expect(try Self.snapshot(checkpoint2) == written, "checkpoint-2 changed")
        #expect(!FileManager.default.fileExists(atPath: out + "/checkpoint-3"))
        #expect(trainer.step == 2)
    }

    @Test func nanLossAtAChosenStepIsReportedAndTheCheckpointKept() throws {
        let c = try configuration()
        let trainer = try OnlineRLSetup.prepare(c).trainer
        trainer.lossInjection = { step, loss in step == 3 ? loss * Float.nan : loss }
        try expectStopAtStep3(trainer, out: c.out, quantity: "loss")
    }

    /// A reward function that returns NaN from the third step's completions on.
    final class NaNFromStep3: RewardFunction, @unchecked Sendable {
        var calls = 0
        var name: String { "nan-at-3" }
        func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
            calls += 1
            return completions.map { [Float](repeating: calls >= 3 ? .nan : 0.5, count: $0.ids.count) }
        }
    }

    @Test func nanRewardAtAChosenStepIsReportedWithItsRow() throws {
        let c = try configuration()
        let prepared = try OnlineRLSetup.prepare(c)
        let t = prepared.trainer
        let trainer = try OnlineRLTrainer(configuration: c, policy: t.policy, reference: t.reference, tokenizer: t.tokenizer, prompts: t.prompts,
                                          rewardFunctions: [NaNFromStep3()])
        trainer.outputDirectory = URL(fileURLWithPath: c.out)
        try FileManager.default.createDirectory(atPath: c.out, withIntermediateDirectories: true)
        try expectStopAtStep3(trainer, out: c.out, quantity: "reward nan-at-3")
    }
}
