// The online-RL loop learns, resumes exactly, and its pieces agree with each other.
import Foundation
import Testing
@testable import OnlineRL
import Training
import TestSupport
import TrainedFixtures

@Suite(.serialized) struct GRPOLearningTests {
    /// GRPO with CreditBench's verifier raises greedy accuracy on one-digit addition from the SFT
    /// start (0.44 in this seeded setting) by at least 0.1 in 100 rollout batches; the other
    /// estimators and losses the grpo/rloo commands offer without a value head by at least 0.05.
    /// The evaluation prompts are a second, separately drawn set: one-digit addition has only 100
    /// problems, so the two sets overlap. This checks that the loop learns what it is rewarded for;
    /// generalisation to unseen problems is measured by `tokenalign demo rl` (docs/results.md).
    @Test(arguments: [("grpo", "ppo", 1, 0.1), ("grpo", "ppo", 2, 0.1), ("rloo", "ppo", 1, 0.05), ("dr-grpo", "ppo", 1, 0.05),
                      ("grpo", "gspo", 1, 0.05), ("ktae", "ppo", 1, 0.05)] as [(String, String, Int, Float)])
    func heldOutAccuracyRises(_ estimator: String, _ loss: String, _ iterations: Int, _ gain: Float) throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 100)
        c.estimator = estimator
        c.policyLoss = loss
        c.numIterations = iterations
        if iterations > 1 { c.miniBatchSize = 32 }
        let (trainer, _) = try OnlineRLSetup.prepare(c)
        let before = try #require(try trainer.evaluate()["eval_reward"])
        try trainer.run()
        let after = try #require(try trainer.evaluate()["eval_reward"])
        #expect(before > 0.3 && before < 0.6, "the SFT start should be partly right: \(before)")
        #expect(after >= before + gain, "\(estimator)/\(loss)×\(iterations): held-out accuracy \(before) → \(after)")
    }

    /// THR steering GRPO's advantage strongly both ways (p = ±0.5: favouring tokens that raise the
    /// correct responses' likelihood, or those that lower it) still learns on the same budget: the
    /// steered advantages keep their signs, so the update still climbs the reward. Whether either
    /// direction beats GRPO is a measurement (`tokenalign demo rl --methods thr`, docs/results.md).
    @Test(arguments: [Float(0.5), -0.5])
    func thrSteeringStillLearns(_ p: Float) throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 100)
        c.estimator = "thr"
        c.thrP = p
        let (trainer, _) = try OnlineRLSetup.prepare(c)
        let before = try #require(try trainer.evaluate()["eval_reward"])
        try trainer.run()
        let after = try #require(try trainer.evaluate()["eval_reward"])
        #expect(after >= before + 0.05, "thr p = \(p): held-out accuracy \(before) → \(after)")
    }

    /// LoRA with a KL term: the reference is the base model with the adapters switched off, and the
    /// run still learns.
    @Test func loraWithKLLearns() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 100)
        c.loraRank = 8
        c.beta = 0.04
        c.learningRate = 3e-3
        let (trainer, _) = try OnlineRLSetup.prepare(c)
        #expect(trainer.reference == nil)
        let before = try #require(try trainer.evaluate()["eval_reward"])
        var kl: [Float] = []
        try trainer.run { e in
            if case .step(_, _, let m) = e, let k = m["kl"] { kl.append(k) }
            return .continue
        }
        let after = try #require(try trainer.evaluate()["eval_reward"])
        #expect(after >= before + 0.05, "held-out accuracy \(before) → \(after)")
        #expect(kl.count == 100 && kl[0] == 0 && kl.last! > 0, "KL to the adapter-free base starts at 0 and grows: \(kl.prefix(3))…\(kl.suffix(2))")
    }

    /// Stopping at step 3 and resuming from its checkpoint gives the parameters of an uninterrupted
    /// run, bit for bit (the prompts and samples of each step are functions of seed and step).
    @Test func resumeIsBitExact() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 6)
        c.numIterations = 2
        c.miniBatchSize = 32
        let straight = try OnlineRLSetup.prepare(c).trainer
        try straight.run()

        let (_, b, checkpoint) = try resumedTrainer(c, split: 3)
        #expect(b.step == 3)
        try b.run()
        let x = straight.policy.stateDict(), y = b.policy.stateDict()
        #expect(x.keys.sorted() == y.keys.sorted())
        for (k, t) in x { #expect(t.scalars.map(\.bitPattern) == y[k]!.scalars.map(\.bitPattern), "\(k) differs after resume") }

        // A checkpoint of another run shape is refused, naming what differs.
        var other = c
        other.numGenerations = 4
        let c2 = try OnlineRLSetup.prepare(other).trainer
        #expect(throws: TrainingError.self) { try c2.resume(from: checkpoint) }
    }

    /// The sampler's recorded log-probabilities (temperature 1, no truncation) are the policy's own
    /// log-probabilities of those tokens, as the trainer's forward pass computes them.
    @Test func rolloutLogProbsMatchTheTrainingForward() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 1)
        c.temperature = 1
        let trainer = try OnlineRLSetup.prepare(c).trainer
        var samples = try trainer.rollout(step: 0)
        #expect(samples.count == 64)
        for i in samples.indices { samples[i].rewards = [Float](repeating: 0, count: samples[i].ids.count) }
        let p = PaddedRollout(samples, padID: 0, forLoss: false)
        let logps = trainer.tokenLogps(trainer.policy, p, grad: false).value
        var worst: Float = 0
        for i in samples.indices {
            for (a, b) in zip(p.completion(logps, row: i), samples[i].rolloutLogps) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst < 1e-4, "max |ℓ_sampler − ℓ_forward| = \(worst)")
    }
}

