// RRPO: sub-sequence (phrase) refined rewards with a token-wise KL (docs/design/objectives.md §3.6).
import Autograd
import TensorCore

/// Refined Regularized Preference Optimization, Sarkar et al. 2025, arXiv 2504.12083
/// (`pritamqu/RRPO:longvu/losses.py`, class `RRPO`):
///
/// - Segment ids g_t ∈ {0, 1..N} (0 = outside every differing phrase), `TokenBatch.segmentIDs`,
///   aligned with the labels (the repo shifts them with the labels). Segment k of y^w pairs with
///   segment k of y^l: u_k = Σ_{g^w_t=k} Δ^w_t − Σ_{g^l_t=k} Δ^l_t.
/// - L = −log σ(β Σ_k u_k) + α Σ_t m^w_t KL_t(q^w‖p^w), mean over pairs. The KL covers **all**
///   chosen response tokens; rejected tokens outside segments contribute nothing.
/// Because the margin is summed over k, Σ_k u_k = Σ_{g^w>0} Δ^w − Σ_{g^l>0} Δ^l, so unequal segment
/// counts between chosen and rejected change nothing in the loss (the repo's "pairing" is a sum).
///
/// Defaults: β = 0.1, α = 0.01 (LLaVA-Video release script; docstring ranges β ∈ [0.1, 0.9],
/// α ∈ [0.01, 0.1]). One all-covering segment with α = 0 is DPO. Metrics: rewards β Σ_k (segment
/// log-ratios) as the repo logs them, `kl/chosen`, `kl/rejected`, `kl/per_token`.
public struct RRPO: Objective {
    public var beta: Float
    public var alpha: Float

    public init(beta: Float = 0.1, alpha: Float = 0.01) {
        precondition(beta > 0, "RRPO: beta must be > 0, got \(beta)")
        self.beta = beta
        self.alpha = alpha
    }

    public var name: String { "rrpo" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "RRPO")
        guard let g = batch.segmentIDs else { preconditionFailure("RRPO: TokenBatch.segmentIDs is required") }
        let inSegment = Tensor(shape: g.shape, data: g.data.map { $0 > 0 ? 1 : 0 }) * batch.mask
        let delta = batch.policyLogps - batch.requireReferenceLogps("RRPO")
        let (sw, sl) = Pairs.split(Masking.rowSum(delta, mask: inSegment))
        let kl = TokenDivergence.forwardKL(policyLogits: batch.requirePolicyLogits("RRPO"),
                                           referenceLogits: batch.requireReferenceLogits("RRPO"), mask: batch.mask)
        let (klw, kll) = Pairs.split(kl.sum(axis: 1))
        let perPair = ((sw - sl) * (-beta)).softplus() + klw * alpha
        let loss = meanOverItems(perPair, count: normalizer.items)
        var metrics = preferenceMetrics(chosenRewards: sw.value * beta, rejectedRewards: sl.value * beta,
                                        chosenLogps: pairs.chosenLogps.value, rejectedLogps: pairs.rejectedLogps.value)
        metrics.merge(klMetrics(kl.value, chosen: klw.value, rejected: kll.value, mask: batch.mask)) { a, _ in a }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
