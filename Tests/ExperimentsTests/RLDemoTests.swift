@testable import Experiments
import Foundation
import Objectives
import OnlineRL
import Testing

/// `tokenalign demo rl --quick`: the CreditBench stage and every method run, the table has every
/// method, and a second run from the first run's CreditBench folder gives the same numbers.
@Suite struct RLDemoTests {
    @Test func quickRunIsCompleteAndReproducible() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rl-demo-\(UUID().uuidString)")
        let s = RLDemoSettings.quick
        let a = try RLDemo.run(s, folder: base.appendingPathComponent("a"))
        #expect(a.rows.map(\.method) == s.methods)
        #expect(a.runs.count == s.methods.count * s.seeds.count)
        #expect(a.trainPrompts == s.trainPrompts && a.heldOutPrompts == a.startGreedy.count && a.heldOutPrompts > 0)
        for r in a.runs {
            #expect(r.greedyCorrect.count == a.heldOutPrompts && r.sampledCorrect.count == a.heldOutPrompts)
            #expect(r.sampledCorrect.allSatisfy { $0.count == s.evalSamples })
            #expect(r.curve.first?.completions == 0 && r.curve.count == (s.steps - 1) / s.evalEvery + 2)
            // The curve ends at the final measurement.
            #expect(r.curve.last?.greedyAccuracy == r.greedyCorrect.reduce(0, +) / Double(r.greedyCorrect.count))
            // The same budget: every method sampled steps × completions_per_step completions.
            #expect(r.sampledCompletions == s.steps * s.completionsPerStep, "\(r.method)")
            #expect(r.sampledTokens > 0 && r.kl.joined().allSatisfy(\.isFinite))
            if r.wrongRollouts > 0 { #expect((0 ... 1).contains(r.advantageTop1) && r.advantageTop1Chance > 0) }
        }
        // GRPO's advantage is one number per sequence: it localises exactly at chance.
        for r in a.runs where r.method == "grpo" && r.wrongRollouts > 0 { #expect(abs(r.advantageTop1 - r.advantageTop1Chance) < 1e-9) }
        for f in ["settings.json", "results.json", "report.md", "report.html", "credit/models/sft/model.safetensors", "credit/models/dpo/model.safetensors",
                  "data/train_prompts.jsonl", "data/eval_prompts.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        var again = s
        again.creditRun = base.appendingPathComponent("a/credit").path
        let b = try RLDemo.run(again, folder: base.appendingPathComponent("b"))
        #expect(a.startGreedy == b.startGreedy && a.startSampled == b.startSampled)
        #expect(a.runs.map(\.greedyCorrect) == b.runs.map(\.greedyCorrect))
        #expect(a.runs.map(\.sampledCorrect) == b.runs.map(\.sampledCorrect))
        #expect(a.runs.map(\.kl) == b.runs.map(\.kl))
        #expect(a.runs.map(\.curve) == b.runs.map(\.curve))
        #expect(a.runs.map(\.heatmaps) == b.runs.map(\.heatmaps))

        // Own baselines: ABC is paired with PPO on the same RM when that ran; here it did not.
        #expect(a.rows.first { $0.method == "abc" }?.baseline == nil)
        #expect(a.rows.first { $0.method == "grpo" }?.baseline == nil)

        // Two runs of parts of the methods combine into the whole table.
        func part(_ methods: [String]) -> RLDemoResult {
            var r = a
            r.settings.methods = methods
            r.runs = a.runs.filter { methods.contains($0.method) }
            return r
        }
        let combined = try RLDemo.combine([part(["grpo", "ppo-token-credit"]), part(["grpo", "rto", "abc", "oreal", "thr", "quark"])])
        #expect(combined.settings.methods == s.methods)
        #expect(combined.rows.map(\.sampledAccuracy) == a.rows.map(\.sampledAccuracy))
        #expect(combined.rows.map(\.sampledDifference) == a.rows.map(\.sampledDifference))
        var tampered = part(["grpo"])
        tampered.runs[0].sampledCorrect[0][0] = 1 - tampered.runs[0].sampledCorrect[0][0]
        #expect { try RLDemo.combine([a, tampered]) } throws: { "\($0)".contains("differs") }
        var otherBudget = part(["grpo"])
        otherBudget.settings.steps += 1
        #expect(throws: DemoError.self) { try RLDemo.combine([a, otherBudget]) }

        // A credit run without the model a method reads is refused before anything trains.
        let missing = base.appendingPathComponent("missing")
        try FileManager.default.createDirectory(at: missing.appendingPathComponent("models"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: base.appendingPathComponent("a/credit/settings.json"), to: missing.appendingPathComponent("settings.json"))
        var lacking = s
        lacking.creditRun = missing.path
        lacking.methods = ["grpo", "rto"]
        #expect { try RLDemo.run(lacking, folder: base.appendingPathComponent("c")) } throws: { "\($0)".contains("models/dpo") }
    }

    /// Every method the demo offers sets up a run the trainer accepts: valid settings, registered
    /// estimator, policy loss and reward functions, one weight per reward, and every auxiliary model it
    /// declares in `needs` is one it reads (checked before anything trains).
    @Test func everyMethodConfiguresAValidRun() throws {
        let inputs = RLDemoInputs(creditRun: URL(fileURLWithPath: "/credit"))
        let settings = RLDemoSettings()
        for m in RLDemo.methods {
            let c = RLDemo.configuration(m, seed: 0, settings: settings, inputs: inputs, sftPath: "/credit/models/sft",
                                         trainPath: URL(fileURLWithPath: "/train.jsonl"), maxCompletionLength: 16)
            try c.validate()
            #expect(c.rolloutSize == settings.completionsPerStep, "\(m.label): the budget is the demo's")
            _ = try AdvantageEstimators.registry.entry(named: c.estimator)
            _ = try PolicyLosses.registry.entry(named: c.policyLoss)
            for r in c.rewards { _ = try RewardFunctions.registry.entry(named: String(r.prefix { $0 != ":" })) }
            if let w = c.rewardWeights { #expect(w.count == c.rewards.count, "\(m.label)") }
            for need in m.needs { #expect(c.rewards.contains { $0.hasSuffix("models/\(need)") }, "\(m.label) reads models/\(need)") }
            #expect(RLDemo.method(m.baseline) != nil, "\(m.label)'s baseline \(m.baseline)")
        }
        #expect(Set(RLDemo.methods.map(\.label)).count == RLDemo.methods.count)
        for label in ["thr", "quark", "fine-grained-rlhf"] { #expect(RLDemo.method(label) != nil) }
        // THR's two sides differ from the default only in p.
        func p(_ label: String) throws -> Float? {
            let m = try #require(RLDemo.method(label))
            return RLDemo.configuration(m, seed: 0, settings: settings, inputs: inputs, sftPath: "/credit/models/sft",
                                        trainPath: URL(fileURLWithPath: "/train.jsonl"), maxCompletionLength: 16).thrP
        }
        #expect(try p("thr") == nil && p("thr-exploit") == 0.5 && p("thr-explore") == -0.5)
    }

    @Test func settingsAreChecked() {
        var s = RLDemoSettings.quick
        for bad in [["ktae"], ["grpo", "nope"], ["grpo", "grpo"]] {
            s.methods = bad
            #expect(throws: DemoError.self, "\(bad)") { try s.validate() }
        }
        s = .quick
        s.completionsPerStep = 30
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.creditPreset = "huge"
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.numGenerations = 1
        s.completionsPerStep = 4
        #expect(throws: DemoError.self) { try s.validate() }
        #expect(throws: DemoError.self) { try RLDemoSettings.quick.overriding(with: ["stepz": 3], source: "x.yaml") }
    }
}
