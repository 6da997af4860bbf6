// The segment reward model's training loss (Yin et al. 2025, arXiv 2501.02790; `agg_func = "avg"`
// in `yinyueqin/DenseRewardRLHF-PPO:denserlhf/trainer/rm_trainer.py`): Bradley–Terry on the mean of
// the per-token head's values at the segment ends (docs/design/rewards.md §5).
import Autograd
import TensorCore

/// Bradley–Terry on S(y) = mean of the head scores `TokenBatch.scores` [B, T] at the segment ends
/// `TokenBatch.tokenWeights[.segmentEnds]` [B, T] (1 at the last token of each segment):
/// mean_pairs −log σ(S(y_c) − S(y_r) − μ), with the margin μ from `sequenceValues[.margin]` when
/// present. Structure `.pairs`.
///
/// With one segment per response (ends = the last response token) this is `BradleyTerryRM`; with
/// one segment per token it is `TokenRewardModelPreferenceLoss(source: .head, aggregation: .mean)`.
/// A row without any end scores 0 (the count is clamped to 1).
///
/// Metrics: TRL `RewardTrainer`'s, as `BradleyTerryRM` names them, on S; `segments/count` (mean
/// segments per response) and `segments/length` (mean tokens per segment).
public struct SegmentRewardModelLoss: Objective {
    public init() {}

    public var name: String { "segment_rm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        guard let scores = batch.scores else { preconditionFailure("SegmentRewardModelLoss: TokenBatch.scores [B, T] is required") }
        guard let ends = batch.tokenWeights[.segmentEnds] else {
            preconditionFailure("SegmentRewardModelLoss: TokenBatch.tokenWeights[.segmentEnds] [B, T] is required")
        }
        let counts = Masking.clampedLengths(ends)  // [B]
        let s = Masking.rowSum(scores, mask: ends) / counts
        let (sc, sr) = Pairs.split(s)
        let loss = bradleyTerryLoss(chosen: sc, rejected: sr, margin: batch.sequenceValues[.margin], tie: batch.sequenceValues[.tie],
                                    pairCount: normalizer.items)
        var metrics = rewardModelMetrics(all: s.value, chosen: sc.value, rejected: sr.value, tie: batch.sequenceValues[.tie])
        metrics["segments/count"] = ends.sum().scalar / Float(max(1, ends.shape[0]))
        metrics["segments/length"] = batch.mask.sum().scalar / max(1, ends.sum().scalar)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
