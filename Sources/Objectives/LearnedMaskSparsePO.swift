// SparsePO with learned masks: the objective half. The mask networks are modules the trainer owns
// (Training/SparsePOMasks.swift); it computes their masks for each batch and binds them here.
import Autograd

/// `sparsepo-learned`: SparsePO (`Objectives.SparsePO`) on masks the trainer computes for each batch
/// with the mask network and binds here (`bindingLearnedMasks`), so it can sit inside an
/// `ObjectiveMix` like any other loss.
public struct LearnedMaskSparsePO: Objective {
    public var base: SparsePO
    /// m^u and m^d, [B, T] (the same Variable for the common network); set per batch.
    public var masks: (reward: Variable, kl: Variable)?

    public init(_ base: SparsePO) { self.base = base }

    public var name: String { "sparsepo-learned" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard let masks else {
            preconditionFailure("sparsepo-learned: no masks bound (the preference trainer computes them for each batch)")
        }
        var objective = base
        if masks.reward === masks.kl && objective.maskOnReward && objective.maskOnKL {
            // One common mask is penalised by both L1 terms; the reference code halves λ_u and λ_d
            // so it is counted once (`sparse_trainer.py`, "make up for double adding").
            objective.rewardL1 /= 2
            objective.klL1 /= 2
        }
        return objective.compute(batch, rewardMask: masks.reward, klMask: masks.kl, normalizer: normalizer)
    }
}
