// GenARM's autoregressive reward model loss (docs/design/decoding.md §4).
import Autograd
import TensorCore

/// GenARM, Xu et al. 2024, arXiv 2410.08193: the reward of a response is the scaled log-likelihood
/// of a causal LM π_r, R(x, y) = β_r · Σ_t log π_r(y_t | x, y_<t), trained with the Bradley–Terry
/// loss on preference pairs and no reference model:
///   z = β_r · (Σ_t ℓ_w,t − Σ_t ℓ_l,t),  L = mean over pairs of −log σ(z) = softplus(−z).
/// Because the reward is a sum of next-token log-probabilities, the trained π_r scores every
/// candidate next token in one forward pass, which is what the `genarm` decoding guide reads.
/// Batch: `.pairs` (chosen rows, then rejected rows); ℓ and the mask cover the response tokens.
/// Metrics: rewards = β_r · Σ ℓ per sequence (TRL's names), logps = Σ ℓ.
public struct GenARMLoss: Objective {
    /// β_r, the scale of the log-likelihood reward.
    public var beta: Float

    public init(beta: Float = 1) {
        precondition(beta > 0, "GenARM: beta must be > 0, got \(beta)")
        self.beta = beta
    }

    public var name: String { "genarm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        let (sw, sl) = Pairs.split(batch.sequenceLogps)  // [P] each
        let z = (sw - sl) * beta
        let loss = meanOverItems(Ops.smoothedLogistic(z, epsilon: 0), count: normalizer.items)
        let metrics = preferenceMetrics(chosenRewards: sw.value * beta, rejectedRewards: sl.value * beta,
                                        chosenLogps: sw.value, rejectedLogps: sl.value)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
