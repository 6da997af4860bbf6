// `tokenalign grpo --policy-loss oreal`: the OREAL flags reach the run, the checkpoint holds the
// token RM, a resumed run reproduces the next step, and bad OREAL flags exit 64 naming the flag.
import Foundation
import TestSupport
import Testing
@testable import TokenAlignCLI
import TrainedFixtures

@Suite struct OREALCommandTests {
    @Test func grpoWithOREALWritesTheTokenRMAndResumes() throws {
        let setup = try AdditionSetup.shared.get()
        let out = TestFiles.temporaryPath("oreal")
        try run(["grpo", "--model", setup.sftModel, "--prompts", setup.trainPrompts, "--reward", "creditbench", "--max-completion-length", "6",
                 "--stop", "\n", "--max-steps", "2", "--prompts-per-step", "4", "--num-generations", "4", "--out", out, "--save-steps", "1",
                 "--estimator", "rloo", "--policy-loss", "oreal", "--beta", "0.01", "--negative-loss-factor", "0.4", "--token-level-rm-lr", "0.005"])
        let config = try String(contentsOfFile: out + "/config.yaml", encoding: .utf8)
        func value(_ key: String) -> Double? {
            config.split(separator: "\n").first { $0.hasPrefix(key + ": ") }.flatMap { Double($0.dropFirst(key.count + 2)) }
        }
        #expect(config.contains("policy_loss: oreal"))
        #expect(abs((value("negative_loss_factor") ?? 0) - 0.4) < 1e-6 && abs((value("token_level_rm_lr") ?? 0) - 0.005) < 1e-6, "\(config)")
        for f in ["checkpoint-1/token_level_rm.safetensors", "checkpoint-1/token_level_rm_optimizer.safetensors", "checkpoint-2/token_level_rm.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "run folder lacks \(f)")
        }
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let m = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Double])
        for k in ["oreal/token_rm_loss", "oreal/kept_samples", "kl"] { #expect(m[k] != nil, "metrics.jsonl lacks \(k)") }
        try run(["grpo", "--config", out + "/config.yaml", "--out", out + "-resumed", "--resume", out + "/checkpoint-1"])
        let resumed = try String(contentsOfFile: out + "-resumed/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let b = try #require(try JSONSerialization.jsonObject(with: Data(resumed[0].utf8)) as? [String: Double])
        for k in ["reward", "loss", "grad_norm", "oreal/token_rm_loss"] { #expect(m[k] == b[k], "\(k): \(m[k] ?? .nan) vs \(b[k] ?? .nan)") }

        for (flag, value) in [("--correct-threshold", "1"), ("--token-weight-rescale", "top"), ("--negative-loss-factor", "-1"), ("--actor-freeze-steps", "-2")] {
            do {
                try run(["grpo", "--model", setup.sftModel, "--prompts", setup.trainPrompts, "--reward", "creditbench", "--policy-loss", "oreal", flag, value])
                Issue.record("\(flag) \(value) was accepted")
            } catch {
                #expect(ExitCodes.code(for: error) == 64, "\(flag): \(error)")
                #expect("\(error)".contains(String(flag.dropFirst(2))) || "\(error)".contains(String(flag.dropFirst(2)).replacingOccurrences(of: "-", with: "_")), "\(flag): \(error)")
            }
        }
    }
}
