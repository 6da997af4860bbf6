// Key-token advantage estimation: the GRPO advantage plus a per-token-id bonus read from how a
// token's occurrence separates a group's correct rollouts from its wrong ones.
import Foundation
import Support
import TensorCore

/// KTAE, arXiv 2505.16826 (its reference code, `xiaolizh1/KTAE:verl/workers/actor/compute_key_tokens.py`
/// and `compute_ktae_outcome_advantage_and_keytokens` in its `core_algos.py`). Per group with both
/// correct (R > 0) and wrong rollouts, for every token id v in the group's trained tokens:
/// - the 2×2 table of rollouts containing v: a correct, b wrong, c = |C| − a, d = |W| − b;
/// - F_v = e^{−2p} from Fisher's exact two-sided p-value (0 when p = 1);
/// - IG_v, the information gain (bits) of "contains v" about correctness;
/// - x_v = Cohen's h, asin√(a/(a+c)) − asin√(b/(b+d)), plus the BM25-style frequency contrast
///   tf_C/(tf_W + 1e-5) − tf_W/(tf_C + 1e-5), tf_X = f(k₁+1)/(f + k₁(1 − b + b·N_X/N̄)) with f the
///   share of class X's tokens that are v, N_X its token count, N̄ the mean of N_C and N_W, k₁ = 2,
///   b = 0.5;
/// - κ_v = 2·top·(σ((α F_v + β IG_v)·x_v/(α + β)) − ½) ∈ (−top, top).
/// Then Â_{i,t} = (R_i − mean R)/(std R + ε) + κ_{y_{i,t}} (unbiased std, ε = 1e-6, as the
/// reference). Groups without both outcomes, or of size 1 (mean 0, std 1), get κ = 0. Position is
/// ignored: the same κ applies to every occurrence of v, in correct and wrong rollouts alike. The
/// reference zeroes Qwen's `<|endoftext|>` id by hand; here no id is special.
/// Fisher's p sums the tables as likely as the observed one or less, with SciPy's relative
/// tolerance 1 + 1e-7 for ties (the reference compares float32 values exactly).
public struct KTAEAdvantage: AdvantageEstimator {
    public var alpha: Float
    public var beta: Float
    public var top: Float
    public var useTermFrequency: Bool
    public var epsilon: Float

    public init(alpha: Float = 1, beta: Float = 1, top: Float = 1, useTermFrequency: Bool = true, epsilon: Float = 1e-6) throws {
        guard alpha >= 0, beta >= 0, alpha + beta > 0, top > 0, epsilon >= 0 else {
            throw RLInputError.invalidSetting(key: "ktae", value: "α \(alpha), β \(beta), top \(top)", reason: "needs α, β ≥ 0 with α + β > 0 and top > 0")
        }
        self.alpha = alpha
        self.beta = beta
        self.top = top
        self.useTermFrequency = useTermFrequency
        self.epsilon = epsilon
    }

    public var name: String { "ktae" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        guard let ids = batch.tokenIDs else { throw RLInputError.missing(field: "tokenIDs", method: name) }
        let m = batch.mask.scalars, y = ids.data, T = batch.length
        var out = [Float](repeating: 0, count: batch.rowCount * T)
        for rows in batch.groups {
            var base = [Double](repeating: 0, count: rows.count)
            var kappa: [Int32: Double] = [:]
            if rows.count == 1 {
                base[0] = Double(R[rows[0]])
            } else {
                let g = rows.map { R[$0] }
                let mean = AdvantageStatistics.mean(g), std = AdvantageStatistics.unbiasedStd(g)
                for (k, r) in g.enumerated() { base[k] = (Double(r) - mean) / (std + Double(epsilon)) }
                kappa = keyTokenValues(rows: rows, rewards: R, ids: y, mask: m, length: T)
            }
            for (k, i) in rows.enumerated() {
                for t in 0 ..< T where m[i * T + t] != 0 {
                    out[i * T + t] = Float(base[k] + (kappa[y[i * T + t]] ?? 0))
                }
            }
        }
        let a = Tensor(shape: batch.mask.shape, data: out)
        return Advantages(advantages: a, returns: a)
    }

