// THR (arXiv 2510.03669) inside the loop: it runs from the configuration on the addition fixture,
// logs its metrics, reduces to GRPO at p = 0 (the extra no-grad pass changes nothing else), and
// rejects bad settings before any work. The step times of THR and GRPO are printed (the cost of
// the pass that records h and π, docs/design/online-rl.md §13.2).
import Foundation
import Objectives
import OnlineRL
import Testing
import TestSupport
import TrainedFixtures

@Suite(.serialized) struct THRTrainerTests {
    /// Small steps with dynamic sampling, so every kept group has both outcomes.
    func small(_ setup: AdditionSetup, steps: Int) -> OnlineRLConfiguration {
        var c = setup.smallConfiguration(steps: steps)
        c.dynamicSampling = true
        c.maxNumGenBatches = 4
        return c
    }

    func run(_ c: OnlineRLConfiguration) throws -> (trainer: OnlineRLTrainer, metrics: [[String: Float]]) { try runLogging(c) }

    @Test func trainsFromTheConfigurationAndLogsTHR() throws {
        let setup = try AdditionSetup.shared.get()
        var c = small(setup, steps: 2)
        c.estimator = "thr"
        c.thrP = 0.5
        let (trainer, metrics) = try run(c)
        #expect(trainer.step == 2)
        for m in metrics where (m["dynamic_sampling/groups_kept"] ?? 0) > 0 {
            #expect(m["loss"]?.isFinite == true && m["grad_norm"]?.isFinite == true, "\(m)")
            let dominant = try #require(m["thr/dominant_fraction"], "\(m.keys.sorted())")
            #expect(dominant > 0 && dominant <= 1)
            #expect((m["thr/positive_fraction"] ?? -1) >= 0 && (m["thr/mean_abs"] ?? 0) > 0)
        }
        #expect(metrics.contains { $0["thr/dominant_fraction"] != nil }, "no step kept a mixed group")
        // Steered: some recorded advantage differs from its response's (GRPO) value by the factor 1 ± p.
        let advantages = trainer.lastRollouts.flatMap(\.advantages)
        #expect(advantages.allSatisfy { $0.isFinite })
        let rows = trainer.lastRollouts.map(\.advantages).filter { Set($0).count > 1 }
        #expect(!rows.isEmpty, "p = 0.5 must make a response's token advantages differ")
    }

    @Test func pZeroIsGRPOInTheLoopAndTheCostIsMeasured() throws {
        let setup = try AdditionSetup.shared.get()
        var base = small(setup, steps: 1)
        base.estimator = "grpo"
        var thr = base
        thr.estimator = "thr"
        thr.thrP = 0
        let (g, gm) = try run(base)
        let (t, tm) = try run(thr)
        #expect(g.lastRollouts.map(\.advantages) == t.lastRollouts.map(\.advantages))
        #expect(gm.first?["loss"] == tm.first?["loss"], "\(gm) vs \(tm)")
        // Timing (not asserted: the machine is shared): the fastest step of three 3-step runs, THR at
        // p = 0 so both draw the same samples and the difference is THR's work alone. With
        // num_iterations = 2 the frozen pass is paid by GRPO too (ℓ^old), so THR only adds the
        // probability rows, their copies and the Gram products.
        func fastest(_ c: OnlineRLConfiguration) throws -> Float {
            var c = c
            c.maxSteps = 3
            return try (0 ..< 3).flatMap { _ in try run(c).metrics.compactMap { $0["step_ms"] } }.min() ?? -1
        }
        var base2 = base, thr2 = thr
        base2.numIterations = 2
        thr2.numIterations = 2
        print("THR cost (fastest step_ms): 1 iteration (one extra no-grad pass): grpo \(try fastest(base)) thr \(try fastest(thr)); "
              + "2 iterations (the pass is shared): grpo \(try fastest(base2)) thr \(try fastest(thr2))")
    }

    @Test func badSettingsAreRejected() throws {
        let setup = try AdditionSetup.shared.get()
        for edit in [{ (c: inout OnlineRLConfiguration) in c.thrP = 1.5 }, { $0.thrP = -3 }, { $0.thrMode = "greedy" }, { $0.thrBeta = .infinity }] {
            var c = small(setup, steps: 1)
            c.estimator = "thr"
            edit(&c)
            #expect(throws: (any Error).self) { try OnlineRLSetup.prepare(c) }
        }
    }
}
