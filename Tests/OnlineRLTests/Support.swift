// Helpers of the online-RL tests; the shared fixtures (files, the addition SFT model) are in
// TestSupport and TrainedFixtures.
import Foundation
import OnlineRL
import Tokenizers
import Datasets
import Decoding
import Training
import TestSupport
import TrainedFixtures

extension AdditionSetup {
    /// The learning tests' settings at a smaller scale: 4 prompts × 4 generations per step, one
    /// micro-batch.
    func smallConfiguration(steps: Int) -> OnlineRLConfiguration {
        var c = configuration(steps: steps)
        c.promptsPerStep = 4
        c.numGenerations = 4
        c.perDeviceTrainBatchSize = 16
        return c
    }
}

/// Runs `c` from the configuration and returns the trainer and each step's metrics.
func runLogging(_ c: OnlineRLConfiguration) throws -> (trainer: OnlineRLTrainer, metrics: [[String: Float]]) {
    let trainer = try OnlineRLSetup.prepare(c).trainer
    var logged: [[String: Float]] = []
    try trainer.run { event in
        if case .step(_, _, let m) = event { logged.append(m) }
        return .continue
    }
    return (trainer, logged)
}

/// Runs `c` for `split` steps, saves a checkpoint, and builds a fresh trainer resumed from it (not
/// yet run on to `c.maxSteps`): the exact-resume tests compare it with an uninterrupted run.
func resumedTrainer(_ c: OnlineRLConfiguration, split: Int) throws -> (first: OnlineRLTrainer, resumed: OnlineRLTrainer, checkpoint: URL) {
    var first = c
    first.maxSteps = split
    first.out = TestFiles.temporaryPath("run")
    let a = try OnlineRLSetup.prepare(first).trainer
    try a.run()
    let checkpoint = try a.saveCheckpoint(in: URL(fileURLWithPath: first.out))
    var second = c
    second.out = first.out
    let b = try OnlineRLSetup.prepare(second).trainer
    try b.resume(from: checkpoint)
    return (a, b, checkpoint)
}

/// Runs `c` for one step in a fresh folder named after `folder` and saves a checkpoint there: what a
/// run of another kind leaves behind, for the tests that a checkpoint missing some state is refused.
func oneStepCheckpoint(_ c: OnlineRLConfiguration, folder: String) throws -> (trainer: OnlineRLTrainer, checkpoint: URL) {
    var one = c
    one.maxSteps = 1
    one.out = TestFiles.temporaryPath(folder)
    let trainer = try OnlineRLSetup.prepare(one).trainer
    try trainer.run()
    return (trainer, try trainer.saveCheckpoint(in: URL(fileURLWithPath: one.out)))
}

/// Completions of `texts` for prompts "x0", "x1", … (rows of `p.jsonl`), tokenised by `tokenizer`.
func makeCompletions(_ texts: [String], tokenizer: Tokenizer) -> [Completion] {
    texts.enumerated().map { i, t in
        Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: i + 1), text: "x\(i)", ids: tokenizer.encode("x\(i)")),
                   ids: tokenizer.encode(t), text: t, finishReason: .length)
    }
}
