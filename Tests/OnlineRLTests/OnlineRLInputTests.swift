// Bad online-RL settings are a clear error naming the file, line or setting (the commands' own
// tests are in TokenAlignCLITests/OnlineRLCommandTests).
import Datasets
import Foundation
import Testing
@testable import OnlineRL
import TestSupport

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
        c.model = try TestFiles.modelFolder().path
        c.prompts = try TestFiles.writeRows([["prompt": "1+2=", "task": "add"]])
        c.rewards = ["creditbench"]
        c.maxCompletionLength = 4
        return c
    }

    @Test func malformedPromptsNameTheLine() throws {
        var c = try base()
        let path = TestFiles.temporaryPath("bad.jsonl")
        try Data("{\"prompt\": \"1+2=\"}\n{\"prompt\": 5}\n".utf8).write(to: URL(fileURLWithPath: path))
        c.prompts = path
        expectError(c, mentions: ["\(path):2", "prompt"])
        try Data("{\"prompt\": \"1+2=\"}\n{not json\n".utf8).write(to: URL(fileURLWithPath: path))
        expectError(c, mentions: ["\(path):2"])
    }

    @Test func promptLongerThanTheContextIsRefused() throws {
        var c = try base()
        c.prompts = try TestFiles.writeRows([["prompt": "1+2="], ["prompt": String(repeating: "1+2+3+4+", count: 20)]])
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
}
