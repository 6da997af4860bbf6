import Foundation
import OnlineRL
@testable import TokenAlignCLI
import Training
import Tokenizers
import Datasets
import Decoding

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ta-rl-\(UUID().uuidString)-\(name)").path
}

/// The tiny fixture Llama (2 layers, 64 positions) with the committed dataset tokenizer.
func tinyModelFolder() throws -> URL {
    let dir = URL(fileURLWithPath: temporaryPath("model"))
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("models/llama/\(f)"), to: dir.appendingPathComponent(f))
    }
    for f in ["tokenizer.json", "tokenizer_config.json"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("datasets/tokenizer/\(f)"), to: dir.appendingPathComponent(f))
    }
    return dir
}

func runCommand(_ args: [String]) throws {
    var cmd = try TokenAlignCommand.parseAsRoot(args)
    try cmd.run()
}

func writeLines(_ rows: [[String: Any]]) throws -> String {
    let path = temporaryPath("rows.jsonl")
    var out = Data()
    for r in rows {
        out.append(try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]))
        out.append(UInt8(ascii: "\n"))
    }
    try out.write(to: URL(fileURLWithPath: path))
    return path
}

/// One-digit addition (CreditBench `add`): a tiny Llama fine-tuned for 40 steps answers about 44% of
/// a separately drawn prompt set correctly, greedy (the sets overlap: there are 100 problems). Built
/// once per process.
struct AdditionSetup: @unchecked Sendable {
    let sftModel: String
    let trainPrompts: String
    let evalPrompts: String

    static let shared: Result<AdditionSetup, Error> = Result {
        let base = try tinyModelFolder()
        let sft = temporaryPath("sft.jsonl"), train = temporaryPath("train.jsonl"), eval = temporaryPath("eval.jsonl")
        try runCommand(["data", "make", "--task", "add", "--digits", "1", "--kind", "sft", "--n", "400", "--seed", "1", "--out", sft])
        try runCommand(["data", "make", "--task", "add", "--digits", "1", "--kind", "prompts", "--n", "64", "--seed", "2", "--out", train])
        try runCommand(["data", "make", "--task", "add", "--digits", "1", "--kind", "prompts", "--n", "64", "--seed", "3", "--out", eval])
        var c = TrainingConfiguration()
        c.task = .sft
        c.model = base.path
        c.data = sft
        c.maxSteps = 40
        c.batchSize = 16
        c.learningRate = 3e-3
        c.schedule = "constant"
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let folder = URL(fileURLWithPath: temporaryPath("sft-model"))
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        try run.trainer.saveModel(p, to: folder)
        return AdditionSetup(sftModel: folder.path, trainPrompts: train, evalPrompts: eval)
    }

    /// The GRPO settings the learning tests use.
    func configuration(steps: Int) -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = sftModel
        c.prompts = trainPrompts
        c.evalPrompts = evalPrompts
        c.rewards = ["creditbench"]
        c.maxCompletionLength = 6
        c.stop = ["\n"]
        c.learningRate = 3e-4
        c.promptsPerStep = 8
        c.numGenerations = 8
        c.perDeviceTrainBatchSize = 32
        c.maxSteps = steps
        c.seed = 7
        return c
    }
}

/// Runs `c` for `split` steps, saves a checkpoint, and builds a fresh trainer resumed from it (not
/// yet run on to `c.maxSteps`): the exact-resume tests compare it with an uninterrupted run.
func resumedTrainer(_ c: OnlineRLConfiguration, split: Int) throws -> (first: OnlineRLTrainer, resumed: OnlineRLTrainer, checkpoint: URL) {
    var first = c
    first.maxSteps = split
    first.out = temporaryPath("run")
    let a = try OnlineRLSetup.prepare(first).trainer
    try a.run()
    let checkpoint = try a.saveCheckpoint(in: URL(fileURLWithPath: first.out))
    var second = c
    second.out = first.out
    let b = try OnlineRLSetup.prepare(second).trainer
    try b.resume(from: checkpoint)
    return (a, b, checkpoint)
}

/// Completions of `texts` for prompts "x0", "x1", … (rows of `p.jsonl`), tokenised by `tokenizer`.
func makeCompletions(_ texts: [String], tokenizer: Tokenizer) -> [Completion] {
    texts.enumerated().map { i, t in
        Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: i + 1), text: "x\(i)", ids: tokenizer.encode("x\(i)")),
                   ids: tokenizer.encode(t), text: t, finishReason: .length)
    }
}
