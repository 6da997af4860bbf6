// The functional forms of reward-model over-optimisation (Gao, Schulman & Hilton, "Scaling laws for
// reward model overoptimization", arXiv 2210.10760), fitted to a measured curve of gold reward
// against d = √KL(π ‖ π_init), with the gold reward shifted so the initial policy scores 0:
//     best-of-n:  R(d) = d·(α − β·d)
//     RL:         R(d) = d·(α − β·log d)
// Both are linear in (α, β) with no intercept (R(0) = 0 by construction), so the least-squares fit
// is the 2×2 normal equations on the regressors (d, −d²) or (d, −d·log d). The gold peak is where
// dR/dd = 0: d* = α / (2β) for best-of-n, d* = exp(α/β − 1) for RL (none when β ≤ 0: the fitted
// gold reward never turns down). docs/design/overoptimisation.md.
import Foundation

/// Which of Gao et al.'s forms a fit uses.
public enum OveroptimisationForm: String, Codable, Sendable, CaseIterable {
    /// R(d) = d(α − βd).
    case bestOfN = "best-of-n"
    /// R(d) = d(α − β log d).
    case rl

    /// The second regressor: the fitted curve is α·d − β·h(d).
    func penalty(_ d: Double) -> Double {
        switch self {
        case .bestOfN: return d * d
        case .rl: return d > 0 ? d * log(d) : 0
        }
    }
}

public enum OveroptimisationFitError: Error, CustomStringConvertible, Equatable {
    case tooFewPoints(Int)
    case nonFinite(index: Int)
    case negativeDistance(index: Int, d: Double)
    case singular

    public var description: String {
        switch self {
        case .tooFewPoints(let n): return "an over-optimisation fit needs at least 2 points with d > 0, got \(n)"
        case .nonFinite(let i): return "an over-optimisation fit needs finite points; point \(i) is not"
        case .negativeDistance(let i, let d): return "point \(i): d = √KL must be ≥ 0, got \(d)"
        case .singular: return "the points do not determine α and β (all at one d, or on a degenerate set)"
        }
    }
}

/// α and β of one form, with the fit's residual.
public struct OveroptimisationFit: Codable, Sendable, Equatable {
    public var form: OveroptimisationForm
    public var alpha: Double
    public var beta: Double
    /// Root mean squared residual over the fitted points.
    public var rmse: Double
    public var points: Int

    /// The fitted gold reward at distance d.
    public func predict(_ d: Double) -> Double { alpha * d - beta * form.penalty(d) }

    /// The distance of the fitted gold peak (nil when β ≤ 0: no peak).
    public var peakDistance: Double? {
        guard beta > 0 else { return nil }
        switch form {
        case .bestOfN: return alpha / (2 * beta)
        case .rl: return exp(alpha / beta - 1)
        }
    }

    /// Least squares of `gold` on the form's regressors at `distance` (points at d = 0 carry no
    /// information: both regressors vanish there, as does the shifted gold reward).
    public static func fit(form: OveroptimisationForm, distance: [Double], gold: [Double]) throws -> OveroptimisationFit {
        guard distance.count == gold.count else { throw OveroptimisationFitError.tooFewPoints(min(distance.count, gold.count)) }
        var sxx = 0.0, sxh = 0.0, shh = 0.0, sxy = 0.0, shy = 0.0, used = 0
        for i in distance.indices {
            let d = distance[i], y = gold[i]
            guard d.isFinite, y.isFinite else { throw OveroptimisationFitError.nonFinite(index: i) }
            guard d >= 0 else { throw OveroptimisationFitError.negativeDistance(index: i, d: d) }
            guard d > 0 else { continue }
            let x = d, h = -form.penalty(d)
            sxx += x * x; sxh += x * h; shh += h * h; sxy += x * y; shy += h * y
            used += 1
        }
        guard used >= 2 else { throw OveroptimisationFitError.tooFewPoints(used) }
        let det = sxx * shh - sxh * sxh
        guard abs(det) > 1e-12 * max(1, sxx * shh) else { throw OveroptimisationFitError.singular }
        let alpha = (shh * sxy - sxh * shy) / det
        let beta = (sxx * shy - sxh * sxy) / det
        var fit = OveroptimisationFit(form: form, alpha: alpha, beta: beta, rmse: 0, points: used)
        var sq = 0.0
        for i in distance.indices where distance[i] > 0 {
            let r = gold[i] - fit.predict(distance[i])
            sq += r * r
        }
        fit.rmse = (sq / Double(used)).squareRoot()
        return fit
    }
}
