// RLMEC's imitation regulariser in the loop (arXiv 2401.06081; docs/design/online-rl.md §18): the
// term's targets (a trained rewriter's greedy corrections, kept only when the verifier accepts them,
// weighted by the minimal edit; correct samples as they are), the loop's extra pass (micro-batches
// with the mini-batch's target count give the gradient of one pass over every target), a run from
// the configuration, and the settings' errors.
import Autograd
import CreditBench
import Datasets
import Foundation
import Models
import NN
import Objectives
import TensorCore
import Testing
import TestSupport
import Tokenizers
import TrainedFixtures
@testable import OnlineRL

@Suite(.serialized) struct RLMECImitationTests {
    /// A rewrite prompt that fits the fixture's 64 positions.
    static let template = "{problem}{solution}|{prediction}>"

    /// A rewriter for one-digit addition: the fixture Llama fine-tuned on 400 rewrite rows (the
    /// verifier's minimal edits of injected errors), once per process; and its template file.
    static let rewriter: Result<(folder: String, templateFile: String), Error> = Result {
        var knobs = TaskKnobs()
        knobs.digits = 1
        let task = try CreditTaskName.add.task(knobs)
        guard let rows = TokenLabelRows.rows(count: 400, tasks: [task], seed: 1, { RLMECRewriting.creditBenchRow($0, seed: $1, index: $2, template: RLMECImitationTests.template) })
        else { throw RewardError("no rewrite rows") }
        let tuned = try trainTinyModel(data: try TestFiles.writeRows(rows, name: "rewrites.jsonl"), steps: 120)
        let file = TestFiles.temporaryPath("rlmec-template.txt")
        try RLMECImitationTests.template.write(toFile: file, atomically: true, encoding: .utf8)
        return (tuned.folder, file)
    }

    /// The addition setup with RLMEC's objective: rewriter rewards as advantages, its loss, the term.
    static func configuration(_ setup: AdditionSetup, steps: Int, coefficient: Float = 1) throws -> OnlineRLConfiguration {
        let r = try rewriter.get()
        var c = setup.smallConfiguration(steps: steps)
        c.rewards = ["rlmec:\(r.folder),\(r.templateFile)"]
        c.estimator = "rlmec"
        c.policyLoss = "rlmec"
        c.rlmecImitationCoef = coefficient
        return c
    }

    @Test func targetsAreVerifiedCorrectionsWeightedByTheEdit() throws {
        let setup = try AdditionSetup.shared.get()
        let r = try Self.rewriter.get()
        let judge = try LMJudgeModel(path: r.folder, role: "test")
        let tok = judge.tokenizer
        let reward = RLMECReward(rewriter: judge, tokenizer: tok, template: Self.template)
        let term = RLMECImitationTerm(reward: reward, coefficient: 1, maxNewTokens: 6)
        let prompts = Array(try RLPrompts.load(setup.trainPrompts, tokenizer: tok).prefix(12))
        var completions: [Completion] = []
        for p in prompts {
            let answer = try #require(p.columns["answer"].map { "\($0)" })
            let wrong = String((Int(answer).map { $0 + 1 } ?? 0) % 19)
            for text in [answer + "\n", wrong + "\n"] {
                completions.append(Completion(prompt: p, ids: tok.encode(text), text: text, finishReason: .stopString))
            }
        }
        let correct = try reward.correctness(completions)
        #expect(correct == completions.indices.map { $0 % 2 == 0 })
        let (targets, metrics) = try term.targets(for: completions)
        #expect(targets.count == completions.count)
        var corrected = 0
        for (i, c) in completions.enumerated() {
            if correct[i] {
                #expect(targets[i] == UpdateTarget(ids: c.ids, weights: [Float](repeating: 0.5, count: c.ids.count)))
            } else if let t = targets[i] {
                corrected += 1
                let text = tok.decode(t.ids, skipSpecialTokens: true)
                let fix = Completion(prompt: c.prompt, ids: t.ids, text: text, finishReason: .stopToken)
                let accepted = try reward.correctness([fix])
                #expect(accepted == [true], "completion \(i): correction \(text.debugDescription) is not right")
                let expected = try RLMECImitation.weights(prediction: c.ids, correction: t.ids)
                #expect(t.weights == expected)
                #expect(t.weights.contains(RLMECImitation.changedWeight), "a correction of a wrong answer changes something")
            }
        }
        let wrong = completions.count / 2
        print("rlmec imitation: \(corrected) of \(wrong) wrong answers corrected by the rewriter; changed fraction \(metrics["imitation/changed_fraction"] ?? -1)")
        #expect(corrected > 0)
        #expect(metrics["imitation/corrected_fraction"] == Float(corrected) / Float(wrong))
        #expect(metrics["imitation/targets"] == Float(wrong + corrected))
    }

