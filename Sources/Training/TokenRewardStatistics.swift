// Our token-level metrics beside TRL's: the implicit token reward β(ℓ − ℓ^ref) ("From r to Q*",
// Rafailov et al. 2024, arXiv 2404.12358) and the per-token KL estimate k1 = ℓ − ℓ^ref
// (docs/design/objectives.md §0.4 G5), over the trained tokens of chosen and rejected rows.
import TensorCore

enum TokenRewardStatistics {
    /// - Parameters: policyLogps, referenceLogps, mask: [2P, T] (chosen rows first).
    static func metrics(policyLogps: Tensor, referenceLogps: Tensor, mask: Tensor, beta: Float) -> [String: Float] {
        let d = (policyLogps - referenceLogps).scalars, m = mask.scalars
        let half = d.count / 2
        var sum = [0.0, 0.0], count = [0.0, 0.0], minR = [Float.infinity, .infinity], maxR = [-Float.infinity, -.infinity]
        for i in 0 ..< d.count where m[i] > 0 {
            let side = i < half ? 0 : 1
            let r = beta * d[i]
            sum[side] += Double(r); count[side] += 1
            minR[side] = min(minR[side], r); maxR[side] = max(maxR[side], r)
        }
        var out: [String: Float] = [:]
        for (side, name) in ["chosen", "rejected"].enumerated() where count[side] > 0 {
            out["token_rewards/\(name)_mean"] = Float(sum[side] / count[side])
            out["token_rewards/\(name)_min"] = minR[side]
            out["token_rewards/\(name)_max"] = maxR[side]
        }
        let n = count[0] + count[1]
        if n > 0 { out["kl/per_token_k1"] = Float((sum[0] + sum[1]) / n) / beta }
        return out
    }
}
