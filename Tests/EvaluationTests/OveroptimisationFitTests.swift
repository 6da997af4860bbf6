// Gao et al.'s over-optimisation forms (arXiv 2210.10760): exact recovery, a least-squares fit
// worked by hand, the peaks, and the refusals.
import Foundation
import Testing
@testable import Evaluation

@Suite struct OveroptimisationFitTests {
    @Test func bestOfNFormIsRecoveredExactlyFromPointsOnIt() throws {
        let d = [0.5, 1, 1.5, 2, 2.5]
        let f = try OveroptimisationFit.fit(form: .bestOfN, distance: d, gold: d.map { $0 * (0.8 - 0.3 * $0) })
        #expect(abs(f.alpha - 0.8) < 1e-12 && abs(f.beta - 0.3) < 1e-12)
        #expect(f.rmse < 1e-12 && f.points == 5)
        #expect(abs(f.peakDistance! - 0.8 / 0.6) < 1e-12)
    }

    @Test func rlFormIsRecoveredExactlyFromPointsOnIt() throws {
        let d = [0.2, 0.7, 1.3, 2.9, 4]
        let f = try OveroptimisationFit.fit(form: .rl, distance: d, gold: d.map { $0 * (0.5 - 0.2 * log($0)) })
        #expect(abs(f.alpha - 0.5) < 1e-12 && abs(f.beta - 0.2) < 1e-12)
        // dR/dd = α − β(log d + 1) = 0 at d* = exp(α/β − 1).
        #expect(abs(f.peakDistance! - exp(1.5)) < 1e-9)
        #expect(abs(f.predict(f.peakDistance! * 1.01) - f.predict(f.peakDistance!)) < 1e-4)
    }

    /// Three points off the curve, solved by hand from the normal equations on (d, −d²):
    /// Σx² = 14, Σxh = −36, Σh² = 98, Σxy = 0.5, Σhy = 0.5, det = 76 → α = 67/76, β = 25/76;
    /// residuals 3.6/76, −3.6/76, 1.2/76.
    @Test func bestOfNLeastSquaresMatchesTheHandSolution() throws {
        let f = try OveroptimisationFit.fit(form: .bestOfN, distance: [1, 2, 3], gold: [0.6, 0.4, -0.3])
        #expect(abs(f.alpha - 67.0 / 76) < 1e-12)
        #expect(abs(f.beta - 25.0 / 76) < 1e-12)
        #expect(abs(f.rmse - (((3.6 * 3.6) * 2 + 1.2 * 1.2) / 3).squareRoot() / 76) < 1e-12)
    }

    @Test func pointsAtTheOriginCarryNoInformation() throws {
        let with = try OveroptimisationFit.fit(form: .bestOfN, distance: [0, 1, 2, 3], gold: [0, 0.6, 0.4, -0.3])
        let without = try OveroptimisationFit.fit(form: .bestOfN, distance: [1, 2, 3], gold: [0.6, 0.4, -0.3])
        #expect(with == without)
    }

    @Test func aRisingCurveHasNoPeak() throws {
        let d = [1.0, 2, 3]
        let f = try OveroptimisationFit.fit(form: .bestOfN, distance: d, gold: d.map { $0 * (0.2 + 0.1 * $0) })
        #expect(f.beta < 0 && f.peakDistance == nil)
    }

    @Test func badPointsAreRefusedByName() {
        #expect(throws: OveroptimisationFitError.tooFewPoints(1)) {
            try OveroptimisationFit.fit(form: .rl, distance: [0, 1], gold: [0, 0.3])
        }
        #expect(throws: OveroptimisationFitError.nonFinite(index: 1)) {
            try OveroptimisationFit.fit(form: .rl, distance: [1, .nan, 2], gold: [0, 0.3, 0.1])
        }
        #expect(throws: OveroptimisationFitError.negativeDistance(index: 0, d: -1)) {
            try OveroptimisationFit.fit(form: .bestOfN, distance: [-1, 1, 2], gold: [0, 0.3, 0.1])
        }
        #expect(throws: OveroptimisationFitError.singular) {
            try OveroptimisationFit.fit(form: .bestOfN, distance: [2, 2, 2], gold: [0.1, 0.2, 0.3])
        }
    }
}
