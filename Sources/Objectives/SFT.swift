// Supervised fine-tuning: masked token NLL (docs/design/objectives.md §1.1).
import Autograd
import TensorCore

/// Masked negative log-likelihood, L = −Σ m ℓ / Σ m (`tokenMean`, global across gradient
/// accumulation through `Normalizer.tokens`). Behaviour cloning; TRL `SFTTrainer` (`nll` /
/// `chunked_nll`, `huggingface/trl:trl/trainer/sft_trainer.py`). InstructGPT's SFT stage,
/// Ouyang et al. 2022, arXiv 2203.02155.
///
/// Metrics: `loss`, `nll` (local token mean), `num_tokens`, and `mean_token_accuracy` and `entropy`
/// (token means) when the batch has policy logits and labels (TRL `SFTTrainer`'s names).
public struct SFT: Objective {
    /// How token losses are combined; a per-sequence reduction is then averaged over sequences
    /// (`Normalizer.sequences`).
    public var reduction: Reduction

    public init(reduction: Reduction = .tokenMean) { self.reduction = reduction }

    public var name: String { "sft" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let nll = -batch.policyLogps
        var loss = reduce(nll, mask: batch.mask, reduction, normalizer: normalizer)
        if reduction.isPerSequence { loss = meanOverItems(loss, count: normalizer.sequences) }
        let tokens = batch.mask.sum().scalar
        var metrics: [String: Float] = [
            "nll": tokens > 0 ? -Masking.rowSum(batch.policyLogps.value, mask: batch.mask).sum().scalar / tokens : 0,
            "num_tokens": tokens,
        ]
        if let logits = batch.policyLogits?.value, let labels = batch.labels {
            let predicted = logits.argmax()
            let hits = Tensor(shape: batch.mask.shape, data: zip(predicted.data, labels.data).map { $0 == $1 ? 1 : 0 })
            metrics["mean_token_accuracy"] = maskedMean(hits, mask: batch.mask)
            let logp = Masking.zeroed(logits, mask: Masking.expanded(batch.mask)).logSoftmax()
            metrics["entropy"] = maskedMean(-(logp.exp() * logp).sum(axis: -1), mask: batch.mask)
        }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
