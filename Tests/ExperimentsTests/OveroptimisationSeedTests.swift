// Pooling seeds of the over-optimisation harness: means over seeds with t-intervals, paired
// differences seed by seed, and refusal of runs that differ in more than the seed.
import Evaluation
import Foundation
import Search
import Testing
@testable import Experiments

@Suite struct OveroptimisationSeedTests {
    func point(_ x: Int, kl: Double, gold: Double, shift: Double) -> OveroptimisationPoint {
        let e = Estimate(value: gold, low: gold, high: gold, count: 1)
        return OveroptimisationPoint(x: x, kl: kl, proxy: e, gold: e, goldShift: shift)
    }

    /// Proxy A loses `a` gold at n = 4 and ends RL at gain `ra`; proxy B at `b` and `rb`.
    func run(seed: UInt64, a: Double, b: Double, ra: Double, rb: Double) -> OveroptimisationResult {
        func curves(_ name: String, _ final: Double, _ rl: Double) -> ProxyCurves {
            ProxyCurves(proxy: name,
                        bestOfN: [point(1, kl: 0, gold: 0.5, shift: 0.5), point(2, kl: log(2) - 0.5, gold: 0.6, shift: 0.5),
                                  point(4, kl: log(4) - 0.75, gold: 0.5 + final, shift: 0.5)],
                        bestOfNFit: nil,
                        rl: [point(1, kl: 0, gold: 0.5, shift: 0.5), point(2, kl: 1, gold: 0.5 + rl - 0.1, shift: 0.5),
                             point(3, kl: 2, gold: 0.5 + rl + 0.1, shift: 0.5)],
                        rlFit: nil, fitNotes: [])
        }
        return OveroptimisationResult(gold: "creditbench", samples: 4, bestOfNPrompts: 8, rlSteps: 3, seed: seed,
                                      curves: [curves("A", a, ra), curves("B", b, rb)])
    }

    @Test func meansIntervalsAndPairedDifferences() throws {
        let runs = [run(seed: 0, a: -0.3, b: -0.2, ra: -0.2, rb: 0.0), run(seed: 1, a: -0.4, b: -0.2, ra: -0.3, rb: -0.1),
                    run(seed: 2, a: -0.5, b: -0.2, ra: -0.1, rb: 0.2)]
        let s = try OveroptimisationSeedSummary.summarise(runs, window: 2)
        #expect(s.rows.map(\.proxy) == ["A", "B"] && s.seeds == [0, 1, 2])
        #expect(abs(s.rows[0].bestOfNFinalGain.mean - -0.4) < 1e-12)
        // Differences B − A: 0.1, 0.2, 0.3 → mean 0.2, sd 0.1, half-width t(2)·0.1/√3 = 4.303·0.057735.
        let d = s.rows[1].bestOfNFinalVersusFirst
        #expect(abs(d.mean - 0.2) < 1e-12)
        #expect(abs((d.high! - d.mean) - 4.303 * 0.1 / 3.0.squareRoot()) < 1e-9)
        #expect(s.rows[0].bestOfNFinalVersusFirst.values == [0, 0, 0])
        // RL final = mean of the last 2 steps' gains = rl; KL = 1.5.
        #expect(abs(s.rows[1].rlFinalGain.mean - (0.0 - 0.1 + 0.2) / 3) < 1e-12)
        // B − A: 0.2, 0.2, 0.3.
        #expect(abs(s.rows[1].rlFinalVersusFirst.mean - 0.7 / 3) < 1e-12)
        #expect(s.rows[0].rlFinalKL.mean == 1.5)
        // A's best step is the start (gain 0) in every seed.
        #expect(s.rows[0].rlBestGain.values == [0, 0, 0])
        #expect(s.bestOfNCurves[0].map(\.n) == [1, 2, 4])
        #expect(s.report().markdown().contains("vs first"))
    }

    @Test func runsThatDifferInMoreThanTheSeedAreRefused() {
        var other = run(seed: 1, a: 0, b: 0, ra: 0, rb: 0)
        other.rlSteps = 4
        #expect(throws: OveroptimisationError.self) {
            try OveroptimisationSeedSummary.summarise([run(seed: 0, a: 0, b: 0, ra: 0, rb: 0), other])
        }
        #expect(throws: OveroptimisationError.self) {
            try OveroptimisationSeedSummary.summarise([run(seed: 0, a: 0, b: 0, ra: 0, rb: 0), run(seed: 0, a: 0, b: 0, ra: 0, rb: 0)])
        }
    }
}
