// Contrastive critical-token scores for critical-token cDPO (docs/design/rewards.md §1.4).
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

    /// Per-token weights for one response: chosen responses 1 (only_neg) or c, rejected 1 − c.
    public static func weights(scores c: Tensor, chosen: Bool, onlyNegative: Bool = true) -> Tensor {
        chosen ? (onlyNegative ? Tensor(shape: c.shape, repeating: 1) : c) : 1 - c
    }
}
