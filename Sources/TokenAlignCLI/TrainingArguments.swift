// Options shared by `sft`, `reward` and `dpo`: the settings of `TrainingConfiguration.settings` as
// flags (merged over `--config run.yaml`), and the options that are not settings of the run.
import ArgumentParser
import Datasets
import Foundation
import Models
import Support
import Training

struct TrainingArguments: ParsableArguments {
    @Option(help: "A tokenizer.json or folder to use instead of the model's own.") var tokenizer: String?
    @Option(help: "A YAML file with any of the settings (snake_case keys); flags override it.") var config: String?
    @Option(help: "Resume from a checkpoint folder (or 'latest' in --out).") var resume: String?
    @Flag(help: "Only evaluate, do not train.") var evalOnly = false
    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false
    @Flag(help: "Print metrics as JSON (with --eval-only: one JSON object as the last line).") var json = false
    /// Every setting of `TrainingConfiguration.settings` as `--kebab-case value`, parsed against the
    /// table (unknown flags name the nearest one; the command's help lists them all).
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Settings as --flag value (listed below; the same as the snake_case keys of --config).",
                                                          valueName: "setting"))
    var settingFlags: [String] = []

    func validate() throws { try TrainingConfiguration.settings.checkFlags(settingFlags, on: TrainingConfiguration()) }

    // Ranges are checked once, for flags and YAML alike, by `TrainingConfiguration.validate`
    // (called by `TrainingSetup.prepare`).

    /// The configuration file's values overridden by the flags given.
    func configuration(task: TrainingTask) throws -> TrainingConfiguration {
        var c = try config.map { try RunFolder.readConfiguration($0) } ?? TrainingConfiguration()
        c.task = task
        try TrainingConfiguration.settings.apply(flags: settingFlags, to: &c)
        return c
    }

    /// The settings part of a training command's `--help`.
    static var settingsHelp: String {
        "Settings (flag, then its doc, [config key; default; requirement]); --config FILE sets any of them by key, and flags override the file:\n"
            + TrainingConfiguration.settings.help(defaults: TrainingConfiguration())
    }
}


/// Runs a prepared configuration: eval-only, or train with a progress bar, then save.
enum TrainingDriver {
    static func run(_ c: TrainingConfiguration, arguments a: TrainingArguments, label: String) throws {
        if a.allowLarge { ModelMemory.allowLarge = true }
        let tok = try a.tokenizer.map { try loadTokenizer($0) }
        // Dataset and training errors print as "Error: <file>:<line>: field '…': …" (no usage text).
        let prepared = try TrainingSetup.prepare(c, tokenizer: tok)
        var trainer = prepared.trainer
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
        if a.resume != nil, prepared.unlabelled != nil || prepared.peer != nil {
            throw SettingsError("--resume cannot continue a --self-train or --co-filter-rate run (their rounds and peer model are not checkpointed)")
        }
        if let r = a.resume {
            let url = r == "latest" ? (c.out.isEmpty ? nil : Trainer.latestCheckpoint(in: URL(fileURLWithPath: c.out))) : URL(fileURLWithPath: r)
            guard let url else { throw TrainingError.checkpoint(path: c.out, reason: "--resume latest: no checkpoint-<step> folder here") }
            try trainer.resume(from: url)
        }
        let bar = ProgressLine(label: label)
        let progress: (TrainingEvent) -> TrainingDisposition = { event in
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
        do {
            if let peer = prepared.peer {
                let report = try CoTeaching.run(first: trainer, peer: peer, rate: Double(c.coFilterRate ?? 0), progress: progress)
                if lead, !c.out.isEmpty {
                    var p = PretrainedModel(model: peer.policy, tokenizer: prepared.tokenizer, source: prepared.pretrained.source)
                    p.tokenizer = prepared.tokenizer
                    try peer.saveModel(p, to: URL(fileURLWithPath: c.out).appendingPathComponent("peer-model"))
                    let kept = report.keptForFirst.reduce(0, +), seen = report.seen.reduce(0, +)
                    FileHandle.standardError.write(Data("co-filter: the first model stepped on \(kept) of \(seen) pair draws\n".utf8))
                }
            } else if let unlabelled = prepared.unlabelled {
                trainer = try SelfTraining.run(first: trainer, unlabelled: unlabelled, rounds: c.selfTrainRounds ?? SelfTraining.defaultRounds,
                                               threshold: Double(c.confidenceThreshold ?? SelfTraining.defaultConfidenceThreshold), progress: progress)
            } else {
                try trainer.run(progress: progress)
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
        try JSONValue(foundation: m.mapValues { Double($0) }).written(.line)
    }
}

extension SettingsTable {
    /// Checks setting flags while ArgumentParser parses (from a `validate()`), so that an unknown
    /// flag (with the nearest name) or a value of the wrong type is a usage error, exit code 64.
    func checkFlags(_ flags: [String], on defaults: Root) throws {
        var scratch = defaults
        do { try apply(flags: flags, to: &scratch) } catch let e as SettingError { throw ValidationError(e.description) }
    }
}
