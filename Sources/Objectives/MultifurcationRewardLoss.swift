// Saffron-1's partial supervision objective for a multifurcation reward model (docs/design/search.md §7).
import Autograd
import TensorCore

/// Qiu et al. 2025, arXiv 2506.06444. A multifurcation reward model (MRM) is a causal LM whose
/// output head gives, from one forward pass at a prefix s, a reward for every next token:
/// M_φ(s) ∈ R^|V| with M_φ(s)[a] ≈ R(s ⊕ a), the process reward of the child that appends a. The
/// training data labels only the transitions that were observed, (s_t, y_t) along sampled
/// responses with a teacher's prefix reward r_t = R(x ⊕ y_≤t), so the loss touches only the entry of
/// the observed token:
///   L = Σ_t m_t · (M_φ(x ⊕ y_<t)[y_t] − r_t)² / Σ_t m_t   (token mean over the batch).
/// Batch: any rows whose `policyLogits` are the shifted raw outputs [B, T, V] (position t predicts
/// labels[t]), `tokenRewards` the targets r [B, T] aligned with the labels, `mask` the response tokens.
/// The raw outputs are the rewards; there is no softmax. Metrics: `mean_score` (mean M_φ(s_t)[y_t])
/// and `mean_target`.
public struct MultifurcationRewardLoss: Objective {
    public init() {}

    public var name: String { "multifurcation_rm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard let logits = batch.policyLogits, let labels = batch.labels else {
            preconditionFailure("MultifurcationRewardLoss: TokenBatch.policyLogits [B, T, V] and labels [B, T] are required")
        }
        guard let y = batch.tokenRewards else { preconditionFailure("MultifurcationRewardLoss: TokenBatch.tokenRewards (targets) is required") }
        let scores = logits.gatherLast(labels)  // [B, T]: M(s_t)[y_t]
        let target = Masking.zeroed(y, mask: batch.mask)
        let loss = reduce((scores - target).squared(), mask: batch.mask, .tokenMean, normalizer: normalizer)
        return ObjectiveOutput(loss: loss, metrics: ["mean_score": maskedMean(scores.value, mask: batch.mask),
                                                    "mean_target": maskedMean(target, mask: batch.mask)])
    }
}
