import Checkpoints
import Foundation
import TensorCore
import Testing
@testable import Training

/// Crash-safe runs, tested on the built `tokenalign` binary with the tiny fixture model
/// (docs/design/hardening.md §2): kill -9 anywhere inside checkpoint writing, SIGTERM, a second run
/// on a locked folder, a file-size limit during a save.
@Suite(.serialized) struct CrashSafetyTests {
    /// An SFT run of 4 steps with a checkpoint after every step.
    static func arguments(model: URL, data: String, out: URL, steps: Int = 4) -> [String] {
        ["sft", "--model", model.path, "--data", data, "--out", out.path, "--batch-size", "2", "--max-steps", "\(steps)",
         "--save-steps", "1", "--learning-rate", "1e-3", "--seed", "5", "--eval-fraction", "0"]
    }

    static func sftData() throws -> String {
        try writeJSONL((0 ..< 8).map { ["prompt": "count \($0)", "completion": " the quick fox \($0 % 3)"] })
    }

    /// Starts the binary with the checkpoint-pause hook; standard error is read by `waitFor`.
    final class Child {
        let process = Process()
        let stderr = Pipe()
        var text = ""

        init(_ args: [String], pauseMilliseconds: Int) throws {
            process.executableURL = try tokenalignExecutable()
            process.arguments = args
            var env = ProcessInfo.processInfo.environment
            env["TOKENALIGN_TEST_CHECKPOINT_PAUSE_MS"] = "\(pauseMilliseconds)"
            process.environment = env
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        /// Reads standard error until `marker` appears; false at end of output.
        func waitFor(_ marker: String) -> Bool {
            while !text.contains(marker) {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { return false }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return true
        }

        func finish() -> (status: Int32, stderr: String) {
            let rest = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, text + String(decoding: rest, as: UTF8.self))
        }
    }

    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    /// Every file of a checkpoint folder with its bytes.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            out[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return out
    }

    /// A checkpoint loads: its state names its step, both safetensors files parse and convert.
    static func loads(_ checkpoint: URL) throws -> Int {
        let (step, _) = try CheckpointFolder.state(of: checkpoint)
        for f in ["model.safetensors", "optimizer.safetensors"] {
            _ = try SafeTensorsFile(url: checkpoint.appendingPathComponent(f)).loadAll()
        }
        return step
    }

