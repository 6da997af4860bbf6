// Speculative sampling's verification step (docs/design/search.md, "Persona-judge"): a drafter's
// γ proposed tokens are checked against a judge's distributions at the same positions. Persona-judge
// uses it with two persona-conditioned views of one model; the rule itself is Leviathan et al.'s.
import TensorCore

/// Speculative sampling (Leviathan et al. 2023, arXiv 2211.17192; Chen et al. 2023, arXiv 2302.01318).
/// Drafted token x_i, drawn from q_i, is accepted while u_i < min(1, p_i(x_i) / q_i(x_i)), u_i ~ U[0, 1);
/// the first rejected position draws its replacement from the residual norm(max(p_i − q_i, 0)), and
/// when all γ pass one more token is drawn from p_γ. Every emitted token is then distributed exactly
/// as the judge's p, whatever q is: the drafter changes how many tokens one judge pass yields, not
/// what is sampled.
enum SpeculativeVerification {
    /// How many drafted tokens were kept, and the token emitted after them (the residual draw at the
    /// first rejection, or the judge's own draw when every draft passed).
    struct Outcome: Equatable {
        var accepted: Int
        var next: Int
    }

    /// Verifies `drafted` (γ tokens) against probability rows.
    /// - Parameters:
    ///   - q: the drafter's distributions, γ rows of `V` (row i is the one x_i was drawn from).
    ///   - p: the judge's distributions, γ + 1 rows of `V` (row γ follows every drafted token).
    static func verify(drafted: [Int], q: [Float], p: [Float], vocabulary V: Int, rng: inout RandomGenerator) -> Outcome {
        let gamma = drafted.count
        precondition(q.count == gamma * V && p.count == (gamma + 1) * V, "verify: \(gamma) drafts need \(gamma) q rows and \(gamma + 1) p rows of \(V)")
        return q.withUnsafeBufferPointer { qb in
            p.withUnsafeBufferPointer { pb in
                for (i, x) in drafted.enumerated() {
                    let qx = Double(qb[i * V + x]), px = Double(pb[i * V + x])
                    // q(x) > 0 because x was drawn from q; the ratio test is written without dividing.
                    let u = rng.nextDouble()
                    if u * qx < px { continue }
                    return Outcome(accepted: i, next: residualDraw(p: pb.baseAddress! + i * V, q: qb.baseAddress! + i * V, count: V, rng: &rng))
                }
                return Outcome(accepted: gamma, next: rng.categorical(weights: UnsafeBufferPointer(rebasing: pb[(gamma * V) ..< ((gamma + 1) * V)])))
            }
        }
    }

    /// A draw from norm(max(p − q, 0)). Its mass is 0 only when p = q, where no rejection can happen
    /// except through rounding; then the draw is from p.
    static func residualDraw(p: UnsafePointer<Float>, q: UnsafePointer<Float>, count V: Int, rng: inout RandomGenerator) -> Int {
        var total: Double = 0
        for v in 0 ..< V where p[v] > q[v] { total += Double(p[v] - q[v]) }
        guard total > 0 else { return rng.categorical(weights: UnsafeBufferPointer(start: p, count: V)) }
        let u = rng.nextDouble() * total
        var acc: Double = 0
        var last = 0
        for v in 0 ..< V where p[v] > q[v] {
            acc += Double(p[v] - q[v])
            last = v
            if u < acc { return v }
        }
        return last
    }

    /// The exact distribution of the first emitted token when x ~ q is verified against p (one
    /// position): q(v)·min(1, p(v)/q(v)) + (1 − Σ_u min(q(u), p(u)))·residual(v). It equals p; tests
    /// compare the sampler against it.
    static func firstTokenDistribution(p: [Float], q: [Float]) -> [Double] {
        var accepted = [Double](repeating: 0, count: p.count), rejectMass = 1.0, residualTotal = 0.0
        for v in p.indices {
            accepted[v] = Double(min(p[v], q[v]))
            rejectMass -= accepted[v]
            residualTotal += Double(max(p[v] - q[v], 0))
        }
        return p.indices.map { v in
            accepted[v] + (residualTotal > 0 ? rejectMass * Double(max(p[v] - q[v], 0)) / residualTotal : 0)
        }
    }
}
