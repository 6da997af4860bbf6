// CLoud, "Critique-out-Loud Reward Models" (Ankner et al. 2024, arXiv 2408.11791): a reward model
// that first writes a critique of (prompt, response) with its language-model head and then reads a
// scalar reward head at the end of prompt + response + critique. Its second training stage fits the
// reward head with the Bradley–Terry loss on rows whose critiques the model generated itself, and
// keeps the language-model loss on those critique tokens with a weight λ, so that the trunk stays a
// critic while the head learns (docs/design/rewards.md §11).
import Autograd
import TensorCore

/// L = mean_pairs −log σ(r_c − r_r − μ) + λ · (−Σ m ℓ / Σ m), where r is the head `scores` [B, T]
/// read at `tokenWeights[.rewardReadout]` (the last token of prompt + response + critique), μ the
/// margin `sequenceValues[.margin]` when present, ℓ the LM head's log-probabilities of the labels
/// (`policyLogps` [B, T]) and m `mask`: the critique tokens of both responses of every pair. The
/// critique term is a token mean over the optimizer batch (`Normalizer.tokens`), the Bradley–Terry
/// term a mean over its pairs (`Normalizer.items`). Structure `.pairs`.
///
/// Metrics: `BradleyTerryRM`'s on r, `loss/reward`, `loss/critique` (the critique NLL, local token
/// mean).
public struct CritiqueOutLoudLoss: Objective {
    /// λ ≥ 0, the weight of the critique language-model loss.
    public var lambda: Float
    /// λ when none is given: the two terms weighted equally.
    public static let defaultLambda: Float = 1

    public init(lambda: Float = CritiqueOutLoudLoss.defaultLambda) {
        self.lambda = lambda
    }

    public var name: String { "cloud" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let (reward, m) = batch.readoutBradleyTerry("CritiqueOutLoudLoss", normalizer: normalizer)
        let critique = reduce(-batch.policyLogps, mask: batch.mask, .tokenMean, normalizer: normalizer)
        var metrics = m
        let tokens = batch.mask.sum().scalar
        metrics["loss/critique"] = tokens > 0 ? -Masking.rowSum(batch.policyLogps.value, mask: batch.mask).sum().scalar / tokens : 0
        return ObjectiveOutput(loss: reward + critique * lambda, metrics: metrics)
    }
}
