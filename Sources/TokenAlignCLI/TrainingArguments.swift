// Options shared by `sft`, `reward` and `dpo`. Every option is optional so that `--config run.yaml`
// supplies defaults and the flags given on the command line override them.
import ArgumentParser
import Datasets
import Foundation
import Models
import Training

struct TrainingArguments: ParsableArguments {
    @Option(help: "A Hugging Face model folder or a .gguf file.") var model: String?
    @Option(help: "A tokenizer.json or folder to use instead of the model's own.") var tokenizer: String?
    @Option(help: "Training data (TRL-format JSONL).") var data: String?
    @Option(help: "Evaluation data (JSONL); default: --eval-fraction of --data.") var evalData: String?
    @Option(help: "Fraction of --data held out for evaluation.") var evalFraction: Double?
    @Option(help: "Run folder: config.yaml, metrics.jsonl, checkpoints, the trained model.") var out: String?
    @Option(help: "Seed for data order, splits and initialisation.") var seed: UInt64?
    @Option(help: "A YAML file with any of the options (snake_case keys); flags override it.") var config: String?

    @Option(help: "Peak learning rate.") var learningRate: Float?
    @Option(help: "Schedule: constant, linear or cosine.") var schedule: String?
    @Option(help: "Warm-up steps.") var warmupSteps: Int?
    @Option(help: "AdamW weight decay.") var weightDecay: Float?
    @Option(help: "Clip the global gradient norm (0: off).") var maxGradNorm: Float?
    @Option(help: "Pairs or sequences per micro-batch.") var batchSize: Int?
    @Option(help: "Micro-batches per optimizer step.") var gradientAccumulation: Int?
    @Option(help: "Passes over the data.") var epochs: Int?
    @Option(help: "Stop after this many optimizer steps.") var maxSteps: Int?
    @Option(help: "Evaluate every N steps.") var evalSteps: Int?
    @Option(help: "Checkpoint every N steps.") var saveSteps: Int?

    @Option(help: "Longest prompt + completion in tokens.") var maxLength: Int?
    @Option(help: "Longest prompt in tokens.") var maxPromptLength: Int?
    @Option(help: "keep_start or keep_end.") var truncationMode: TruncationMode?
    @Flag(help: "Allow truncating rows over the limits (otherwise they are errors).") var truncate = false
    @Flag(help: "Do not append EOS to completions (for continuations cut at a length).") var noAppendEos = false
    @Flag(help: "Skip malformed rows (counted and reported) instead of failing.") var skipInvalidRows = false

    @Option(help: "LoRA rank (omit for full fine-tuning).") var loraRank: Int?
    @Option(help: "LoRA alpha.") var loraAlpha: Float?
    @Option(help: "LoRA dropout.") var loraDropout: Float?
    @Option(help: "Comma-separated LoRA target module names.") var loraTargets: String?

    @Option(help: "A step whose loss or gradient norm is NaN or infinite: stop the run (naming the step and rows) or skip the step.")
    var onNonfinite: NonFinitePolicy?

    @Option(help: "Resume from a checkpoint folder (or 'latest' in --out).") var resume: String?
    @Flag(help: "Only evaluate, do not train.") var evalOnly = false
    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false
    @Flag(help: "Print metrics as JSON (with --eval-only: one JSON object as the last line).") var json = false

    // Ranges are checked once, for flags and YAML alike, by `TrainingConfiguration.validate`
    // (called by `TrainingSetup.prepare`).

