// KTAE's pieces: Fisher's exact test against SciPy, information gain, and the key-token bonus's
// invariants (the worked example against the numpy/SciPy reference is the `ktae` case of
// rl_reference.json).
import Foundation
@testable import Objectives
import TensorCore
import Testing

@Suite struct KTAETests {
    @Test func fisherMatchesSciPy() {
        // scipy.stats.fisher_exact(table).pvalue, two-sided, SciPy 1.17.
        let cases: [([Int], Double)] = [([1, 9, 11, 3], 0.0027594561852200836), ([3, 0, 0, 3], 0.1), ([2, 1, 1, 2], 1),
                                        ([0, 0, 4, 4], 1), ([5, 2, 0, 7], 0.02097902097902098)]
        for (t, p) in cases {
            let got = KTAEAdvantage.fisherTwoSided(a: t[0], b: t[1], c: t[2], d: t[3])
            #expect(abs(got - p) < 1e-12, "\(t): \(got) vs SciPy \(p)")
        }
    }

    @Test func informationGainBounds() {
        // A token present in exactly the correct rollouts tells everything: 1 bit for a 50/50 split.
        #expect(abs(KTAEAdvantage.informationGain(a: 3, b: 0, c: 0, d: 3) - 1) < 1e-12)
        #expect(abs(KTAEAdvantage.informationGain(a: 2, b: 2, c: 1, d: 1)) < 1e-12)
    }

    func batch(rewards: [Float], ids: [[Int32]]) throws -> RolloutBatch {
        let B = rewards.count, T = ids[0].count
        let mask = Tensor(shape: [B, T], repeating: 1)
        return try RolloutBatch(mask: mask, tokenRewards: try RolloutBatch.placingSequenceRewards(rewards, mask: mask),
                                groupIDs: [Int](repeating: 0, count: B), tokenIDs: IndexTensor(shape: [B, T], data: ids.flatMap { $0 }))
    }

    @Test func keyTokensSeparateCorrectFromWrong() throws {
        // Token 7 appears only in the correct rollouts, token 9 only in the wrong ones, 1 everywhere.
        let b = try batch(rewards: [1, 1, 0, 0], ids: [[1, 7, 1], [7, 1, 1], [1, 9, 1], [9, 9, 1]])
        let a = try KTAEAdvantage().estimate(b).advantages.scalars
        let grpo = try GRPOAdvantage(epsilon: 1e-6).estimate(b).advantages.scalars
        let bonus = zip(a, grpo).map { $0 - $1 }
        let ids: [Int32] = [1, 7, 1, 7, 1, 1, 1, 9, 1, 9, 9, 1]
        func kappa(_ v: Int32) -> Set<Float> { Set(zip(ids, bonus).filter { $0.0 == v }.map { ($0.1 * 1e5).rounded() / 1e5 }) }
        #expect(kappa(7).count == 1 && kappa(7).first! > 0, "the correct-only token gets one positive bonus: \(kappa(7))")
        #expect(kappa(9).count == 1 && kappa(9).first! < 0, "the wrong-only token gets one negative bonus: \(kappa(9))")
        #expect(kappa(1).count == 1, "a token's bonus does not depend on where it stands: \(kappa(1))")
        #expect(bonus.allSatisfy { abs($0) <= 1 }, "κ ∈ [−top, top] (saturated at the bounds in floating point)")
    }

    @Test func groupsWithOneOutcomeGetNoBonus() throws {
        let b = try batch(rewards: [1, 2, 3], ids: [[1, 7], [7, 1], [2, 2]])
        let a = try KTAEAdvantage().estimate(b).advantages.scalars
        let grpo = try GRPOAdvantage(epsilon: 1e-6).estimate(b).advantages.scalars
        #expect(zip(a, grpo).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func missingTokenIDsAreAnError() throws {
        let mask = Tensor(shape: [2, 2], repeating: 1)
        let b = try RolloutBatch(mask: mask, tokenRewards: mask, groupIDs: [0, 0])
        #expect(throws: RLInputError.self) { try KTAEAdvantage().estimate(b) }
    }
}
