import CreditBench
import Datasets
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
                  "data/train_prompts.jsonl", "data/eval_prompts.jsonl", "data/rewrites.jsonl", "auxiliary/rewrite-template.txt",
                  "auxiliary/rewriter/model.safetensors", "auxiliary/segment-rm/model.safetensors", "auxiliary/rewriter.json", "auxiliary/segment-rm.json"] {
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

        // The rewriter and the segment RM trained once each, in both runs, with the same held-out numbers.
        #expect(a.auxiliary?.map(\.budget.model) == [.rewriter, .segmentRM])
        #expect(a.auxiliary?.allSatisfy { !$0.reused && $0.rows > 0 && !$0.heldOut.isEmpty && $0.budget.steps == s.auxiliarySteps } == true)
        #expect(a.auxiliary?.map(\.heldOut) == b.auxiliary?.map(\.heldOut))
        #expect(a.stages.contains { $0.stage == "auxiliary rewriter" } && a.stages.contains { $0.stage == "auxiliary segment-rm" })
        try checkAuxiliary(s, run: base.appendingPathComponent("a"), trained: try #require(a.auxiliary))

        // Own baselines: ABC is paired with PPO on the same RM when that ran; here it did not.
        #expect(a.rows.first { $0.method == "abc" }?.baseline == nil)
        #expect(a.rows.first { $0.method == "grpo" }?.baseline == nil)
        // RLMEC's own objective is also paired with PPO on the same rewriter rewards (rlmec), which ran.
        let objective = try #require(a.rows.first { $0.method == "rlmec-objective" })
        #expect(objective.baseline == nil && objective.pairings?.map(\.method) == ["rlmec"])
        #expect(objective.pairings?.allSatisfy { $0.seedsAbove + $0.seedsBelow <= s.seeds.count } == true)
        #expect(a.rows.allSatisfy { $0.method == "rlmec-objective" || $0.pairings == nil })
        #expect(RLDemo.report(a).contains("Further paired comparisons"))
        // Its runs record the imitation term's metrics, and only its runs.
        for r in a.runs {
            if r.method == "rlmec-objective" {
                let m = try #require(r.updateTermMetrics)
                #expect((m["imitation/targets"] ?? 0) > 0 && (0 ... 1).contains(m["imitation/corrected_fraction"] ?? -1), "\(m)")
            } else {
                #expect(r.updateTermMetrics == nil, "\(r.method)")
            }
        }

        // Two runs of parts of the methods combine into the whole table.
        func part(_ methods: [String]) -> RLDemoResult {
            var r = a
            r.settings.methods = methods
            r.runs = a.runs.filter { methods.contains($0.method) }
            return r
        }
        let combined = try RLDemo.combine([part(["grpo", "ppo-token-credit"]), part(["grpo", "rto", "abc", "oreal", "thr", "quark", "rlmec", "segment-rm", "rlmec-objective"])])
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

    /// The models the quick run `run` trained: the rewriter's rows are the credit pairs' wrong answers
    /// with the verifier's correction, the segment RM records its threshold, and a finished model is
    /// reused for the same budget and not for another.
    func checkAuxiliary(_ s: RLDemoSettings, run: URL, trained: [RLDemoAuxiliaryRecord]) throws {
        let inputs = RLDemoInputs(creditRun: run.appendingPathComponent("credit"), auxiliary: run.appendingPathComponent("auxiliary"))
        let creditSettings = try readJSON(CreditDemoSettings.self, from: inputs.creditRun.appendingPathComponent("settings.json"))
        let task = try creditSettings.makeTask()
        let rows = try JSONLReader.read(run.appendingPathComponent("data/rewrites.jsonl").path)
        #expect(rows.count == trained[0].rows)
        for row in rows {
            let problem = try #require(row.object["problem"] as? String), prediction = try #require(row.object["prediction"] as? String)
            let rewrite = try #require(row.object["completion"] as? String)
            let example = try task.example(fromPrompt: problem)
            #expect(task.verify(rewrite, for: example).isCorrect && !task.verify(prediction, for: example).isCorrect)
            #expect(row.object["prompt"] as? String
                == RLMECRewriting.prompt(problem: problem, solution: example.answer, prediction: prediction, template: RLDemoAuxiliary.template))
        }
        #expect(RLMECRewriting.row(task, task.example(seed: 3, index: 0), prediction: task.example(seed: 3, index: 0).completion) == nil)
        let config = try String(contentsOfFile: inputs.trained(.segmentRM) + "/config.json", encoding: .utf8)
        #expect(config.contains("tokenalign_segment_entropy_threshold"))
        #expect(try String(contentsOfFile: inputs.rewriteTemplate, encoding: .utf8) == RLDemoAuxiliary.template)

        var timer = StageTimer()
        let again = try RLDemoAuxiliary.prepare([.rewriter, .segmentRM], settings: s, inputs: inputs, task: task, seed: creditSettings.seed,
                                                sftPath: inputs.model("sft"), runs: run.appendingPathComponent("runs"), timer: &timer, log: { _ in })
        #expect(again.allSatisfy(\.reused) && again.map(\.heldOut) == trained.map(\.heldOut) && again.map(\.budget) == trained.map(\.budget))
        for record in trained {
            let stamp = inputs.auxiliary.appendingPathComponent("\(record.budget.model.rawValue).json")
            var other = record.budget
            other.steps += 1
            #expect(RLDemoAuxiliary.finished(stamp, budget: other, folder: inputs.trained(record.budget.model)) == nil)
            #expect(RLDemoAuxiliary.finished(stamp, budget: record.budget, folder: "/nonexistent") == nil)
            #expect(RLDemoAuxiliary.finished(stamp, budget: record.budget, folder: inputs.trained(record.budget.model)) != nil)
        }
    }

    /// Every method the demo offers sets up a run the trainer accepts: valid settings, registered
    /// estimator, policy loss and reward functions, one weight per reward, and every auxiliary model it
    /// declares in `needs` is one it reads (checked before anything trains).
    @Test func everyMethodConfiguresAValidRun() throws {
        let inputs = RLDemoInputs(creditRun: URL(fileURLWithPath: "/credit"), auxiliary: URL(fileURLWithPath: "/rl/auxiliary"))
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
            for model in m.trains { #expect(c.rewards.contains { $0.contains(inputs.trained(model)) }, "\(m.label) reads \(model)") }
            #expect(RLDemo.method(m.baseline) != nil, "\(m.label)'s baseline \(m.baseline)")
        }
        #expect(Set(RLDemo.methods.map(\.label)).count == RLDemo.methods.count)
        for label in ["thr", "quark", "fine-grained-rlhf"] { #expect(RLDemo.method(label) != nil) }
        // RLMEC and the segment RM: PPO on the model the demo trains, paired with PPO.
        for (label, model) in [("rlmec", RLDemoAuxiliaryModel.rewriter), ("segment-rm", .segmentRM)] {
            let m = try #require(RLDemo.method(label))
            let c = RLDemo.configuration(m, seed: 0, settings: settings, inputs: inputs, sftPath: "/credit/models/sft",
                                         trainPath: URL(fileURLWithPath: "/train.jsonl"), maxCompletionLength: 16)
            #expect(m.trains == [model] && m.baseline == "ppo" && c.estimator == "gae" && c.rewards.count == 1)
        }
        // RLMEC's own objective: the same rewriter, its estimator and loss, the imitation term, a KL to
        // the SFT model as a loss instead of in the reward; paired with PPO and with rlmec.
        let own = try #require(RLDemo.method("rlmec-objective"))
        let oc = RLDemo.configuration(own, seed: 0, settings: settings, inputs: inputs, sftPath: "/credit/models/sft",
                                      trainPath: URL(fileURLWithPath: "/train.jsonl"), maxCompletionLength: 16)
        let rc = RLDemo.configuration(try #require(RLDemo.method("rlmec")), seed: 0, settings: settings, inputs: inputs,
                                      sftPath: "/credit/models/sft", trainPath: URL(fileURLWithPath: "/train.jsonl"), maxCompletionLength: 16)
        #expect(own.trains == [.rewriter] && own.baseline == "ppo" && own.alsoPairedWith == ["rlmec"])
        #expect(oc.estimator == "rlmec" && oc.policyLoss == "rlmec" && oc.rlmecImitationCoef == 1 && oc.beta == 0.05 && oc.klCoef == 0)
        #expect(oc.rewards == rc.rewards && oc.numIterations == rc.numIterations && oc.learningRate == rc.learningRate
                && oc.numGenerations == 1 && oc.promptsPerStep == rc.promptsPerStep)
        for m in RLDemo.methods { for other in m.alsoPairedWith { #expect(RLDemo.method(other) != nil, "\(m.label) pairs with \(other)") } }
        #expect(RLDemoAuxiliary.needed(by: ["segment-rm", "grpo", "rlmec", "rlmec"]) == [.rewriter, .segmentRM])
        #expect(RLDemoAuxiliary.needed(by: ["grpo", "ppo"]).isEmpty)
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
        s.segmentEntropyThreshold = -1
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.auxiliaryLearningRate = 0
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
