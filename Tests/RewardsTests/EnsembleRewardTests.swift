// Reward-model ensembles (Rewards/RewardEnsemble.swift): the invariants (identical members give the
// member's reward; λ = 0 gives the mean) and a hand-computed example of every aggregation.
import Foundation
import Testing
@testable import Rewards

@Suite("Reward-model ensembles")
struct EnsembleRewardTests {
    static let modes: [EnsembleAggregation] = [.mean, .median, .min, .meanMinusStd(lambda: 0.7), .uncertaintyWeighted(lambda: 2)]

    /// Members 1, 2, 6: mean 3, median 2, min 1, population variance ((−2)² + (−1)² + 3²)/3 = 14/3,
    /// std √(14/3); mean − 0.5·std = 3 − 0.5·2.1602 = 1.91987; mean − 0.25·var = 3 − 7/6 = 1.83333.
    @Test func handComputedExample() {
        let v: [Float] = [1, 2, 6]
        #expect(EnsembleAggregation.mean.aggregate(v) == 3)
        #expect(EnsembleAggregation.median.aggregate(v) == 2)
        #expect(EnsembleAggregation.median.aggregate([4, 1, 2, 6]) == 3)
        #expect(EnsembleAggregation.min.aggregate(v) == 1)
        #expect(abs(EnsembleAggregation.meanMinusStd(lambda: 0.5).aggregate(v) - Float(3 - 0.5 * (14.0 / 3).squareRoot())) < 1e-6)
        #expect(abs(EnsembleAggregation.uncertaintyWeighted(lambda: 0.25).aggregate(v) - Float(3 - 0.25 * 14.0 / 3)) < 1e-6)
    }

    @Test func identicalMembersGiveTheMember() {
        for x: Float in [-2.5, 0, 0.3, 7] {
            for m in Self.modes { #expect(abs(m.aggregate([x, x, x]) - x) < 1e-6, "\(m) of \(x)") }
        }
    }

    @Test func lambdaZeroIsTheMean() {
        let v: [Float] = [0.2, -1.3, 4.1, 2.2]
        let mean = EnsembleAggregation.mean.aggregate(v)
        #expect(EnsembleAggregation.meanMinusStd(lambda: 0).aggregate(v) == mean)
        #expect(EnsembleAggregation.uncertaintyWeighted(lambda: 0).aggregate(v) == mean)
    }

    /// On the token-reward contract: token by token, and the sequence reward when every member has one.
    @Test func ensembleSourceCombinesTokenByToken() {
        func member(_ scale: Float) -> TokenRewardFunction {
            TokenRewardFunction(name: "m\(scale)") { e in
                TokenRewards(values: e.response.indices.map { Float($0) * scale }, sequenceReward: scale)
            }
        }
        let e = Episode(prompt: [1, 2], response: [3, 4, 5])
        let ens = EnsembleReward([member(1), member(2), member(6)], aggregation: .median)
        let r = ens.tokenRewards(e)
        #expect(r.values == [0, 2, 4])
        #expect(r.sequenceReward == 2)
        #expect(r.source == "ensemble-median")
        let same = EnsembleReward([member(3), member(3)], aggregation: .meanMinusStd(lambda: 1)).tokenRewards([e, e])
        #expect(same.allSatisfy { $0.values == member(3).tokenRewards(e).values && $0.sequenceReward == 3 })
    }
}
