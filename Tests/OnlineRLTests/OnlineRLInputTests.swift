// Bad input to the online-RL commands is a clear error naming the file, line or setting; and
// `tokenalign advantages` runs an estimator on stored rollouts.
import Datasets
import Foundation
import Testing
@testable import OnlineRL
@testable import TokenAlignCLI

@Suite struct OnlineRLInputTests {
    func expectError(_ c: OnlineRLConfiguration, mentions: [String]) {
        do {
            _ = try OnlineRLSetup.prepare(c)
            Issue.record("accepted: \(mentions)")
        } catch {
            for m in mentions { #expect("\(error)".contains(m), "\(error) should mention \(m)") }
        }
    }

    func base() throws -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = try tinyModelFolder().path
        c.prompts = try writeLines([["prompt": "1+2=", "task": "add"]])
        c.rewards = ["creditbench"]
        c.maxCompletionLength = 4
        return c
    }

    @Test func malformedPromptsNameTheLine() throws {
        var c = try base()
        let path = temporaryPath("bad.jsonl")
        try Data("{\"prompt\": \"1+2=\"}\n{\"prompt\": 5}\n".utf8).write(to: URL(fileURLWithPath: path))
        c.prompts = path
        expectError(c, mentions: ["\(path):2", "prompt"])
        try Data("{\"prompt\": \"1+2=\"}\n{not json\n".utf8).write(to: URL(fileURLWithPath: path))
        expectError(c, mentions: ["\(path):2"])
    }

    @Test func promptLongerThanTheContextIsRefused() throws {
        var c = try base()
        c.prompts = try writeLines([["prompt": "1+2="], ["prompt": String(repeating: "1+2+3+4+", count: 20)]])
        c.maxCompletionLength = 8
        expectError(c, mentions: [":2", "positions"])
    }

    @Test func settingsAreChecked() throws {
        var c = try base()
        c.numGenerations = 1
        expectError(c, mentions: ["num_generations", "grpo"])
        c = try base(); c.learningRate = .nan
        expectError(c, mentions: ["learning_rate"])
        c = try base(); c.miniBatchSize = 3
        expectError(c, mentions: ["mini_batch_size"])
        c = try base(); c.rewards = []
        expectError(c, mentions: ["reward"])
        c = try base(); c.estimator = "nope"
        expectError(c, mentions: ["nope", "grpo"])
        c = try base(); c.policyLoss = "nope"
        expectError(c, mentions: ["nope", "ppo"])
        c = try base(); c.rewardWeights = [1, 2]
        expectError(c, mentions: ["reward-weights"])
    }

    @Test func advantagesCommandMatchesGRPOByHand() throws {
        // One group of three: rewards 1, 0, 2 → mean 1, unbiased std 1, A = (R − 1)/(1 + 1e-4).
        let input = try writeLines([
            ["group": "a", "response_mask": [1, 1, 0], "reward": 1],
            ["group": "a", "response_mask": [1, 1, 1], "reward": 0],
            ["group": "a", "response_mask": [1], "reward": 2],
        ])
        let out = temporaryPath("adv.jsonl")
        try runCommand(["advantages", "--estimator", "grpo", "--input", input, "--out", out])
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let adv = rows.map { ($0["advantages"] as? [Double]) ?? [] }
        let e = 1.0 / (1 + 1e-4)
        #expect(adv.count == 3 && adv[0].count == 3 && adv[2].count == 1)
        #expect(abs(adv[0][0]) < 1e-6 && abs(adv[0][1]) < 1e-6)
        #expect(abs(adv[1][0] + e) < 1e-5 && abs(adv[1][2] + e) < 1e-5)
        #expect(abs(adv[2][0] - e) < 1e-5)
        #expect(adv[0][2] == 0, "masked positions carry no advantage")

        let bad = try writeLines([["response_mask": [1, 2], "reward": 1]])
        #expect(throws: (any Error).self) { try runCommand(["advantages", "--input", bad, "--out", out]) }
        let missing = try writeLines([["response_mask": [1]]])
        #expect(throws: (any Error).self) { try runCommand(["advantages", "--input", missing, "--out", out]) }
    }

    /// A prompt row without the column a reward function reads is bad data (exit code 65) naming
    /// the file, the line and the column, not a generic failure (exit 1).
    @Test func rowsLackingARewardColumnExit65NamingFileLineAndColumn() throws {
        let model = try tinyModelFolder().path
        let cases: [([[String: Any]], String, String)] = [
            ([["prompt": "a b", "answer": "c"], ["prompt": "d e"]], "exact-match", "answer"),
            ([["prompt": "1+2=", "task": "add"], ["prompt": "3+4="]], "creditbench", "task"),
        ]
        for (rows, reward, column) in cases {
            let prompts = try writeLines(rows)
            do {
                try runCommand(["grpo", "--model", model, "--prompts", prompts, "--reward", reward, "--max-completion-length", "2",
                                "--max-steps", "1", "--prompts-per-step", "2", "--num-generations", "2"])
                Issue.record("\(reward): a row without '\(column)' was accepted")
            } catch {
                #expect(error as? DatasetError == .missingField(RowLocation(file: prompts, line: 2), field: column), "\(error)")
                #expect(ExitCodes.code(for: error) == 65)
                #expect("\(error)" == "\(prompts):2: field '\(column)' is missing")
            }
        }
    }

    @Test func grpoCommandWritesARunFolderWithTRLMetricNames() throws {
        let setup = try AdditionSetup.shared.get()
        let out = temporaryPath("grpo")
        try runCommand(["grpo", "--model", setup.sftModel, "--prompts", setup.trainPrompts, "--reward", "creditbench",
                        "--reward", "overlong:6,2", "--reward-weights", "1,0.1", "--max-completion-length", "6", "--stop", "\n",
                        "--max-steps", "2", "--prompts-per-step", "2", "--num-generations", "4", "--out", out, "--save-steps", "1"])
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let m = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for k in ["reward", "reward_std", "frac_reward_zero_std", "rewards/creditbench/mean", "rewards/overlong/mean",
                  "completions/mean_length", "completions/clipped_ratio", "clip_ratio/region_mean", "loss", "grad_norm", "entropy"] {
            #expect(m[k] != nil, "metrics.jsonl lacks \(k)")
        }
        for f in ["config.yaml", "checkpoint-1", "checkpoint-2", "model/config.json", "model/model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "run folder lacks \(f)")
        }
        // Resuming the finished run from checkpoint-1 reproduces step 2's metrics.
        try runCommand(["grpo", "--config", out + "/config.yaml", "--out", out + "-resumed", "--resume", out + "/checkpoint-1"])
        let resumed = try String(contentsOfFile: out + "-resumed/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Double])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(resumed[0].utf8)) as? [String: Double])
        for k in ["reward", "loss", "grad_norm"] { #expect(a[k] == b[k], "\(k): \(a[k] ?? .nan) vs \(b[k] ?? .nan)") }
    }
}
