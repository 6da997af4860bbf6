// Where the sequence-level reward-model kinds that also train the LM head (HaF-RM, GRM) or a second
// head (ODIN) read their scalar head: the one-hot `rewardReadout` weights over the aligned head
// scores, set by the trainer at the last non-pad token, exactly where `BradleyTerryRM` reads and
// where every scorer of a saved reward-model folder reads (docs/design/rewards.md §8).
import Autograd
import TensorCore

extension TokenWeightKey {
    /// One-hot [B, T] over the aligned head scores: the position whose score is the row's reward.
    public static let rewardReadout: TokenWeightKey = "reward_readout"
}

extension TokenBatch {
    /// The Bradley–Terry term of a `.pairs` batch on r = Σ_t readout·scores (the head `scores`
    /// [B, T] read at `tokenWeights[.rewardReadout]`), with the margin `sequenceValues[.margin]`
    /// when present, and `BradleyTerryRM`'s metrics on r plus `loss/reward`.
    func readoutBradleyTerry(_ who: String, normalizer: Normalizer) -> (loss: Variable, metrics: [String: Float]) {
        _ = pairCount
        guard let scores else { preconditionFailure("\(who): TokenBatch.scores [B, T] is required") }
        guard let readout = tokenWeights[.rewardReadout] else {
            preconditionFailure("\(who): TokenBatch.tokenWeights[.rewardReadout] [B, T] is required")
        }
        let r = Masking.rowSum(scores, mask: readout)
        let (rc, rr) = Pairs.split(r)
        let loss = bradleyTerryLoss(chosen: rc, rejected: rr, margin: sequenceValues[.margin], tie: sequenceValues[.tie],
                                    pairCount: normalizer.items)
        var metrics = rewardModelMetrics(all: r.value, chosen: rc.value, rejected: rr.value, tie: sequenceValues[.tie])
        metrics["loss/reward"] = loss.scalar
        return (loss, metrics)
    }
}