    /// κ_v for every id in the group's trained tokens (empty without both outcomes).
    func keyTokenValues(rows: [Int], rewards R: [Float], ids y: [Int32], mask m: [Float], length T: Int) -> [Int32: Double] {
        let correct = rows.filter { R[$0] > 0 }, wrong = rows.filter { R[$0] <= 0 }
        guard !correct.isEmpty, !wrong.isEmpty else { return [:] }
        // Rollouts containing each id, and each id's token count, per class.
        func census(_ set: [Int]) -> (present: [Int32: Int], counts: [Int32: Int], tokens: Int) {
            var present: [Int32: Int] = [:], counts: [Int32: Int] = [:], tokens = 0
            for i in set {
                var seen = Set<Int32>()
                for t in 0 ..< T where m[i * T + t] != 0 {
                    let v = y[i * T + t]
                    counts[v, default: 0] += 1
                    tokens += 1
                    if seen.insert(v).inserted { present[v, default: 0] += 1 }
                }
            }
            return (present, counts, tokens)
        }
        let c = census(correct), w = census(wrong)
        let nC = Double(correct.count), nW = Double(wrong.count)
        let k1 = 2.0, b = 0.5, meanLength = Double(c.tokens + w.tokens) / 2
        func tf(_ count: Int, _ total: Int) -> Double {
            guard total > 0 else { return 0 }
            let f = Double(count) / Double(total)
            return f * (k1 + 1) / (f + k1 * (1 - b + b * Double(total) / meanLength))
        }
        var out: [Int32: Double] = [:]
        for v in Set(c.present.keys).union(w.present.keys) {
            let a = Double(c.present[v] ?? 0), bw = Double(w.present[v] ?? 0)
            let cc = nC - a, d = nW - bw
            let p = Self.fisherTwoSided(a: Int(a), b: Int(bw), c: Int(cc), d: Int(d))
            let fisher = p != 1 ? Foundation.exp(-2 * p) : 0
            let ig = Self.informationGain(a: a, b: bw, c: cc, d: d)
            var x = Foundation.asin((a / (a + cc + 1e-10)).squareRoot()) - Foundation.asin((bw / (bw + d + 1e-10)).squareRoot())
            if useTermFrequency {
                let tc = tf(c.counts[v] ?? 0, c.tokens), tw = tf(w.counts[v] ?? 0, w.tokens)
                x += tc / (tw + 1e-5) - tw / (tc + 1e-5)
            }
            let s = (Double(alpha) * fisher + Double(beta) * ig) * x / Double(alpha + beta)
            out[v] = (1 / (1 + Foundation.exp(-s)) - 0.5) * 2 * Double(top)
        }
        return out
    }

    /// Fisher's exact test, two-sided, of the 2×2 table [[a, b], [c, d]] (rows: contains v or not;
    /// columns: correct, wrong).
    static func fisherTwoSided(a: Int, b: Int, c: Int, d: Int) -> Double {
        let r1 = a + b, c1 = a + c, n = a + b + c + d
        guard n > 0 else { return 1 }
        func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }
        func logP(_ k: Int) -> Double { logChoose(c1, k) + logChoose(n - c1, r1 - k) - logChoose(n, r1) }
        let observed = logP(a)
        var p = 0.0
        for k in max(0, r1 + c1 - n) ... min(r1, c1) {
            let lp = logP(k)
            if lp <= observed + log1p(1e-7) { p += Foundation.exp(lp) }
        }
        return min(p, 1)
    }

    /// Information gain (bits) of the split "contains v" about correct vs wrong.
    static func informationGain(a: Double, b: Double, c: Double, d: Double) -> Double {
        let n = a + b + c + d
        guard n > 0 else { return 0 }
        func h(_ x: Double, _ y: Double) -> Double {
            let s = x + y
            guard s > 0 else { return 0 }
            return [x / s, y / s].reduce(0) { $0 - ($1 > 0 ? $1 * log2($1) : 0) }
        }
        return h(a + c, b + d) - ((a + b) / n) * h(a, b) - ((c + d) / n) * h(c, d)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "ktae", summary: "GRPO advantage plus key-token bonuses κ ∈ (−1, 1) from correct-vs-wrong token statistics (α = β = top = 1)",
                         arxiv: ["2505.16826"], inputs: ["sequence rewards", "group ids", "token ids"],
                         defaults: ["epsilon": "1e-6"]),
        make: { s in try KTAEAdvantage(epsilon: s.epsilon ?? 1e-6) })
}
