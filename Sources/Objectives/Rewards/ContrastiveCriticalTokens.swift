// Contrastive critical-token scores for critical-token cDPO (docs/design/rewards.md §1.4).
import Foundation
import Rewards
import TensorCore

/// Contrastive estimation of critical tokens, Lin et al. 2024, arXiv 2411.19943
/// (`chenzhiling9954/Critical-Tokens-Matter:src/pipeline.py`, `calculate_ce_score`, which uses
/// `2·z_pos − z_neg`, i.e. γ = 1): c_t = softmax((1+γ) z⁺_t − γ z⁻_t)[y_t]. A low c_t on a token of a
/// wrong solution means the positive model would not produce it but the negative one would: a
/// critical token. The loss weights are s^w = c^w (or 1 with `only_neg`) and s^l = 1 − c^l.
public enum ContrastiveCriticalTokens {
    /// - Parameters:
    ///   - positiveLogits: z⁺, [B, T, V], aligned with `labels` (position t predicts labels[t]).
    ///   - negativeLogits: z⁻, [B, T, V].
    ///   - labels: [B, T].
    ///   - gamma: γ (1 in the paper and code).
    ///   - mask: [B, T]; masked positions (whose labels may be padding ids) get 0.
    /// - Returns: c_t ∈ (0, 1), [B, T].
    public static func scores(positiveLogits: Tensor, negativeLogits: Tensor, labels: IndexTensor, gamma: Float = 1,
                              mask: Tensor? = nil) -> Tensor {
        precondition(positiveLogits.shape == negativeLogits.shape, "ContrastiveCriticalTokens: \(positiveLogits.shape) vs \(negativeLogits.shape)")
        let m = mask ?? Tensor(shape: labels.shape, repeating: 1)
        let contrast = positiveLogits * (1 + gamma) - negativeLogits * gamma
        return Masking.zeroed(TokenBatch.tokenLogps(logits: contrast, labels: labels, mask: m).exp(), mask: m)
    }

    /// c_t of one token from the two logits rows that predict it (V entries each):
    /// softmax((1+γ) z⁺ − γ z⁻)[y], with the maximum subtracted before exponentiating. The row form
    /// of `scores` (equal up to rounding); `ContrastiveCriticalTokenReward` and the CreditBench demo
    /// read it.
    @inline(__always)
    public static func score(positive zp: UnsafePointer<Float>, negative zn: UnsafePointer<Float>, label y: Int,
                             vocabularySize V: Int, gamma: Float = 1) -> Float {
        let a = 1 + gamma
        var m = -Float.infinity
        for v in 0 ..< V { m = max(m, a * zp[v] - gamma * zn[v]) }
        var s: Float = 0
        for v in 0 ..< V { s += expf(a * zp[v] - gamma * zn[v] - m) }
        return expf(a * zp[y] - gamma * zn[y] - m) / s
    }

    /// Per-token weights for one response: chosen responses 1 (only_neg) or c, rejected 1 − c.
    public static func weights(scores c: Tensor, chosen: Bool, onlyNegative: Bool = true) -> Tensor {
        chosen ? (onlyNegative ? Tensor(shape: c.shape, repeating: 1) : c) : 1 - c
    }
}

/// The contrastive critical-token score as a `TokenRewardSource`: r_t = c_t ∈ (0, 1) from a positive
/// and a negative model read together (`logits.modelCount == 2`: z⁺ first, then z⁻). Low r_t marks
/// a token the positive model would avoid but the negative one would write.
public struct ContrastiveCriticalTokenReward: BatchedTokenRewardSource {
    public var logits: any TokenLogitsSource
    public var gamma: Float
    public var name: String

    public init(logits: any TokenLogitsSource, gamma: Float = 1, name: String = "cdpo-contrastive") {
        precondition(logits.modelCount == 2, "ContrastiveCriticalTokenReward: needs the rows of 2 models (positive, negative), got \(logits.modelCount)")
        self.logits = logits
        self.gamma = gamma
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 2) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let V = logits.vocabularySize, gamma = gamma
        var out = episodes.map { [Float](repeating: 0, count: $0.response.count) }
        logits.forEachTokenLogits(episodes) { i, t, z in
            out[i][t] = ContrastiveCriticalTokens.score(positive: z[0], negative: z[1], label: Int(episodes[i].response[t]),
                                                        vocabularySize: V, gamma: gamma)
        }
        return out.map { TokenRewards(values: $0, source: name) }
    }
}
