// OREAL's token importance weights and the loss of the token-level reward model that produces them
// (Lyu et al. 2025, "Exploring the Limit of Outcome Reward for Learning Mathematical Reasoning",
// arXiv 2502.06781). Pure maths on the RM's per-token logits; the trainer owns the model.
import Autograd
import Foundation
import TensorCore

/// How the token RM's probability of a correct outcome becomes a weight (the reference code's
/// `threshold_rescale` and `topk_rescale`, `InternLM/OREAL:train_oreal.py`).
public enum OREALRescale: Sendable, Equatable {
    /// ω = clamp((q − τ)/(1 − τ), 0, 1) with q = p on positive rows (τ = `correct`) and q = 1 − p on
    /// negative rows (τ = `incorrect`); both τ in [0, 1). The paper's setting: 0.5 and 0.5, so
    /// ω⁺ = max(2p − 1, 0) and ω⁻ = max(1 − 2p, 0).
    case threshold(correct: Float, incorrect: Float)
    /// The ⌊n·r⌋ largest q of a row (n its trained tokens, ties to the earlier token) min–max scaled
    /// to [0, 1], the rest 0; all 1 when the kept values are equal, all 0 when ⌊n·r⌋ = 0 (where the
    /// reference code would fail on an empty top-k). r in (0, 1].
    case topK(correct: Float, incorrect: Float)
}

public enum OREALTokenWeights {
    /// p_t = σ((1/k) Σ_{j≤t} w_j): the sigmoid of the running mean of the row's RM logits over its
    /// trained tokens (k = how many trained tokens up to t), as a row of probabilities in token order.
    static func runningProbabilities(_ w: [Float], mask m: [Float], row i: Int, length T: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(T)
        var sum = 0.0, k = 0.0
        for t in 0 ..< T where m[i * T + t] != 0 {
            sum += Double(w[i * T + t])
            k += 1
            out.append(Float(1 / (1 + Foundation.exp(-sum / k))))
        }
        return out
    }

    /// `threshold_rescale`: clamp((q − τ)/(1 − τ), 0, 1).
    static func threshold(_ q: [Float], _ tau: Float) -> [Float] {
        q.map { min(max(($0 - tau) / (1 - tau), 0), 1) }
    }

    /// `topk_rescale` (see `OREALRescale.topK`).
    static func topK(_ q: [Float], ratio: Float) -> [Float] {
        let k = Int(Float(q.count) * ratio)
        var out = [Float](repeating: 0, count: q.count)
        guard k > 0 else { return out }
        let kept = q.indices.sorted { q[$0] != q[$1] ? q[$0] > q[$1] : $0 < $1 }.prefix(k)
        let values = kept.map { q[$0] }
        guard let lo = values.min(), let hi = values.max() else { return out }
        for j in kept { out[j] = hi != lo ? (q[j] - lo) / (hi - lo) : 1 }
        return out
    }

    /// ω [B, T] from the token RM's logits [B, T]: ω⁺ on rows with `positive[i]`, ω⁻ on the others,
    /// 0 at masked positions (masked logits are never read). Constants: no gradient reaches the RM
    /// through its weights.
    /// - Throws: `RLInputError` for shapes, a non-finite logit at a trained position, or a threshold
    ///   outside [0, 1) / a ratio outside (0, 1].
    public static func weights(logits: Tensor, mask: Tensor, positive: [Bool], rescale: OREALRescale) throws -> Tensor {
        guard logits.shape == mask.shape, mask.rank == 2 else { throw RLInputError.shape(field: "token RM logits", got: logits.shape, expected: mask.shape) }
        let B = mask.shape[0], T = mask.shape[1]
        guard positive.count == B else { throw RLInputError.shape(field: "outcomes", got: [positive.count], expected: [B]) }
        try validate(rescale)
        let m = mask.scalars, w = logits.scalars
        for k in 0 ..< w.count where m[k] != 0 && !w[k].isFinite {
            throw RLInputError.nonFinite(field: "token RM logits", row: k / T, position: k % T, value: w[k])
        }
        var out = [Float](repeating: 0, count: B * T)
        for i in 0 ..< B {
            let p = runningProbabilities(w, mask: m, row: i, length: T)
            let q = positive[i] ? p : p.map { 1 - $0 }
            let omega: [Float]
            switch rescale {
            case .threshold(let c, let n): omega = threshold(q, positive[i] ? c : n)
            case .topK(let c, let n): omega = topK(q, ratio: positive[i] ? c : n)
            }
            var k = 0
            for t in 0 ..< T where m[i * T + t] != 0 {
                out[i * T + t] = omega[k]
                k += 1
            }
        }
        return Tensor(shape: [B, T], data: out)
    }

    static func validate(_ rescale: OREALRescale) throws {
        switch rescale {
        case .threshold(let c, let n):
            for (key, v) in [("correct_threshold", c), ("incorrect_threshold", n)] where !(v >= 0 && v < 1) {
                throw RLInputError.invalidSetting(key: key, value: "\(v)", reason: "expected a threshold in [0, 1)")
            }
        case .topK(let c, let n):
            for (key, v) in [("correct_topk_ratio", c), ("incorrect_topk_ratio", n)] where !(v > 0 && v <= 1) {
                throw RLInputError.invalidSetting(key: key, value: "\(v)", reason: "expected a ratio in (0, 1]")
            }
        }
    }

    /// The token RM's loss: a sequence-level binary cross-entropy on the mean of its token logits,
    /// L_RM = (1/N) Σ_i BCE(x_i, y_i) with x_i = (1/|y_i|) Σ_t m w_t and y_i = 1 for a positive
    /// outcome, 0 otherwise; BCE(x, y) = softplus(x) − y·x. The reference code takes the mean where
    /// the paper's text sums; the mean keeps the logit's scale independent of the response length,
    /// as the running mean of the weights is. N = `sequences` (default: the rows here), so the loss of
    /// micro-batches adds up to the loss of their optimizer batch.
    /// - Parameter logits: w [B, T], differentiable in the RM's parameters.
    public static func rewardModelLoss(logits: Variable, mask: Tensor, positive: [Bool], sequences: Float? = nil) -> Variable {
        precondition(logits.shape == mask.shape && positive.count == mask.shape[0], "token RM loss: logits \(logits.shape), mask \(mask.shape), \(positive.count) outcomes")
        let x = Masking.rowSum(logits, mask: mask) / Masking.clampedLengths(mask)  // [B]
        let y = Tensor(shape: [positive.count], data: positive.map { $0 ? 1 : 0 })
        let perRow = x.softplus() - x * y
        return perRow.sum() / (sequences ?? Float(positive.count))
    }
}
