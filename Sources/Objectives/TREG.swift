// T-REG: preference optimisation with token-level reward regularisation (objectives.md §2.6,
// rewards-decoding-eval.md A10). Both documents mark this method [verify]: the paper's exact
// squashing, normalisation and α could not be read while writing this (no code or equations were
// reachable), so those three choices are explicit options here, with the defaults below flagged.
import Autograd
import TensorCore

/// T-REG, Zhou et al. 2024, arXiv 2412.02685 (ACL 2025). Structure (from the abstract and
/// objectives.md §2.6): L = L_seq + α·L_reg, where L_seq is a sequence-level DPO-type loss (DPO or
/// SimPO) and L_reg is a token-weighted preference term of the same shape as TGDPO / cDPO,
/// L_reg = −log σ(β Σ_t m^w w^w_t Δ^w_t − β Σ_t m^l w^l_t Δ^l_t), weights w_t (constants) from
/// self-generated token rewards.
///
/// Self-generated token reward (contrastive/opposite prompting of the model itself, two no-grad
/// teacher-forced passes): d_t = ℓ(y_t | x⁺, y_<t) − ℓ(y_t | x⁻, y_<t), from
/// `auxiliary[.betterPrompt].logps` and `auxiliary[.worsePrompt].logps`.
///
/// Choices to verify against the paper (defaults are ours):
/// - squashing: chosen w^w = σ(d), rejected w^l = σ(−d) = 1 − σ(d) (tokens judged bad carry the
///   rejected margin), the same convention as critical-token cDPO's 1 − c;
/// - normalisation: `meanOne` rescales each row's weights to average 1 over its tokens, so L_reg has
///   the scale of DPO (A10 suggests "weights average 1");
/// - α = 1, β = 0.1.
/// Final weights can be supplied directly in `tokenWeights[.tReg]` (then no squashing/normalising).
public struct TREG: Objective {
    public enum Normalization: String, Sendable { case none, meanOne }

    public var sequenceObjective: any Objective
    public var alpha: Float
    public var beta: Float
    public var normalization: Normalization

    public init(sequenceObjective: any Objective = DPO(.sigmoid), alpha: Float = 1, beta: Float = 0.1,
                normalization: Normalization = .meanOne) {
        precondition(beta > 0, "TREG: beta must be > 0, got \(beta)")
        self.sequenceObjective = sequenceObjective
        self.alpha = alpha
        self.beta = beta
        self.normalization = normalization
    }

    public var name: String { "treg" }

    /// d_t = ℓ⁺_t − ℓ⁻_t ([B, T], 0 at masked positions).
    public static func selfRewards(betterPromptLogps: Tensor, worsePromptLogps: Tensor, mask: Tensor) -> Tensor {
        Masking.zeroed(betterPromptLogps - worsePromptLogps, mask: mask)
    }

    /// Token weights for a `.pairs` batch: chosen rows σ(d), rejected rows σ(−d), then normalised.
    public static func weights(selfRewards d: Tensor, mask: Tensor, normalization: Normalization) -> Tensor {
        let (dc, dr) = Pairs.split(d)
        var w = Masking.zeroed(Tensor.concatenate([dc.sigmoid(), (-dr).sigmoid()], axis: 0), mask: mask)
        if normalization == .meanOne {
            let n = mask.sum(axis: 1, keepDims: true)
            let s = w.sum(axis: 1, keepDims: true)
            let scale = Tensor.where(s.greater(Tensor(0)), n / Tensor.where(s.greater(Tensor(0)), s, Tensor(1)), Tensor(1))
            w = w * scale
        }
        return w
    }

    /// The weights this objective uses for a batch ([B, T]).
    public func weights(_ batch: TokenBatch) -> Tensor {
        if let w = batch.tokenWeights[.tReg] { return Masking.zeroed(w, mask: batch.mask) }
        let d = TREG.selfRewards(betterPromptLogps: batch.requireAuxiliaryLogps(.betterPrompt, "TREG"),
                                 worsePromptLogps: batch.requireAuxiliaryLogps(.worsePrompt, "TREG"), mask: batch.mask)
        return TREG.weights(selfRewards: d, mask: batch.mask, normalization: normalization)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        let seq = sequenceObjective.compute(batch, normalizer: normalizer)
        let w = weights(batch)
        let delta = batch.policyLogps - batch.requireReferenceLogps("TREG")
        let (sw, sl) = Pairs.split(Masking.rowSum(delta * w, mask: batch.mask))
        let reg = meanOverItems(((sw - sl) * (-beta)).softplus(), count: normalizer.items)
        let loss = seq.loss + reg * alpha
        var metrics = seq.metrics
        metrics["loss/sequence"] = seq.loss.scalar
        metrics["loss/regularizer"] = reg.scalar
        metrics.merge(weightMetrics(w, mask: batch.mask)) { _, b in b }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
