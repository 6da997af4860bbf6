// Spearman's ρ and Kendall's τ-b: hand-computed values, undefined cases, and SciPy reference
// values (scipy.stats.spearmanr / kendalltau) from diversity_reference.json, matched to 1e-6.

import Foundation
import Testing
import Evaluation

@Suite struct RankCorrelationTests {
    @Test func averageRanksShareTies() {
        #expect(RankCorrelation.averageRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(RankCorrelation.averageRanks([3, 3, 3]) == [2, 2, 2])
        #expect(RankCorrelation.averageRanks([]) == [])
    }

    @Test func monotoneDataIsPerfectlyCorrelated() throws {
        let x: [Double] = [1, 2, 3, 4, 5], cubes = x.map { $0 * $0 * $0 }
        #expect(RankCorrelation.spearman(x, cubes) == 1)          // nonlinear but monotone
        #expect(RankCorrelation.kendallTauB(x, cubes) == 1)
        #expect(RankCorrelation.spearman(x, cubes.map { -$0 }) == -1)
        #expect(RankCorrelation.kendallTauB(x, cubes.map { -$0 }) == -1)
        let pearson = try #require(RankCorrelation.pearson(x, cubes))
        #expect(pearson < 0.99)                                   // Pearson sees the curvature
    }

    @Test func handComputedWithTies() throws {
        // x ranks [1, 2.5, 2.5, 4], y ranks [1, 2, 3, 4]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5.
        let x: [Double] = [1, 2, 2, 3], y: [Double] = [1, 2, 3, 4]
        let rho = try #require(RankCorrelation.spearman(x, y))
        #expect(abs(rho - 4.5 / (4.5 * 5).squareRoot()) < 1e-12)
        // 5 concordant pairs, 0 discordant, 1 pair tied in x: τ_b = 5 / √(5 · 6).
        let tau = try #require(RankCorrelation.kendallTauB(x, y))
        #expect(abs(tau - 5 / 30.0.squareRoot()) < 1e-12)
    }

    @Test func tauBIsTauAWithoutTies() throws {
        // One swapped pair out of six: (5 − 1) / 6.
        let tau = try #require(RankCorrelation.kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]))
        #expect(abs(tau - 4.0 / 6) < 1e-12)
        // Σd² = 2 → 1 − 6·2 / (4·15) = 0.8.
        let rho = try #require(RankCorrelation.spearman([1, 2, 3, 4], [1, 3, 2, 4]))
        #expect(abs(rho - 0.8) < 1e-12)
    }

    @Test func undefinedCasesAreNil() {
        #expect(RankCorrelation.spearman([], []) == nil)
        #expect(RankCorrelation.spearman([1], [2]) == nil)
        #expect(RankCorrelation.kendallTauB([1], [2]) == nil)
        #expect(RankCorrelation.spearman([1, 2, 3], [4, 4, 4]) == nil)
        #expect(RankCorrelation.kendallTauB([5, 5, 5], [1, 2, 3]) == nil)
        #expect(RankCorrelation.pearson([1, 2], [3, 3]) == nil)
        #expect(RankCorrelation.spearman([1, 2, 3], [1, 2]) == nil)
        #expect(RankCorrelation.kendallTauB([1, 2, 3], [1, 2]) == nil)
        #expect(RankCorrelation.spearman([1, .nan, 3], [1, 2, 3]) == nil)
        #expect(RankCorrelation.kendallTauB([1, 2, 3], [1, .nan, 3]) == nil)
    }

    @Test func infinitiesRankLikeAnyOtherValue() {
        #expect(RankCorrelation.spearman([-.infinity, 0, .infinity], [1, 2, 3]) == 1)
        #expect(RankCorrelation.kendallTauB([.infinity, .infinity, 1], [3, 2, 1]) == RankCorrelation.kendallTauB([9, 9, 1], [3, 2, 1]))
    }

    @Test func matchesSciPy() throws {
        for c in try DiversityReference.load().rank {
            let rho = RankCorrelation.spearman(c.x, c.y), tau = RankCorrelation.kendallTauB(c.x, c.y)
            #expect((rho == nil) == (c.spearman == nil), "\(c.name): spearman \(String(describing: rho))")
            #expect((tau == nil) == (c.kendall_tau_b == nil), "\(c.name): tau-b \(String(describing: tau))")
            if let rho, let e = c.spearman { #expect(abs(rho - e) < 1e-6, "\(c.name): ρ \(rho) vs SciPy \(e)") }
            if let tau, let e = c.kendall_tau_b { #expect(abs(tau - e) < 1e-6, "\(c.name): τ-b \(tau) vs SciPy \(e)") }
        }
    }
}
