// `tokenalign advantages` runs an estimator on stored rollouts; `tokenalign grpo` refuses rows
// without the reward's column (exit 65, naming file, line and column) and writes a resumable run
// folder with TRL's metric names.
import Datasets
import OnlineRL
import Foundation
import TestSupport
import Testing
@testable import TokenAlignCLI
import TrainedFixtures

@Suite struct OnlineRLCommandTests {
    @Test func advantagesCommandMatchesGRPOByHand() throws {
        // One group of three: rewards 1, 0, 2 → mean 1, unbiased std 1, A = (R − 1)/(1 + 1e-4).
        let input = try TestFiles.writeRows([
            ["group": "a", "response_mask": [1, 1, 0], "reward": 1],
            ["group": "a", "response_mask": [1, 1, 1], "reward": 0],
            ["group": "a", "response_mask": [1], "reward": 2],
        ])
        let out = TestFiles.temporaryPath("adv.jsonl")
        try run(["advantages", "--estimator", "grpo", "--input", input, "--out", out])
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

        let bad = try TestFiles.writeRows([["response_mask": [1, 2], "reward": 1]])
        #expect(throws: (any Error).self) { try run(["advantages", "--input", bad, "--out", out]) }
        let missing = try TestFiles.writeRows([["response_mask": [1]]])
        #expect(throws: (any Error).self) { try run(["advantages", "--input", missing, "--out", out]) }
    }

    /// `advantages --estimator thr --model DIR` reproduces the trainer's THR advantages on the
    /// trainer's own first rollout batch: the command's no-grad pass over prompt + response gives
    /// the same hidden states and probability rows as the trainer's. Without --model, or with rows
    /// lacking prompt_ids, it says what is missing; --model with an estimator that reads no states
    /// is refused.
    @Test func advantagesCommandRunsTHRWithThePolicy() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 1)
        c.estimator = "thr"
        c.thrP = 0.5
        let (trainer, _) = try OnlineRLSetup.prepare(c)
        try trainer.run()
        let records = trainer.lastRollouts
        #expect(records.count == c.rolloutSize)
        let rows: [[String: Any]] = records.map { r in
            ["group": r.group, "response_mask": [Int](repeating: 1, count: r.ids.count), "token_rewards": r.rewards.map(Double.init),
             "prompt_ids": trainer.prompts[r.promptIndex].ids, "token_ids": r.ids]
        }
        let input = try TestFiles.writeRows(rows)
        let out = TestFiles.temporaryPath("thr-adv.jsonl")
        try run(["advantages", "--estimator", "thr", "--thr-p", "0.5", "--model", setup.sftModel, "--temperature", "\(c.temperature)",
                 "--input", input, "--out", out])
        let written = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        var steered = 0
        for (r, w) in zip(records, written) {
            let adv = try #require(w["advantages"] as? [Double])
            #expect(adv.count == r.advantages.count)
            for (a, b) in zip(adv, r.advantages) { #expect(abs(a - Double(b)) <= 1e-4 * max(1, abs(Double(b))), "\(adv) vs \(r.advantages)") }
            if Set(r.advantages).count > 1 { steered += 1 }
        }
        #expect(steered > 0, "p = 0.5 should steer some response's tokens apart")

        #expect(performing: { try run(["advantages", "--estimator", "thr", "--input", input, "--out", out]) },
                throws: { "\($0)".contains("--model") })
        #expect(performing: { try run(["advantages", "--estimator", "grpo", "--model", setup.sftModel, "--input", input, "--out", out]) },
                throws: { "\($0)".contains("--model") })
        let noPrompt = try TestFiles.writeRows([["group": 0, "response_mask": [1], "token_rewards": [1], "token_ids": [3]]])
        #expect(performing: { try run(["advantages", "--estimator", "thr", "--model", setup.sftModel, "--input", noPrompt, "--out", out]) },
                throws: { "\($0)".contains("prompt_ids") })
    }

    /// A prompt row without the column a reward function reads is bad data (exit code 65) naming
    /// the file, the line and the column, not a generic failure (exit 1).
    @Test func rowsLackingARewardColumnExit65NamingFileLineAndColumn() throws {
        let model = try TestFiles.modelFolder().path
        let cases: [([[String: Any]], String, String)] = [
            ([["prompt": "a b", "answer": "c"], ["prompt": "d e"]], "exact-match", "answer"),
            ([["prompt": "1+2=", "task": "add"], ["prompt": "3+4="]], "creditbench", "task"),
        ]
        for (rows, reward, column) in cases {
            let prompts = try TestFiles.writeRows(rows)
            do {
                try run(["grpo", "--model", model, "--prompts", prompts, "--reward", reward, "--max-completion-length", "2",
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
        let out = TestFiles.temporaryPath("grpo")
        try run(["grpo", "--model", setup.sftModel, "--prompts", setup.trainPrompts, "--reward", "creditbench",
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
        try run(["grpo", "--config", out + "/config.yaml", "--out", out + "-resumed", "--resume", out + "/checkpoint-1"])
        let resumed = try String(contentsOfFile: out + "-resumed/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Double])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(resumed[0].utf8)) as? [String: Double])
        for k in ["reward", "loss", "grad_norm"] { #expect(a[k] == b[k], "\(k): \(a[k] ?? .nan) vs \(b[k] ?? .nan)") }
    }

    @Test func unknownYAMLKeysAreErrors() throws {
        let path = TestFiles.temporaryPath("run.yaml")
        try Data("model: m\nlearning_rat: 0.1\n".utf8).write(to: URL(fileURLWithPath: path))
        do {
            try run(["grpo", "--config", path])
            Issue.record("a misspelt key was accepted")
        } catch {
            #expect("\(error)".contains("learning_rat"), "\(error)")
        }
    }
}
