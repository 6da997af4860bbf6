// `tokenalign demo rl-sentiment --quick` on SmolLM2-135M (skipped without the assets): every method
// runs with the same budget, the table and curves are complete, and a second run with the same
// seed gives the same results byte for byte (wall times aside). Also: every method configures a
// valid online-RL run, and bad settings are refused.
@testable import Experiments
import Foundation
import Objectives
import OnlineRL
import Testing

@Suite struct RLSentimentDemoTests {
    static var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The quick settings with the asset paths made absolute, or nil when the assets are missing.
    static func quickSettings() -> RLSentimentDemoSettings? {
        var s = RLSentimentDemoSettings.quick
        for k in [\RLSentimentDemoSettings.model, \.lexicon, \.corpus] {
            s[keyPath: k] = repoRoot.appendingPathComponent(s[keyPath: k]).path
            if !FileManager.default.fileExists(atPath: s[keyPath: k]) { return nil }
        }
        s.profanity = s.profanity.map { repoRoot.appendingPathComponent($0).path }
        return s
    }

    /// results.json with the wall times zeroed (everything else must repeat exactly).
    static func deterministicJSON(_ r: RLSentimentDemoResult) throws -> Data {
        var r = r
        r.wallSeconds = 0
        r.stages = r.stages.map { StageTime(stage: $0.stage, seconds: 0) }
        for i in r.runs.indices { r.runs[i].wallSeconds = 0 }
        for i in r.rows.indices { r.rows[i].wallSeconds = 0 }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(r)
    }

