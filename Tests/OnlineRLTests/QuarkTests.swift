// Quark in the online-RL loop (arXiv 2205.13636): the pool's quantile cut against the numpy
// worked example, the control prefixes and what the policy and the reference read, exact resume
// with the pool, bad settings, and a learning check on the addition task.
import Autograd
import Decoding
import Datasets
import Foundation
import Objectives
@testable import OnlineRL
import Testing
import TestSupport
import TrainedFixtures
import TensorCore
import Training

@Suite(.serialized) struct QuarkTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/objectives/quark_reference.json")

    func quark(_ setup: AdditionSetup, steps: Int) -> OnlineRLConfiguration {
        var c = setup.smallConfiguration(steps: steps)
        c.policyLoss = "quark"
        return c
    }

    /// The reference code's cut (best ⌊N/K⌋ first, remainder to the worst quantile, ties in pool
    /// order), computed in numpy for K = 1, 3, 5 and 20 over eleven rewards.
    @Test func quantilesMatchTheWorkedExample() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as? [String: Any])
        let rewards = try #require(json["pool_rewards"] as? [Double]).map(Float.init)
        var pool = QuarkPool()
        pool.entries = rewards.enumerated().map { QuarkPool.Entry(promptIndex: $0.offset, ids: [1], reward: $0.element, truncated: false) }
        let expected = try #require(json["quantiles"] as? [String: [Int]])
        #expect(expected.count == 4)
        for (k, want) in expected { #expect(pool.quantiles(Int(k)!) == want, "K = \(k)") }
        // A draw is a seeded choice of distinct entries; the whole pool when it is smaller.
        var g1 = RandomGenerator(seed: 3), g2 = RandomGenerator(seed: 3)
        let a = pool.draw(5, rng: &g1), b = pool.draw(5, rng: &g2)
        #expect(a == b && Set(a).count == 5)
        var g3 = RandomGenerator(seed: 4)
        #expect(Set(pool.draw(50, rng: &g3)) == Set(pool.entries.indices))
    }

    /// The first batch fills the pool from the initial policy without a prefix; later batches are
    /// drawn behind the best quantile's prefix; the update trains on pool samples behind their own
    /// quantile's prefix, and the reference reads the bare prompt at the same completion tokens.
    @Test func prefixesPoolAndReference() throws {
        let setup = try AdditionSetup.shared.get()
        let c = quark(setup, steps: 2)
        let trainer = try OnlineRLSetup.prepare(c).trainer
        #expect(trainer.quarkControls.count == 5)
        #expect(trainer.quarkControls == (1 ... 5).map { trainer.tokenizer.encode("[Q\($0)]") })
        let prompt = trainer.prompts[0].ids
        #expect(try trainer.rollout(step: 0).allSatisfy { $0.promptIDs == trainer.prompts[$0.promptIndex].ids })
        let later = try trainer.rollout(step: 1)
        #expect(later.allSatisfy { $0.promptIDs == trainer.conditioned(trainer.prompts[$0.promptIndex].ids, quantile: 4) })
        // The prefix goes first, after a leading BOS when the prompt has one.
        if let bos = trainer.tokenizer.bosTokenID, prompt.first == bos {
            #expect(trainer.conditioned(prompt, quantile: 2) == [bos] + trainer.quarkControls[2] + prompt.dropFirst())
        } else {
            #expect(trainer.conditioned(prompt, quantile: 2) == trainer.quarkControls[2] + prompt)
        }
        var metrics: [[String: Float]] = []
        try trainer.run { event in
            if case .step(_, _, let m) = event { metrics.append(m) }
            return .continue
        }
        #expect(trainer.quarkPool.entries.count == 2 * c.rolloutSize)
        #expect(metrics.map { $0["quark/pool_size"] } == [16, 32])
        #expect(metrics.allSatisfy { ($0["loss"] ?? .nan).isFinite && ($0["quark/kl"] ?? -1) >= 0 && $0["entropy"] != nil })

        // The reference logits of a prefixed sample equal those of its bare prompt, row by row.
        let (samples, _) = trainer.quarkTrainingSamples([])
        let p = PaddedRollout(Array(samples.prefix(3)), padID: trainer.padID, forLoss: true)
        let aligned = trainer.alignedReferenceLogits(p)
        let bare = PaddedRollout(p.samples.map { var s = $0; s.promptIDs = $0.referencePromptIDs!; return s }, padID: trainer.padID, forLoss: true)
        let direct = trainer.withReference { m in
            withoutGradients { m.logits(fromHidden: m.hiddenStates(bare.ids, attentionMask: nil, cache: nil).slice(axis: 1, 0 ..< bare.ids.shape[1] - 1)).value }
        }
        let V = aligned.shape[2]
        for (i, s) in p.samples.enumerated() {
            #expect(s.promptIDs.count > s.referencePromptIDs!.count)
            for k in s.ids.indices {
                let a = (i * p.length + s.promptIDs.count - 1 + k) * V, b = (i * bare.length + s.referencePromptIDs!.count - 1 + k) * V
                #expect(Array(aligned.scalars[a ..< a + V]) == Array(direct.scalars[b ..< b + V]), "row \(i) token \(k)")
            }
        }
    }

    /// 2 + 2 resumed steps equal 4 straight ones bit for bit, pool included; a checkpoint without
    /// a pool cannot resume a Quark run.
    @Test func resumesExactlyWithThePool() throws {
        let setup = try AdditionSetup.shared.get()
        let c = quark(setup, steps: 4)
        let straight = try runLogging(c).trainer
        let (a, b, _) = try resumedTrainer(c, split: 2)
        #expect(b.quarkPool == a.quarkPool && b.quarkPool.entries.count == 2 * c.rolloutSize)
        try b.run()
        #expect(b.quarkPool == straight.quarkPool)
        let x = straight.policy.stateDict(), y = b.policy.stateDict()
        for (k, t) in x { #expect(t.scalars.map(\.bitPattern) == y[k]!.scalars.map(\.bitPattern), "\(k) differs after resume") }

        let checkpoint = try oneStepCheckpoint(setup.smallConfiguration(steps: 1), folder: "plain").checkpoint
        let q = try OnlineRLSetup.prepare(c).trainer
        #expect(throws: TrainingError.self) { try q.resume(from: checkpoint) }
    }

    /// With `quark_pool_max` the pool keeps the newest entries, first in first out; the run's pool
    /// then holds exactly the last `max` rollouts of an uncapped run, in the same order.
    @Test func poolMaxKeepsTheNewestSamples() throws {
        var pool = QuarkPool()
        let entries = (0 ..< 7).map { QuarkPool.Entry(promptIndex: $0, ids: [$0], reward: Float($0), truncated: false) }
        pool.append(Array(entries[0 ..< 3]), limit: 4)
        #expect(pool.entries == Array(entries[0 ..< 3]))
        pool.append(Array(entries[3 ..< 7]), limit: 4)
        #expect(pool.entries == Array(entries[3 ..< 7]))
        pool.append([entries[0]], limit: 0)
        #expect(pool.entries.count == 5)

        let setup = try AdditionSetup.shared.get()
        var capped = quark(setup, steps: 3)
        capped.quarkPoolMax = 2 * capped.rolloutSize
        let uncapped = try runLogging(quark(setup, steps: 3)).trainer
        let small = try runLogging(capped).trainer
        #expect(uncapped.quarkPool.entries.count == 3 * capped.rolloutSize)
        #expect(small.quarkPool.entries.count == 2 * capped.rolloutSize)
        // The cap first bites when the third batch joins, after it was sampled by the same policy in
        // both runs: the capped pool is the uncapped pool's last two batches.
        #expect(small.quarkPool.entries == Array(uncapped.quarkPool.entries.suffix(2 * capped.rolloutSize)))
    }

    /// Settings Quark cannot honour are refused, naming the setting.
    @Test func badSettingsNameTheSetting() throws {
        let setup = try AdditionSetup.shared.get()
        let base = quark(setup, steps: 1)
        for (edit, key) in [({ (c: inout OnlineRLConfiguration) in c.quarkControls = ["a", "b"] }, "quark_controls"),
                            ({ $0.quarkControls = ["a", "a", "b", "c", "d"] }, "quark_controls"),
                            ({ $0.beta = 0.1 }, "beta"), ({ $0.klCoef = 0.1 }, "kl_coef"),
                            ({ $0.dynamicSampling = true }, "dynamic_sampling"), ({ $0.quarkQuantiles = 0 }, "quark_quantiles"),
                            ({ $0.quarkKlDirection = "sideways" }, "quark_kl_direction"), ({ $0.entropyCoeff = 0.1 }, "entropy_coeff"),
                            ({ $0.quarkControls = ["", "a", "b", "c", "d"] }, "quark_controls"),
                            ({ $0.quarkPoolMax = $0.rolloutSize - 1 }, "quark_pool_max"), ({ $0.quarkPoolMax = -1 }, "quark_pool_max")] as [((inout OnlineRLConfiguration) -> Void, String)] {
            var c = base
            edit(&c)
            #expect(performing: { _ = try OnlineRLSetup.prepare(c) }, throws: { "\($0)".contains(key) })
        }
    }

    /// Mean total reward of `copies` sampled completions of each training prompt behind quantile
    /// k's prefix (the run's sampler, a fixed seed).
    func sampled(_ t: OnlineRLTrainer, quantile k: Int, copies: Int = 4) throws -> Float {
        let rows = t.prompts.flatMap { [RLPrompt](repeating: $0, count: copies) }
        var params = t.generationParameters(greedy: false)
        params.seed = 99
        let results = Generator.generate(model: t.policy, prompts: rows.map { t.conditioned($0.ids, quantile: k) }, parameters: params)
        let completions = zip(rows, results).map { p, r in
            Completion(prompt: p, ids: r.tokens, text: t.tokenizer.decode(r.tokens, skipSpecialTokens: true), finishReason: r.finishReason)
        }
        let totals = try t.rewards.evaluate(completions).tokenRewards.map { $0.reduce(0, +) }
        return totals.reduce(0, +) / Float(totals.count)
    }

    /// Quark's claim is control by the reward prefix. The reward here is "the completion contains
    /// a 1" (regex:1; 0.28 of the first, unprefixed batch). Over 64 steps the batches drawn behind
    /// the best prefix carry it more often, and afterwards samples behind the best prefix carry it
    /// far more often than behind the worst one, which the pool taught to go without (measured:
    /// see the messages).
    @Test func theBestPrefixControlsTheReward() throws {
        let setup = try AdditionSetup.shared.get()
        var c = quark(setup, steps: 64)
        c.numIterations = 4
        c.rewards = ["regex:1"]
        // Short prefixes without digits: on this character-level model a prefix's characters
        // move the sums themselves.
        c.quarkControls = ["a:", "b:", "c:", "d:", "e:"]
        c.promptsPerStep = 8
        let trainer = try OnlineRLSetup.prepare(c).trainer
        let startBest = try sampled(trainer, quantile: 4), startWorst = try sampled(trainer, quantile: 0)
        var rewards: [Float] = []
        try trainer.run { event in
            if case .step(_, _, let m) = event { rewards.append(m["reward"] ?? .nan) }
            return .continue
        }
        let best = try sampled(trainer, quantile: 4), worst = try sampled(trainer, quantile: 0)
        let late = rewards.suffix(8).reduce(0, +) / 8
        // Measured: the first batch 0.28, the last eight 0.8; best prefix 0.51 → 0.88, worst 0.52 → 0.11.
        #expect(late > rewards[0] + 0.3, "rollout reward behind the best prefix: \(rewards)")
        #expect(best > startBest + 0.2, "best prefix \(startBest) → \(best)")
        #expect(best > worst + 0.4, "after training: best prefix \(best), worst prefix \(worst) (at the start \(startBest), \(startWorst))")
    }
}