/// PPO (GAE over a value head on the policy's trunk, KL in the reward), ReMax, DAPO's dynamic
/// sampling and the entropy bonus on the same task.
@Suite(.serialized) struct PPOAndVariantsTests {
    func ppoConfiguration(_ setup: AdditionSetup, steps: Int) -> OnlineRLConfiguration {
        var c = setup.configuration(steps: steps)
        c.estimator = "gae"
        c.numGenerations = 1
        c.promptsPerStep = 16
        c.klCoef = 0.05
        c.numIterations = 4
        c.learningRate = 1e-4
        return c
    }

    @Test func ppoRaisesHeldOutAccuracy() throws {
        let setup = try AdditionSetup.shared.get()
        let (trainer, _) = try OnlineRLSetup.prepare(ppoConfiguration(setup, steps: 200))
        #expect(trainer.valueHead != nil)
        let before = try #require(try trainer.evaluate()["eval_reward"])
        var last: [String: Float] = [:]
        try trainer.run { e in
            if case .step(_, _, let m) = e { last = m }
            return .continue
        }
        let after = try #require(try trainer.evaluate()["eval_reward"])
        #expect(after >= before + 0.1, "PPO: held-out accuracy \(before) → \(after)")
        for k in ["vf_loss", "vf_clipfrac", "kl_in_reward", "kl_coef", "clip_ratio/region_mean"] { #expect(last[k] != nil, "no \(k)") }
        // The penalty is on: after 200 updates the policy has moved from the reference (it was
        // exactly 0 at every step when no reference was loaded for kl_coef).
        #expect(trainer.reference != nil)
        #expect(try #require(last["kl_in_reward"]) != 0)
    }

    /// A KL term with no reference and no LoRA adapters would compare the policy with itself; the
    /// trainer refuses it by name instead.
    final class Constant: RewardFunction, @unchecked Sendable {
        var name: String { "constant" }
        func tokenRewards(_ completions: [Completion]) throws -> [[Float]] { completions.map { [Float](repeating: 0, count: $0.ids.count) } }
    }

    @Test func aKLTermWithoutAReferenceIsRefused() throws {
        let setup = try AdditionSetup.shared.get()
        let c = ppoConfiguration(setup, steps: 1)
        let t = try OnlineRLSetup.prepare(c).trainer
        #expect(t.reference != nil)
        for (beta, kl) in [(Float(0), Float(0.05)), (0.04, 0)] {
            var d = c
            d.beta = beta
            d.klCoef = kl
            do {
                _ = try OnlineRLTrainer(configuration: d, policy: t.policy, reference: nil, tokenizer: t.tokenizer, prompts: t.prompts,
                                        rewardFunctions: [Constant()])
                Issue.record("no error for beta \(beta), kl_coef \(kl)")
            } catch {
                #expect("\(error)".contains("needs a reference model"), "\(error)")
            }
        }
        var none = c
        none.klCoef = 0
        #expect(throws: Never.self) {
            _ = try OnlineRLTrainer(configuration: none, policy: t.policy, reference: nil, tokenizer: t.tokenizer, prompts: t.prompts, rewardFunctions: [Constant()])
        }
    }