    @Test(.enabled(if: quickSettings() != nil, "SmolLM2 and the sentiment assets are missing: run scripts/fetch-assets.sh"))
    func quickRunIsCompleteAndReproducible() throws {
        let s = try #require(Self.quickSettings())
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rl-sentiment-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = try RLSentimentDemo.run(s, folder: base.appendingPathComponent("a"))
        #expect(a.rows.map(\.method) == s.methods)
        #expect(a.runs.count == s.methods.count * s.seeds.count)
        #expect(a.rewardModelPairs > 0 && a.sequenceRMAccuracy != nil && a.tokenRMError.map { $0.isFinite && $0 >= 0 } == true)
        #expect(abs(a.reference.kl.value) < 1e-6, "the reference is its own reference")
        for r in a.runs {
            // The same budget: every method sampled steps × completions_per_step continuations.
            #expect(r.sampledCompletions == s.steps * s.completionsPerStep, "\(r.method)")
            #expect(r.sampledTokens > 0 && r.sampledTokens <= r.sampledCompletions * s.maxNewTokens)
            #expect(r.curve.first?.completions == 0 && r.curve.count == (s.steps - 1) / s.evalEvery + 2, "\(r.method)")
            #expect(r.curve.last?.reward == r.evaluation.reward.value && r.curve.last?.completions == r.sampledCompletions)
            let e = r.evaluation
            #expect(e.rewardByPrompt?.count == a.testPrompts && e.rewardByPrompt?.allSatisfy { $0.count == s.evalSamples } == true)
            #expect(e.klByPrompt?.joined().allSatisfy(\.isFinite) == true && e.kl.value >= -1e-6)
            #expect(e.lexiconReward != nil && (0 ... 1).contains(e.distinct1) && e.referencePerplexity > 1, "\(r.method)")
            #expect((-1 - s.profanityWeight * Double(s.maxNewTokens) ... 1).contains(e.reward.value))
        }
        // Paired with GRPO: every other method has a difference, GRPO none; the PPO variants also against PPO.
        for row in a.rows {
            #expect((row.rewardDifference == nil) == (row.method == "grpo"), "\(row.method)")
            #expect((row.baseline == "ppo") == ["ppo-lexicon", "fine-grained-rlhf"].contains(row.method), "\(row.method)")
        }
        for f in ["settings.json", "results.json", "report.md", "report.html", "data/train_prompts.jsonl", "data/test_prompts.jsonl",
                  "data/pairs.jsonl", "models/token-rm/model.safetensors", "models/sequence-rm/model.safetensors", "runs/grpo-seed0-samples.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        let report = try String(contentsOf: base.appendingPathComponent("a/report.md"), encoding: .utf8)
        for m in s.methods { #expect(report.contains(m)) }

        let b = try RLSentimentDemo.run(s, folder: base.appendingPathComponent("b"))
        #expect(try Self.deterministicJSON(a) == Self.deterministicJSON(b), "same seed, same results")
    }

    /// Every method sets up a run the trainer accepts: valid settings, registered estimator, policy
    /// loss and reward functions, one weight per reward, the shared budget, and the reward models
    /// read exactly by the method that declares it needs them.
    @Test func everyMethodConfiguresAValidRun() throws {
        let inputs = RLSentimentInputs(tokenRM: "/run/models/token-rm", sequenceRM: "/run/models/sequence-rm")
        let settings = RLSentimentDemoSettings()
        for m in RLSentimentDemo.methods {
            let c = RLSentimentDemo.configuration(m, seed: 0, settings: settings, inputs: inputs, modelPath: "/smollm2.gguf",
                                                  trainPath: URL(fileURLWithPath: "/train.jsonl"))
            try c.validate()
            #expect(c.rolloutSize == settings.completionsPerStep, "\(m.label): the budget is the demo's")
            #expect(c.loraRank == settings.loraRank && c.maxSteps == settings.steps && c.maxCompletionLength == settings.maxNewTokens)
            #expect(c.rewards.first?.hasPrefix("sentiment:") == true, "\(m.label) reads the gold score")
            _ = try AdvantageEstimators.registry.entry(named: c.estimator)
            _ = try PolicyLosses.registry.entry(named: c.policyLoss)
            for r in c.rewards { _ = try RewardFunctions.registry.entry(named: String(r.prefix { $0 != ":" })) }
            if let w = c.rewardWeights { #expect(w.count == c.rewards.count, "\(m.label)") }
            #expect(m.needsRewardModels == c.rewards.contains { $0.contains("/run/models/") }, "\(m.label)")
            #expect(RLSentimentDemo.method(m.baseline) != nil, "\(m.label)'s baseline \(m.baseline)")
            #expect((c.estimator == "gae") == (m.label != "grpo"), "\(m.label)")
        }
        #expect(Set(RLSentimentDemo.methods.map(\.label)).count == RLSentimentDemo.methods.count)
        let lexicon = try #require(RLSentimentDemo.method("ppo-lexicon"))
        let c = RLSentimentDemo.configuration(lexicon, seed: 0, settings: settings, inputs: inputs, modelPath: "/m", trainPath: URL(fileURLWithPath: "/t"))
        #expect(c.rewards == [RLSentimentDemo.sentimentReward(settings), "lexicon:\(settings.lexicon)"])
        #expect(c.rewardWeights == [1, Float(settings.tokenRewardScale)])
    }

    @Test func settingsAreChecked() throws {
        var s = RLSentimentDemoSettings.quick
        for bad in [["ppo"], ["grpo", "nope"], ["grpo", "grpo"]] {
            s.methods = bad
            #expect(throws: DemoError.self, "\(bad)") { try s.validate() }
        }
        s = .quick
        s.completionsPerStep = 5
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.seeds = []
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.klCoef = -1
        #expect { try s.validate() } throws: { "\($0)".contains("kl_coef") }
        s = .quick
        s.numGenerations = 1
        #expect { try s.validate() } throws: { "\($0)".contains("num_generations") }
        #expect { try RLSentimentDemoSettings.quick.overriding(with: ["stepz": 3], source: "x.yaml") } throws: { "\($0)".contains("stepz") }
        s = .quick
        s.model = "/nonexistent/model.gguf"
        #expect { try RLSentimentDemo.run(s, folder: FileManager.default.temporaryDirectory.appendingPathComponent("ta-rls-\(UUID().uuidString)")) }
            throws: { "\($0)".contains("/nonexistent/model.gguf") }
    }
}
