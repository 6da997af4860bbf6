// TGDPO: DPO with token-level reward guidance (docs/design/objectives.md §3.2).
import Autograd
import TensorCore

/// Token-level Reward Guidance for DPO, Zhu et al. 2025, arXiv 2506.14574, the practical form of
/// `dvlab-research/TGDPO:src/llamafactory/train/tgdpo/trainer.py` (`dpo_loss`, sigmoid branch):
///
/// - Guidance token reward r̂_t, by default the induced DPO reward of a token-level RM that is an LM:
///   r̂_t = β(ℓ^rm_t − ℓ^ref_t), same β and reference as the policy.
/// - Weights (constants): w^w_t = 1 + α r̂^w_t, w^l_t = 1 − α r̂^l_t.
/// - L = −log σ(β Σ_t m^w w^w_t Δ^w_t − β Σ_t m^l w^l_t Δ^l_t), mean over pairs.
///
/// Defaults: β = 0.1 (`pref_beta`), α = 0.5 (`tgdpo_alpha`). α = 0 is exactly DPO. The reference
/// code does not clamp the weights, so |α r̂| > 1 flips a token's push; `weightRange` clamps them
/// when set, and `token_weights/negative_fraction` reports how often it happens.
public struct TGDPO: Objective {
    public enum Guidance: Sendable {
        /// r̂ = β(ℓ^aux − ℓ^ref) from `auxiliary[model].logps`.
        case implicitReward(model: AuxiliaryKey)
        /// r̂ = `TokenBatch.tokenRewards` (any token-level reward model).
        case tokenRewards
    }

    public var beta: Float
    public var alpha: Float
    public var guidance: Guidance
    public var weightRange: ClosedRange<Float>?

    public init(beta: Float = 0.1, alpha: Float = 0.5, guidance: Guidance = .implicitReward(model: .tokenRewardModel),
                weightRange: ClosedRange<Float>? = nil) {
        precondition(beta > 0, "TGDPO: beta must be > 0, got \(beta)")
        self.beta = beta
        self.alpha = alpha
        self.guidance = guidance
        self.weightRange = weightRange
    }

    public var name: String { "tgdpo" }

    /// The guidance token rewards r̂ ([B, T], zero at masked positions).
    public func guidanceRewards(_ batch: TokenBatch) -> Tensor {
        let r: Tensor
        switch guidance {
        case .implicitReward(let key):
            r = (batch.requireAuxiliaryLogps(key, "TGDPO") - batch.requireReferenceLogps("TGDPO")) * beta
        case .tokenRewards:
            guard let t = batch.tokenRewards else { preconditionFailure("TGDPO: .tokenRewards guidance needs TokenBatch.tokenRewards") }
            r = t
        }
        return Masking.zeroed(r, mask: batch.mask)
    }

    /// Token weights: chosen rows 1 + α r̂, rejected rows 1 − α r̂ ([B, T]).
    public func weights(_ batch: TokenBatch) -> Tensor {
        let r = guidanceRewards(batch)
        let (rc, rr) = Pairs.split(r)
        var w = Tensor.concatenate([rc * alpha + 1, 1 - rr * alpha], axis: 0)
        if let weightRange { w = w.clamped(min: weightRange.lowerBound, max: weightRange.upperBound) }
        return Masking.zeroed(w, mask: batch.mask)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "TGDPO")
        let w = weights(batch)
        let delta = batch.policyLogps - batch.requireReferenceLogps("TGDPO")
        let (sw, sl) = Pairs.split(Masking.rowSum(delta * w, mask: batch.mask))
        let z = (sw - sl) * beta
        let loss = meanOverItems((-z).softplus(), count: normalizer.items)
        var metrics = preferenceMetrics(chosenRewards: pairs.chosenLogratios.value * beta,
                                        rejectedRewards: pairs.rejectedLogratios.value * beta,
                                        chosenLogps: pairs.chosenLogps.value, rejectedLogps: pairs.rejectedLogps.value)
        metrics.merge(weightMetrics(w, mask: batch.mask)) { a, _ in a }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}

/// Mean token weight on chosen and rejected rows, and the fraction of negative weights.
func weightMetrics(_ w: Tensor, mask: Tensor) -> [String: Float] {
    let (wc, wr) = Pairs.split(w)
    let (mc, mr) = Pairs.split(mask)
    let negative = Masking.zeroed(w.less(Tensor(0)), mask: mask).sum().scalar
    return [
        MetricName.weightsChosen: maskedMean(wc, mask: mc),
        MetricName.weightsRejected: maskedMean(wr, mask: mr),
        MetricName.negativeWeightFraction: negative / Swift.max(mask.sum().scalar, 1),
    ]
}
