// Where the sequence-level reward-model kinds that also train the LM head (HaF-RM, GRM) or a second
// head (ODIN) read their scalar head: the one-hot `rewardReadout` weights over the aligned head
// scores, set by the trainer at the last non-pad token, exactly where `BradleyTerryRM` reads and
// where every scorer of a saved reward-model folder reads (docs/design/rewards.md §6).
import Autograd
import TensorCore

extension TokenWeightKey {
    /// One-hot [B, T] over the aligned head scores: the position whose score is the row's reward.
    public static let rewardReadout: TokenWeightKey = "reward_readout"
}

extension TokenBatch {
    /// r = Σ_t readout·scores per row, [B] (differentiable in the scores).
    func readoutRewards(_ scores: Variable, _ who: String) -> Variable {
        guard let readout = tokenWeights[.rewardReadout] else {
            preconditionFailure("\(who): TokenBatch.tokenWeights[.rewardReadout] [B, T] is required")
        }
        return Masking.rowSum(scores, mask: readout)
    }
}
