// Best-of-n over-optimisation curves from one pool per prompt: a hand-worked pool, the shift, the KL
// axis and the refusals.
import Foundation
import Testing
@testable import Search

@Suite struct BestOfNCurveTests {
    /// Pool proxy [0.1, 0.5, 0.3], gold [1, 0, 2]. Ascending by proxy: gold 1, 2, 0. For n = 2 the
    /// i-th is the best of a random pair with probability C(i−1, 1)/C(3, 2): 0, 1/3, 2/3, so
    /// E[gold] = 2/3; n = 3 takes the proxy argmax (gold 0); n = 1 is the mean, 1.
    @Test func handWorkedPool() throws {
        let pool = ScoredPool(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 2])
        let points = try BestOfNCurve.points([pool], n: [3, 1, 2])
        #expect(points.map(\.x) == [1, 2, 3])
        #expect(abs(points[0].gold.value - 1) < 1e-12)
        #expect(abs(points[1].gold.value - 2.0 / 3) < 1e-12)
        #expect(abs(points[2].gold.value - 0) < 1e-12)
        // The proxy of the best of n: n = 2 → 1/3·0.3 + 2/3·0.5.
        #expect(abs(points[1].proxy.value - (0.3 / 3 + 1.0 / 3)) < 1e-12)
        #expect(points.allSatisfy { $0.goldShift == 1 })
        #expect(points[0].goldGain == 0)
        #expect(abs(points[1].kl - (log(2) - 0.5)) < 1e-12)
        #expect(abs(points[1].distance - (log(2) - 0.5).squareRoot()) < 1e-12)
        #expect(points[0].kl == 0 && points[0].distance == 0)
    }

    @Test func promptsAreAveraged() throws {
        let a = ScoredPool(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 2])
        let b = ScoredPool(proxy: [1, 2, 3], gold: [3, 3, 3])
        let p = try BestOfNCurve.points([a, b], n: [2])
        #expect(abs(p[0].gold.value - (2.0 / 3 + 3) / 2) < 1e-12)
        #expect(p[0].gold.low <= p[0].gold.value && p[0].gold.value <= p[0].gold.high)
        #expect(abs(p[0].goldShift - 2) < 1e-12)
    }

    @Test func nValues() {
        #expect(BestOfNCurve.powersOfTwo(upTo: 8) == [1, 2, 4, 8])
        #expect(BestOfNCurve.powersOfTwo(upTo: 6) == [1, 2, 4, 6])
        #expect(BestOfNCurve.powersOfTwo(upTo: 1) == [1])
    }

    @Test func nBeyondTheSmallestPoolIsRefused() {
        let a = ScoredPool(proxy: [0.1, 0.5, 0.3], gold: [1, 0, 2]), b = ScoredPool(proxy: [1, 2], gold: [0, 1])
        #expect(throws: SearchError.self) { try BestOfNCurve.points([a, b], n: [1, 3]) }
        #expect(throws: SearchError.self) { try BestOfNCurve.points([], n: [1]) }
        #expect(throws: SearchError.self) { try BestOfNCurve.points([a], n: [0]) }
    }
}