    @Test func theLoopsPassEqualsOnePassOverEveryTarget() throws {
        let setup = try AdditionSetup.shared.get()
        var c = try Self.configuration(setup, steps: 1, coefficient: 0.5)
        c.perDeviceTrainBatchSize = 3
        let trainer = try OnlineRLSetup.prepare(c).trainer
        var samples = try trainer.rollout(step: 0)
        var metrics: [String: Float] = [:]
        try trainer.attachUpdateTargets(&samples, metrics: &metrics)
        let mini = samples.filter { $0.updateTarget != nil }
        #expect(mini.count >= 4, "\(mini.count) targets")
        trainer.trainable.zeroGrad()
        let split = try trainer.accumulateUpdateTerm(mini)
        let splitGrads = trainer.trainable.trainableParameters().map { ($0.key, $0.parameter.grad) }
        // One pass over every target, with its own token count.
        let rows = mini.map {
            RolloutSample(promptIndex: $0.promptIndex, group: $0.group, promptIDs: $0.promptIDs, ids: $0.updateTarget!.ids, rolloutLogps: [],
                          entropies: [], truncated: false, text: "", tokenWeights: $0.updateTarget!.weights)
        }
        let p = PaddedRollout(rows, padID: trainer.padID, forLoss: true)
        let whole = try valueAndGrad(trainer.trainable) {
            let h = trainer.policy.hiddenStates(p.ids, attentionMask: nil, cache: nil)
            let logps = Functional.tokenLogProbs(logits: trainer.policy.logits(fromHidden: h.slice(axis: 1, 0 ..< p.ids.shape[1] - 1)),
                                                 labels: p.labels, mask: p.mask)
            return try! RLMECImitation.loss(logps: logps, weights: p.field { $0.tokenWeights }!, mask: p.mask, coefficient: 0.5).loss
        }
        let splitLoss = Float(split.loss), wholeLoss: Float = whole.value
        #expect(abs(splitLoss - wholeLoss) < 1e-5 * max(1, abs(wholeLoss)), "\(splitLoss) vs \(wholeLoss)")
        #expect(split.loss > 0)
        var compared = 0
        for (key, g) in splitGrads {
            let a = try #require(g, "\(key): no gradient from the term"), b = try #require(whole.gradients[key])
            let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
            let scale = b.scalars.map { abs($0) }.max() ?? 0
            #expect(worst <= 1e-5 + 1e-4 * scale, "\(key): max |Δ| \(worst) (scale \(scale))")
            compared += 1
        }
        #expect(compared > 0)
    }

    @Test func runsFromTheConfigurationAndLogsTheTerm() throws {
        let setup = try AdditionSetup.shared.get()
        let (trainer, metrics) = try runLogging(try Self.configuration(setup, steps: 2))
        #expect(trainer.step == 2 && metrics.count == 2)
        for m in metrics {
            #expect(m["loss"]?.isFinite == true && m["grad_norm"]?.isFinite == true, "\(m)")
            #expect((m["imitation/targets"] ?? 0) > 0, "\(m.keys.sorted())")
            #expect((m[MetricName.imitationLoss] ?? -1) > 0 && (m[MetricName.imitationNLL] ?? -1) > 0)
            let w = try #require(m[MetricName.imitationWeightMean])
            #expect(w >= 0.5 && w <= 1)
            #expect(m["imitation/corrected_fraction"] != nil)
        }
        // The advantages are the rewriter's token rewards themselves.
        #expect(trainer.lastRollouts.allSatisfy { $0.advantages == $0.rewards })
    }

    @Test func badSettingsNameTheSetting() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.smallConfiguration(steps: 1)
        c.rlmecImitationCoef = 1
        do {
            _ = try OnlineRLSetup.prepare(c)
            Issue.record("the imitation term without an rlmec reward must be refused")
        } catch {
            #expect("\(error)".contains("rlmec_imitation_coef") && "\(error)".contains("rlmec:DIR"), "\(error)")
        }
        c.rlmecImitationCoef = -1
        #expect(throws: RewardError.self) { try c.validate() }
        c.rlmecImitationCoef = 1
        c.policyLoss = "quark"
        do {
            try c.validate()
            Issue.record("quark with the imitation term must be refused")
        } catch { #expect("\(error)".contains("rlmec_imitation_coef"), "\(error)") }
    }
}
