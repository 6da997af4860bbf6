import Foundation
import Testing
@testable import Training

/// SIGTERM / SIGINT during `grpo`, `rloo` and `ppo` (docs/design/hardening.md §2), on the built binary and
/// the tiny fixture Llama: the step finishes, a checkpoint is written and named, the exit code is
/// 143 / 130, no final model is saved, and `--resume latest` ends with the uninterrupted run's
/// model byte for byte.
@Suite(.serialized) struct OnlineRLSignalTests {
    static func arguments(_ command: String, model: URL, prompts: String, out: URL) -> [String] {
        [command, "--model", model.path, "--prompts", prompts, "--reward", "regex:e", "--max-completion-length", "4",
         "--max-steps", "4", "--prompts-per-step", "2", "--save-steps", "1", "--seed", "5", "--out", out.path]
            + (command == "ppo" ? ["--num-iterations", "2"] : ["--num-generations", "2"])
    }

    @Test(arguments: [("grpo", SIGTERM), ("rloo", SIGINT), ("ppo", SIGINT)])
    func signalWritesAFinalCheckpointAndResumesExactly(_ command: String, _ signal: Int32) throws {
        let model = try modelFolder()
        let prompts = try writeJSONL((0 ..< 6).map { ["prompt": "count \($0) to"] })
        let reference = temporaryDirectory()
        let straight = try runTokenAlign(Self.arguments(command, model: model, prompts: prompts, out: reference))
        try #require(straight.status == 0, "\(straight.stderr)")
        let out = temporaryDirectory()
        let child = try CrashSafetyTests.Child(Self.arguments(command, model: model, prompts: prompts, out: out), pauseMilliseconds: 100)
        try #require(child.waitFor("checkpoint-write-begin 2\n"), "\(child.text)")
        kill(child.process.processIdentifier, signal)
        let r = child.finish()
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(r.status == (signal == SIGTERM ? 143 : 130), "\(r)")
        #expect(r.stderr.contains("\(name) at step 2: wrote \(out.appendingPathComponent("checkpoint-2").path); continue with --resume latest"), "\(r.stderr)")
        #expect(Trainer.latestCheckpoint(in: out)?.lastPathComponent == "checkpoint-2")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path), "an interrupted run saved a final model")
        let resumed = try runTokenAlign(Self.arguments(command, model: model, prompts: prompts, out: out) + ["--resume", "latest"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("model/model.safetensors"))
                == (try Data(contentsOf: reference.appendingPathComponent("model/model.safetensors"))))
    }
}
