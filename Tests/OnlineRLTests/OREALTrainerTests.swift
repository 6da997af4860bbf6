// OREAL in the loop (arXiv 2502.06781): the trajectory filter, the token RM trained online beside
// the policy (and alone during `actor_freeze_steps`), learning on CreditBench addition, and exact
// resume with the token RM's head and optimizer in the checkpoint.
import Foundation
import Objectives
@testable import OnlineRL
import Testing
import TestSupport
import Training
import TrainedFixtures

@Suite(.serialized) struct OREALTrainerTests {
    func oreal(_ setup: AdditionSetup, steps: Int) -> OnlineRLConfiguration {
        var c = setup.configuration(steps: steps)
        c.estimator = "rloo"
        c.policyLoss = "oreal"
        return c
    }

    /// Mixed groups keep one positive and one negative sample, unanimous groups nothing; the choice
    /// is a function of (seed, step).
    @Test func filterKeepsOnePairPerMixedGroup() throws {
        let setup = try AdditionSetup.shared.get()
        let trainer = try OnlineRLSetup.prepare(oreal(setup, steps: 1)).trainer
        func sample(_ group: Int, _ k: Int, _ reward: Float) -> RolloutSample {
            var s = RolloutSample(promptIndex: group, group: group, promptIDs: [1], ids: [k + 2, 3], rolloutLogps: [0, 0], entropies: [0, 0],
                                  truncated: false, text: "")
            s.rewards = [0, reward]
            return s
        }
        let samples = [sample(0, 0, 1), sample(0, 1, 0), sample(0, 2, 1), sample(0, 3, 0),
                       sample(1, 0, 1), sample(1, 1, 1),
                       sample(2, 0, 0), sample(2, 1, 0), sample(2, 2, 1)]
        let kept = trainer.orealFilter(samples)
        #expect(kept.map { samples[$0].group } == [0, 0, 2, 2])
        #expect(kept.map { samples[$0].rewards.last! } == [1, 0, 1, 0])
        #expect(trainer.orealFilter(samples) == kept, "same step, same choice")
    }

    /// 100 OREAL steps from the SFT start raise greedy held-out accuracy by ≥ 0.1, as GRPO's
    /// learning test asks (measured: 0.44 → 0.58), and the token RM trained alongside learns: its
    /// cross-entropy over the last 20 steps is below that of the first 20 (measured 0.70 → 0.69;
    /// whether one-digit correctness is linearly readable from this tiny model's states is the RM's
    /// limit, not the loop's).
    @Test func heldOutAccuracyRises() throws {
        let setup = try AdditionSetup.shared.get()
        let (trainer, _) = try OnlineRLSetup.prepare(oreal(setup, steps: 100))
        let before = try #require(try trainer.evaluate()["eval_reward"])
        var rmLoss: [Float] = [], kept: [Float] = []
        try trainer.run { e in
            if case .step(_, _, let m) = e {
                if let a = m["oreal/token_rm_loss"] { rmLoss.append(a) }
                if let k = m["oreal/kept_samples"] { kept.append(k) }
            }
            return .continue
        }
        let after = try #require(try trainer.evaluate()["eval_reward"])
        #expect(after >= before + 0.1, "oreal: held-out accuracy \(before) → \(after)")
        #expect(kept.allSatisfy { Int($0) % 2 == 0 && $0 <= 16 }, "one pair per mixed group of 8 prompts: \(kept)")
        #expect(rmLoss.count == 100)
        let early = rmLoss.prefix(20).reduce(0, +) / 20, late = rmLoss.suffix(20).reduce(0, +) / 20
        #expect(late < early, "token RM loss, first 20 steps \(early), last 20 \(late)")
    }

    /// 2 + 2 resumed steps equal 4 straight ones bit for bit: the policy, the token RM head and its
    /// optimizer; a checkpoint without the token RM cannot resume an OREAL run.
    @Test func resumeIsBitExactWithTheTokenRM() throws {
        let setup = try AdditionSetup.shared.get()
        let c = oreal(setup, steps: 4)
        let straight = try OnlineRLSetup.prepare(c).trainer
        try straight.run()
        let (_, b, _) = try resumedTrainer(c, split: 2)
        try b.run()
        for (x, y) in [(straight.policy.stateDict(), b.policy.stateDict()),
                       (try #require(straight.tokenRewardModel).head.stateDict(), try #require(b.tokenRewardModel).head.stateDict())] {
            #expect(x.keys.sorted() == y.keys.sorted())
            for (k, t) in x { #expect(t.scalars.map(\.bitPattern) == y[k]!.scalars.map(\.bitPattern), "\(k) differs after resume") }
        }
        let o1 = try #require(straight.tokenRewardModel).optimizer.stateDict(), o2 = try #require(b.tokenRewardModel).optimizer.stateDict()
        #expect(o1.scalars == o2.scalars)
        for (k, t) in o1.tensors { #expect(t.scalars.map(\.bitPattern) == o2.tensors[k]!.scalars.map(\.bitPattern), "optimizer \(k)") }

        var plain = c
        plain.tokenLevelRm = false
        let (p, checkpoint) = try oneStepCheckpoint(plain, folder: "oreal-plain")
        #expect(p.tokenRewardModel == nil)
        let d = try OnlineRLSetup.prepare(c).trainer
        #expect(throws: TrainingError.self) { try d.resume(from: checkpoint) }
    }

    /// During `actor_freeze_steps` only the token RM learns; the policy is left as it was. The
    /// step's rollouts carry their token weights and OREAL's credit A·ω.
    @Test func actorFreezeStepsTrainOnlyTheTokenRM() throws {
        let setup = try AdditionSetup.shared.get()
        var c = oreal(setup, steps: 2)
        c.actorFreezeSteps = 2
        let trainer = try OnlineRLSetup.prepare(c).trainer
        let policy = trainer.policy.stateDict(), head = try #require(trainer.tokenRewardModel).head.stateDict()
        try trainer.run()
        for (k, t) in trainer.policy.stateDict() { #expect(t.scalars == policy[k]!.scalars, "\(k) moved while frozen") }
        let moved = try #require(trainer.tokenRewardModel).head.stateDict().contains { k, t in t.scalars != head[k]!.scalars }
        #expect(moved, "the token RM head must train")
        // Every rollout of the step (kept or not) carries its weights, and its credit is A·ω.
        #expect(trainer.lastRollouts.count == c.rolloutSize)
        for r in trainer.lastRollouts {
            let w = try #require(r.tokenWeights)
            #expect(w.count == r.ids.count && w.allSatisfy { (0 ... 1).contains($0) })
            #expect(r.credit == zip(r.advantages, w).map { $0 * $1 })
        }
        #expect(trainer.lastRollouts.contains { $0.tokenWeights!.contains { $0 > 0 } }, "some token is weighted")
        var bad = c
        bad.tokenWeightRescale = "top"
        #expect(throws: (any Error).self) { try bad.validate() }
        bad = c
        bad.correctThreshold = 1
        #expect(throws: (any Error).self) { try bad.validate() }
    }
}