    /// kill -9 at 22 seeded random points inside checkpoint writes (the hook pauses after each
    /// file): every time the newest checkpoint loads, no half-written folder is taken for one, and
    /// resuming from it ends with the uninterrupted run's final model, bit for bit.
    @Test func killNineDuringCheckpointWritesResumesBitExact() throws {
        let model = try modelFolder(), data = try Self.sftData()
        let reference = temporaryDirectory()
        let straight = try runTokenAlign(Self.arguments(model: model, data: data, out: reference))
        try #require(straight.status == 0, "\(straight.stderr)")
        let expected = try Self.bytes(reference.appendingPathComponent("model/model.safetensors"))
        var seeded = RandomGenerator(seed: 0xC0FFEE)  // the same kill points every run
        var killedInside = 0
        for trial in 0 ..< 22 {
            let out = temporaryDirectory()
            let step = 2 + Int(seeded.next() % 3)  // checkpoint 2, 3 or 4: an earlier one exists
            let delayMicroseconds = UInt32(seeded.next() % 75_000)  // within the three 25 ms pauses
            let child = try Child(Self.arguments(model: model, data: data, out: out), pauseMilliseconds: 25)
            try #require(child.waitFor("checkpoint-write-begin \(step)\n"), "trial \(trial): \(child.text)")
            usleep(delayMicroseconds)
            kill(child.process.processIdentifier, SIGKILL)
            let killed = child.finish()
            #expect(child.process.terminationReason == .uncaughtSignal && killed.status == SIGKILL, "trial \(trial): \(killed)")
            let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
            if names.contains(where: { $0.hasPrefix(".checkpoint-\(step).tmp-") }) { killedInside += 1 }
            let latest = try #require(Trainer.latestCheckpoint(in: out), "trial \(trial): no checkpoint in \(names)")
            let loadedStep = try Self.loads(latest)
            #expect(loadedStep == step || loadedStep == step - 1, "trial \(trial): killed in checkpoint \(step), latest is \(loadedStep)")
            let resumed = try runTokenAlign(Self.arguments(model: model, data: data, out: out) + ["--resume", "latest"])
            #expect(resumed.status == 0, "trial \(trial): \(resumed.stderr)")
            #expect(try Self.bytes(out.appendingPathComponent("model/model.safetensors")) == expected,
                    "trial \(trial): resumed from \(latest.lastPathComponent), final model differs")
            let left = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".checkpoint-") }
            #expect(left.isEmpty, "trial \(trial): temporaries left \(left)")
        }
        // The pauses make the write long, so most kills land inside it (a half-written temporary).
        #expect(killedInside >= 11, "only \(killedInside) of 22 kills landed inside a checkpoint write")
    }

    /// SIGTERM during training: the run finishes the step, writes a checkpoint, names it and exits
    /// 143; resuming ends with the uninterrupted run's model.
    @Test func sigtermWritesAFinalCheckpointAndResumesExactly() throws {
        let model = try modelFolder(), data = try Self.sftData()
        let reference = temporaryDirectory()
        try #require(try runTokenAlign(Self.arguments(model: model, data: data, out: reference)).status == 0)
        let out = temporaryDirectory()
        let child = try Child(Self.arguments(model: model, data: data, out: out), pauseMilliseconds: 100)
        try #require(child.waitFor("checkpoint-write-begin 2\n"))
        kill(child.process.processIdentifier, SIGTERM)
        let r = child.finish()
        #expect(r.status == 143, "\(r)")
        #expect(r.stderr.contains("SIGTERM at step 2: wrote \(out.appendingPathComponent("checkpoint-2").path); continue with --resume latest"), "\(r.stderr)")
        #expect(Trainer.latestCheckpoint(in: out)?.lastPathComponent == "checkpoint-2")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path), "an interrupted run saved a final model")
        let resumed = try runTokenAlign(Self.arguments(model: model, data: data, out: out) + ["--resume", "latest"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.bytes(out.appendingPathComponent("model/model.safetensors"))
                == (try Self.bytes(reference.appendingPathComponent("model/model.safetensors"))))
    }

    /// A second run on a folder another live run holds is refused naming the holder's pid; once
    /// that run is killed (-9) its lock is taken over.
    @Test func secondRunOnALockedFolderIsRefusedAndAStaleLockTakenOver() throws {
        let model = try modelFolder(), data = try Self.sftData()
        let out = temporaryDirectory()
        let first = try Child(Self.arguments(model: model, data: data, out: out), pauseMilliseconds: 400)
        try #require(first.waitFor("checkpoint-write-begin 1\n"))
        let second = try runTokenAlign(Self.arguments(model: model, data: data, out: out))
        #expect(second.status == 1, "\(second)")
        #expect(second.stderr.contains("\(out.appendingPathComponent(".lock").path): the run folder is in use by pid \(first.process.processIdentifier) on"),
                "\(second.stderr)")
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.finish()
        let label = try String(contentsOf: out.appendingPathComponent(".lock"), encoding: .utf8)
        #expect(label.hasPrefix("pid \(first.process.processIdentifier) "))
        let third = try runTokenAlign(Self.arguments(model: model, data: data, out: out))
        #expect(third.status == 0, "\(third.stderr)")
    }

    /// A file-size limit (RLIMIT_FSIZE via the shell's `ulimit -f`, SIGXFSZ ignored) below the
    /// size of a checkpoint's weights: the save fails with an error naming the checkpoint and the
    /// file, exit 1, and the previous checkpoint is byte for byte what it was.
    @Test func fileSizeLimitDuringASaveLeavesThePreviousCheckpointIntact() throws {
        let model = try modelFolder(), data = try Self.sftData()
        let out = temporaryDirectory()
        let first = try runTokenAlign(Self.arguments(model: model, data: data, out: out, steps: 2))
        try #require(first.status == 0, "\(first.stderr)")
        let previous = out.appendingPathComponent("checkpoint-2")
        let before = try Self.snapshot(previous)
        let weights = try #require(before["model.safetensors"]).count
        let limitKB = weights / 1024 / 2  // half of the weights file
        let exe = try tokenalignExecutable().path
        let quoted = (Self.arguments(model: model, data: data, out: out, steps: 4) + ["--resume", "latest"]).map { "'\($0)'" }
        let script = "ulimit -f \(limitKB); trap '' XFSZ; exec '\(exe)' \(quoted.joined(separator: " "))"
        let r = try runProcess("/bin/bash", ["-c", script], timeout: 60)
        #expect(r.status == 1, "\(r)")
        let checkpoint3 = out.appendingPathComponent("checkpoint-3").path
        #expect(r.stderr.contains("\(checkpoint3): writing model.safetensors failed"), "\(r.stderr)")
        #expect(r.stderr.contains("the previous checkpoints are untouched"), "\(r.stderr)")
        #expect(try Self.snapshot(previous) == before)
        #expect(Trainer.latestCheckpoint(in: out)?.lastPathComponent == "checkpoint-2")
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".checkpoint-") }
        #expect(left.isEmpty, "temporaries left: \(left)")
    }
}
