// TDPO1 / TDPO2: token-level DPO with a sequential forward KL (docs/design/objectives.md §3.1).
import Autograd
import TensorCore

/// Token-level Direct Preference Optimization, Zeng et al. 2024, arXiv 2404.11999.
///
/// SeqKL(y) = Σ_t m_t KL_t(q‖p), KL from the **reference** q to the policy p at each response position;
/// u = Σ m^w Δ^w − Σ m^l Δ^l (the DPO margin).
/// - TDPO1: L = −log σ(β[u − (SeqKL(y^l) − SeqKL(y^w))]).
/// - TDPO2: L = −log σ(β[u − α(SeqKL(y^l) − sg(SeqKL(y^w)))]); the stop-gradient is on the
///   *chosen* SeqKL, as in `Vance0124/Token-level-Direct-Preference-Optimization:trainers.py`
///   (`tdpo_loss`: `alpha * (chosen_position_kl.detach() - rejected_position_kl)`).
/// Token sums, then the mean over pairs. Defaults: β = 0.1, α = 0.5 (`config/loss/tdpo.yaml`).
/// The variant has no default: the repo's config runs TDPO1 while its function defaults to TDPO2.
/// The reference distribution uses log-softmax + xlogy, not the repo's NaN-prone `softmax().log()`.
///
/// Needs `policyLogits`, `referenceLogits` [B, T, V] and `referenceLogps`. Metrics: rewards
/// β(Σ m Δ + SeqKL) per response (as the repo logs them), `kl/chosen`, `kl/rejected` (mean SeqKL),
/// `kl/per_token`.
public struct TDPO: Objective {
    public enum Variant: String, Sendable { case tdpo1, tdpo2 }

    public var variant: Variant
    public var beta: Float
    public var alpha: Float

    public init(_ variant: Variant, beta: Float = 0.1, alpha: Float = 0.5) {
        precondition(beta > 0, "TDPO: beta must be > 0, got \(beta)")
        self.variant = variant
        self.beta = beta
        self.alpha = alpha
    }

    public var name: String { variant.rawValue }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "TDPO")
        let kl = TokenDivergence.forwardKL(policyLogits: batch.requirePolicyLogits("TDPO"),
                                           referenceLogits: batch.requireReferenceLogits("TDPO"), mask: batch.mask)
        let (klw, kll) = Pairs.split(kl.sum(axis: 1))
        let u = pairs.chosenLogratios - pairs.rejectedLogratios
        let z: Variable
        switch variant {
        case .tdpo1: z = (u - (kll - klw)) * beta
        case .tdpo2: z = (u - (kll - klw.stopGradient()) * alpha) * beta
        }
        let loss = meanOverItems((-z).softplus(), count: normalizer.items)
        var metrics = preferenceMetrics(chosenRewards: (pairs.chosenLogratios.value + klw.value) * beta,
                                        rejectedRewards: (pairs.rejectedLogratios.value + kll.value) * beta,
                                        chosenLogps: pairs.chosenLogps.value, rejectedLogps: pairs.rejectedLogps.value)
        metrics.merge(klMetrics(kl.value, chosen: klw.value, rejected: kll.value, mask: batch.mask)) { a, _ in a }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}

/// `kl/chosen`, `kl/rejected` (mean sequential KL) and `kl/per_token`.
func klMetrics(_ kl: Tensor, chosen: Tensor, rejected: Tensor, mask: Tensor) -> [String: Float] {
    [
        MetricName.klChosen: chosen.mean().scalar,
        MetricName.klRejected: rejected.mean().scalar,
        MetricName.klPerToken: maskedMean(kl, mask: mask),
    ]
}
