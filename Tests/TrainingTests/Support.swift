import Foundation
import Models
import TestSupport
import Tokenizers
@testable import Training

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A temporary model folder: weights from `weights` (a fixture folder) and the committed dataset tokenizer.
func modelFolder(_ weights: String = "models/llama") throws -> URL { try TestFiles.modelFolder(weights) }

func temporaryDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("ta-run-\(UUID().uuidString)")
}

func writeJSONL(_ rows: [[String: Any]]) throws -> String { try TestFiles.writeRows(rows, name: "data.jsonl") }

/// A learnable synthetic preference task: whatever the prompt, the chosen completion mentions the
/// fox and the rejected one the dog. Train and held-out prompts differ.
func syntheticPreferences(train: Int, heldOut: Int) throws -> (train: String, eval: String) {
    let words = ["the", "quick", "brown", "lazy", "tokens", "are", "credit", "jumps", "over"]
    func rows(_ n: Int, offset: Int) -> [[String: Any]] {
        (0 ..< n).map { i in
            let k = i + offset
            let prompt = "\(words[k % words.count]) \(words[(k / 3) % words.count]) \(k % 7)"
            let chosen = k % 2 == 0 ? " the quick fox" : " quick brown fox"
            let rejected = k % 2 == 0 ? " the lazy dog" : " lazy brown dog"
            return ["prompt": prompt, "chosen": chosen, "rejected": rejected]
        }
    }
    return (try writeJSONL(rows(train, offset: 0)), try writeJSONL(rows(heldOut, offset: 100)))
}

/// Bit patterns of every parameter.
func parameterBits(_ t: Trainer) -> [String: [UInt32]] {
    t.policy.stateDict().mapValues { $0.scalars.map(\.bitPattern) }
}

/// The learning tests' preference run: the tiny model, β 0.1, lr 3e-3 constant, 12 steps of 8
/// pairs, seed 1.
func learningConfiguration(train: String, eval: String, loss: [String]) throws -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.task = .preference
    c.model = try modelFolder().path
    c.data = train
    c.evalData = eval
    c.loss = loss
    c.beta = 0.1
    c.learningRate = 3e-3
    c.schedule = "constant"
    c.batchSize = 8
    c.maxSteps = 12
    c.seed = 1
    return c
}

/// Runs a configuration (given its run folder) uninterrupted, then again stopped after `stopAt`
/// steps and resumed from that checkpoint: every trainable parameter's bit patterns for both runs,
/// and the resumed run's final step.
func interruptAndResume(stopAt: Int, _ configuration: (URL) throws -> TrainingConfiguration) throws
    -> (full: [String: [UInt32]], resumed: [String: [UInt32]], step: Int) {
    func bits(_ t: Trainer) -> [String: [UInt32]] { t.trainable.parameters().mapValues { $0.value.scalars.map(\.bitPattern) } }
    let full = try TrainingSetup.prepare(configuration(temporaryDirectory())).trainer
    try full.run()
    let dir = temporaryDirectory()
    let first = try TrainingSetup.prepare(configuration(dir)).trainer
    try first.run { event in
        if case .step(let s, _, _) = event, s == stopAt { return .stop }
        return .continue
    }
    let resumed = try TrainingSetup.prepare(configuration(dir)).trainer
    guard let checkpoint = try Trainer.latestCheckpoint(in: dir) else { throw TrainingError.invalidConfiguration("no checkpoint in \(dir.path)") }
    try resumed.resume(from: checkpoint)
    try resumed.run()
    return (bits(full), bits(resumed), resumed.step)
}