    /// The configuration file's values overridden by the flags given.
    func configuration(task: TrainingTask) throws -> TrainingConfiguration {
        var c = try config.map { try RunFolder.readConfiguration($0) } ?? TrainingConfiguration()
        c.task = task
        if let v = model { c.model = v }
        if let v = data { c.data = v }
        if let v = evalData { c.evalData = v }
        if let v = evalFraction { c.evalFraction = v }
        if let v = out { c.out = v }
        if let v = seed { c.seed = v }
        if let v = learningRate { c.learningRate = v }
        if let v = schedule { c.schedule = v }
        if let v = warmupSteps { c.warmupSteps = v }
        if let v = weightDecay { c.weightDecay = v }
        if let v = maxGradNorm { c.maxGradNorm = v }
        if let v = batchSize { c.batchSize = v }
        if let v = gradientAccumulation { c.gradientAccumulation = v }
        if let v = epochs { c.epochs = v }
        if let v = maxSteps { c.maxSteps = v }
        if let v = evalSteps { c.evalEvery = v }
        if let v = saveSteps { c.saveEvery = v }
        if let v = maxLength { c.maxLength = v }
        if let v = maxPromptLength { c.maxPromptLength = v }
        if let v = truncationMode { c.truncationMode = v }
        if truncate { c.truncate = true }
        if noAppendEos { c.appendEOS = false }
        if skipInvalidRows { c.skipInvalidRows = true }
        if let v = loraRank { c.loraRank = v }
        if let v = loraAlpha { c.loraAlpha = v }
        if let v = loraDropout { c.loraDropout = v }
        if let v = onNonfinite { c.onNonFinite = v }
        if let v = loraTargets { c.loraTargets = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        return c
    }
}

extension TruncationMode: ExpressibleByArgument {}
extension NonFinitePolicy: ExpressibleByArgument {}

/// Runs a prepared configuration: eval-only, or train with a progress bar, then save.
enum TrainingDriver {
    static func run(_ c: TrainingConfiguration, arguments a: TrainingArguments, label: String) throws {
        if a.allowLarge { ModelMemory.allowLarge = true }
        let tok = try a.tokenizer.map { try loadTokenizer($0) }
        // Dataset and training errors print as "Error: <file>:<line>: field '…': …" (no usage text).
        let prepared = try TrainingSetup.prepare(c, tokenizer: tok)
        let trainer = prepared.trainer
        for r in prepared.reports where !r.skipped.isEmpty || r.truncated > 0 {
            var msg = "data: \(r.rowsUsed) of \(r.rowsRead) rows used"
            if !r.skipped.isEmpty { msg += ", \(r.skipped.count) skipped (first: \(r.skipped[0]))" }
            if r.truncated > 0 { msg += ", \(r.truncated) truncated" }
            FileHandle.standardError.write(Data((msg + "\n").utf8))
        }
        if a.evalOnly {
            let metrics = trainer.evaluate()
            if a.json {
                print(try jsonLine(metrics))
            } else {
                for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
            }
            return
        }
        // Under mpirun every rank trains; rank 0 alone writes the run folder and prints.
        let lead = trainer.communicator.rank == 0
        // The run folder is locked from here to the saved model (RunLock); SIGINT / SIGTERM stop
        // after the current step with a final checkpoint (StopSignals, exit code 130 / 143).
        let lock = try lead && !c.out.isEmpty ? RunLock.acquire(URL(fileURLWithPath: c.out)) : nil
        defer { lock?.release() }
        StopSignals.install()
        if lead, !c.out.isEmpty { try RunFolder.prepare(URL(fileURLWithPath: c.out), configuration: c) }
        if let r = a.resume {
            let url = r == "latest" ? (c.out.isEmpty ? nil : Trainer.latestCheckpoint(in: URL(fileURLWithPath: c.out))) : URL(fileURLWithPath: r)
            guard let url else { throw TrainingError.checkpoint(path: c.out, reason: "--resume latest: no checkpoint-<step> folder here") }
            try trainer.resume(from: url)
        }
        let bar = ProgressLine(label: label)
        do {
            try trainer.run { event in
                guard lead else { return .continue }
                switch event {
                case .step(let s, let total, let m):
                    if a.json { print((try? jsonLine(m)) ?? "{}") } else { bar.update(s, of: total) }
                case .evaluation(_, let m):
                    if a.json { print((try? jsonLine(m)) ?? "{}") }
                case .checkpoint: break
                }
                return .continue
            }
        } catch {
            bar.finish()  // the error goes on its own line, not after the progress bar
            throw error
        }
        bar.finish()
        if !c.out.isEmpty {
            let dir = URL(fileURLWithPath: c.out)
            _ = try trainer.saveCheckpoint(in: dir)
            var p = prepared.pretrained
            p.tokenizer = prepared.tokenizer
            try trainer.saveModel(p, to: dir.appendingPathComponent("model"))
            if let e = trainer.eval.map({ _ in trainer.evaluate() }), lead { try RunFolder.appendMetrics(e, to: dir) }
        }
    }

    static func jsonLine(_ m: [String: Float]) throws -> String {
        let d = try JSONSerialization.data(withJSONObject: m.mapValues { Double($0) }, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: d, as: UTF8.self)
    }
}
