// The over-optimisation harness end to end on the tiny addition policy: the best-of-n curve equals a
// brute-force average over every n-subset of an independently drawn and scored pool, the RL curve
// starts at KL ≈ 0, the same seed gives the same result, and unusable settings are refused.
import Experiments
import Foundation
import OnlineRL
import Search
import Testing
import TrainedFixtures

@Suite(.serialized) struct OveroptimisationHarnessTests {
    /// Proxy: "the answer contains a 1" (a bad stand-in for correctness); gold: the verifier.
    func settings(rlSteps: Int) throws -> OveroptimisationSettings {
        let setup = try AdditionSetup.shared.get()
        var c = setup.configuration(steps: max(rlSteps, 1))
        c.promptsPerStep = 4
        c.numGenerations = 4
        var s = OveroptimisationSettings(rl: c, proxies: ["regex:1"], gold: "creditbench")
        s.samples = 6
        s.bestOfNPrompts = 3
        s.rlSteps = rlSteps
        return s
    }

    @Test func bestOfNCurveEqualsBruteForceOverSubsets() throws {
        let s = try settings(rlSteps: 0)
        let result = try Overoptimisation.run(s)
        let curve = try #require(result.curves.first).bestOfN
        #expect(curve.map(\.x) == [1, 2, 4, 6])
        #expect(result.curves[0].rl.isEmpty)

        // The same pool, drawn again through the trainer with the harness's seed, scored by hand.
        var c = s.rl
        c.rewards = ["creditbench"]
        let trainer = try OnlineRLSetup.prepare(c).trainer
        let pool = trainer.sampleCompletions(of: trainer.evalPrompts, indices: [0, 1, 2], copies: 6, seed: c.seed &+ 0xB0_0000)
        let verifier = try RewardFunctions.make("creditbench", context: RewardContext(tokenizer: trainer.tokenizer, maxNewTokens: c.maxCompletionLength,
                                                                                     vocabularySize: trainer.policy.vocabularySize))
        let gold = try verifier.tokenRewards(pool).map { Double($0.reduce(0, +)) }
        let proxy = pool.map { $0.text.contains("1") ? 1.0 : 0.0 }
        for point in curve {
            var total = 0.0
            for p in 0 ..< 3 {
                let idx = Array(p * 6 ..< p * 6 + 6)
                var sum = 0.0, count = 0.0
                for subset in subsets(idx, point.x) {
                    // The proxy-best of the subset; ties go to the earliest sample (best-of-N's rule).
                    let best = subset.max { proxy[$0] != proxy[$1] ? proxy[$0] < proxy[$1] : $0 > $1 }!
                    sum += gold[best]
                    count += 1
                }
                total += sum / count
            }
            #expect(abs(point.gold.value - total / 3) < 1e-9, "n = \(point.x)")
            #expect(abs(point.kl - (log(Double(point.x)) - Double(point.x - 1) / Double(point.x))) < 1e-12)
        }
        // The proxy-best of more samples never scores lower on the proxy.
        for (a, b) in zip(curve, curve.dropFirst()) { #expect(a.proxy.value <= b.proxy.value + 1e-12) }
        #expect(curve[0].goldGain == 0)
    }

    @Test func rlCurveStartsAtTheInitialPolicyAndIsReproducible() throws {
        var s = try settings(rlSteps: 2)
        s.samples = 0
        let a = try Overoptimisation.run(s)
        let rl = try #require(a.curves.first).rl
        #expect(rl.map(\.x) == [1, 2])
        // Step 1's rollouts come from the starting policy: Σ log π − log π_init is 0 up to the
        // decoder's and the scorer's rounding.
        #expect(abs(rl[0].kl) < 1e-3)
        #expect(rl[0].goldGain == 0)
        #expect(rl.allSatisfy { $0.proxy.value >= 0 && $0.proxy.value <= 1 && $0.gold.value >= 0 && $0.gold.value <= 1 })
        let b = try Overoptimisation.run(s)
        #expect(a == b)
        #expect(a.curves[0].rlFit == nil || a.curves[0].rlFit!.points == 2)
    }

    @Test func samplingThatBreaksTheKLEstimatesIsRefused() throws {
        var s = try settings(rlSteps: 1)
        s.rl.temperature = 0.7
        #expect(throws: OveroptimisationError.self) { try s.validate() }
        s.rl.temperature = 1
        s.rl.topK = 5
        #expect(throws: OveroptimisationError.self) { try s.validate() }
        s.rl.topK = 0
        s.proxies = []
        #expect(throws: OveroptimisationError.self) { try s.validate() }
    }

    func subsets(_ items: [Int], _ k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard items.count >= k else { return [] }
        let head = items[0], tail = Array(items.dropFirst())
        return subsets(tail, k - 1).map { [head] + $0 } + subsets(tail, k)
    }
}