    @Test func ppoResumeIsBitExactWithTheValueHeadAndAdaptiveKL() throws {
        let setup = try AdditionSetup.shared.get()
        var c = ppoConfiguration(setup, steps: 4)
        c.klTarget = 0.01
        let straight = try OnlineRLSetup.prepare(c).trainer
        try straight.run()
        var first = c
        first.maxSteps = 2
        let a = try OnlineRLSetup.prepare(first).trainer
        try a.run()
        let checkpoint = try a.saveCheckpoint(in: URL(fileURLWithPath: TestFiles.temporaryPath("ppo")))
        let b = try OnlineRLSetup.prepare(c).trainer
        try b.resume(from: checkpoint)
        #expect(b.klCoefficient == a.klCoefficient && b.klCoefficient != c.klCoef, "the adaptive coefficient is restored")
        try b.run()
        let x = straight.trainable.stateDict(), y = b.trainable.stateDict()
        #expect(x.keys.contains { $0.hasPrefix("value_head.") })
        for (k, t) in x { #expect(t.scalars.map(\.bitPattern) == y[k]?.scalars.map(\.bitPattern), "\(k) differs after resume") }
    }

    @Test func remaxUsesTheGreedyRewardAsBaseline() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 1)
        c.estimator = "remax"
        let trainer = try OnlineRLSetup.prepare(c).trainer
        var samples = try trainer.collect().samples
        try trainer.greedyBaselines(&samples)
        #expect(samples.allSatisfy { $0.rewardBaseline == 0 || $0.rewardBaseline == 1 })
        #expect(Set(samples.map(\.promptIndex)).count == c.promptsPerStep)
        let m = try trainer.trainStep()
        #expect(m["loss"]?.isFinite == true)
    }

    @Test func dynamicSamplingKeepsOnlyGroupsWithDistinctRewards() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 1)
        c.dynamicSampling = true
        c.maxNumGenBatches = 4
        let trainer = try OnlineRLSetup.prepare(c).trainer
        let (samples, _, metrics) = try trainer.collect()
        var byGroup: [Int: [Float]] = [:]
        for s in samples { byGroup[s.group, default: []].append(s.rewards.reduce(0, +)) }
        #expect(byGroup.count <= c.promptsPerStep && byGroup.count == Int(metrics["dynamic_sampling/groups_kept"] ?? -1))
        #expect(byGroup.values.allSatisfy { Set($0).count > 1 && $0.count == c.numGenerations })
        #expect((metrics["dynamic_sampling/groups_dropped"] ?? 0) > 0, "the SFT model solves some prompts always or never: \(metrics)")
    }

    @Test func entropyBonusRuns() throws {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: 2)
        c.entropyCoeff = 0.01
        let trainer = try OnlineRLSetup.prepare(c).trainer
        let m = try trainer.trainStep()
        #expect((m["entropy"] ?? 0) > 0 && m["loss"]?.isFinite == true)
    }
}
