// T-REG: preference optimisation with token-level reward regularisation
// (docs/design/objectives.md §3.5). Two forms: `.paper`, the DPO-REG / SimPO-REG loss of arXiv
// 2412.02685 §3 as far as it could be verified (see below), which the trainer's `--loss treg` uses;
// and `.pairedWeights`, the token-weighted preference term written before any equation could be
// read (kept as the `TREG()` default so existing callers and their tests keep their meaning).
import Autograd
import TensorCore

/// T-REG, Zhou et al. 2024, arXiv 2412.02685 (ACL 2025): L = L_seq + α·L_reg, L_seq a sequence-level
/// DPO-type loss (DPO or SimPO), L_reg a regulariser that pulls DPO's implicit token rewards
/// β(ℓ_t − ℓ^ref_t) towards self-generated token rewards.
///
/// What was verified, and from where (November 2026). The paper's text was not readable here (the
/// arXiv/ar5iv pages and the Hugging Face paper page returned only the abstract; the repository
/// `wzhouad/T-REG` is not available). The equations below come from a detailed secondary summary of
/// the ACL 2025 paper (papernotes.org, "T-REG: Preference Optimization with Token-Level Reward
/// Regularization", English and Chinese versions, which agree), which states them explicitly:
/// - Self-generated token reward, from two teacher-forced passes of the *reference* model under a
///   "make it better" prompt x⁺ (helpful, correct, coherent, concise) and a "make it worse" prompt x⁻
///   (unhelpful, incorrect, incoherent, verbose):
///   r̂_t = σ(log π_ref(y_t | x⁺, y_<t) − log π_ref(y_t | x⁻, y_<t)) − 0.5 ∈ [−0.5, 0.5].
/// - Regulariser per response: maximise the agreement Σ_t r_t·r̂_t of DPO's token reward
///   r_t = β log π(y_t|x, y_<t)/π_ref(y_t|x, y_<t) with r̂_t, i.e. L_REG(x, y) = −Σ_t β r̂_t ℓ_t up to a
///   constant. We write it as −Σ_t m_t β r̂_t (ℓ_t − ℓ^ref_t): same gradient, and 0 at the start.
///   It is applied to the chosen and to the rejected response alike (no pairing, no sign flip: r̂
///   already says which tokens are bad).
/// - Sequence weight from the DPO gradient, w = σ(r_DPO(x, y_l) − r_DPO(x, y_w)) = σ(−z) with
///   z = β Σ m(ℓ^w − ℓ^{ref,w}) − β Σ m(ℓ^l − ℓ^{ref,l}); we treat it as a constant (stop-gradient),
///   our reading of "a weight extracted from the DPO gradient". For SimPO-REG we use the same DPO
///   weight (the summary does not say which margin SimPO-REG uses).
/// - L_DPO-REG = L_DPO + α·w·(L_REG(x, y_w) + L_REG(x, y_l)), mean over pairs; α searched in
///   {0.1, 0.25, 0.5} (default here 0.1).
/// Still unverified: the exact prompt wording (ours are in `PreferenceMethod`), whether w is
/// detached, and SimPO-REG's weight.
///
/// `.pairedWeights` (ours, unverified, kept for compatibility): L_reg = −log σ(β Σ_t m^w w^w_t Δ^w_t −
/// β Σ_t m^l w^l_t Δ^l_t) with w^w = σ(d), w^l = σ(−d), d_t = ℓ⁺_t − ℓ⁻_t, each row's weights
/// rescaled to mean 1 (`meanOne`); α = 1, β = 0.1. It differs from the paper form in three ways:
/// it pairs the responses inside one log-sigmoid, flips the rejected weights, and has no sequence
/// weight.
///
/// Inputs: `auxiliary[.betterPrompt].logps` and `auxiliary[.worsePrompt].logps` (ℓ⁺, ℓ⁻), or the
/// final per-token values in `tokenWeights[.tReg]` (r̂ for `.paper`, w for `.pairedWeights`; then no
/// squashing or normalising).
public struct TREG: Objective {
    public enum Normalization: String, Sendable { case none, meanOne }
    public enum Form: String, Sendable {
        /// DPO-REG / SimPO-REG: L_seq + α·w·(L_REG(y_w) + L_REG(y_l)) with r̂ = σ(d) − 0.5.
        case paper
        /// Ours: a paired token-weighted log-sigmoid term (see the type's documentation).
        case pairedWeights
    }

    public var sequenceObjective: any Objective
    public var alpha: Float
    public var beta: Float
    /// Row normalisation of `.pairedWeights` (the paper form uses r̂ as is).
    public var normalization: Normalization
    public var form: Form

    public init(sequenceObjective: any Objective = DPO(.sigmoid), alpha: Float = 1, beta: Float = 0.1,
                normalization: Normalization = .meanOne, form: Form = .pairedWeights) {
        precondition(beta > 0, "TREG: beta must be > 0, got \(beta)")
        self.sequenceObjective = sequenceObjective
        self.alpha = alpha
        self.beta = beta
        self.normalization = normalization
        self.form = form
    }

    /// The paper's self-generated token rewards r̂_t = σ(d_t) − 0.5 ([B, T], 0 at masked positions).
    public static func paperRewards(selfRewards d: Tensor, mask: Tensor) -> Tensor {
        Masking.zeroed(d.sigmoid() - Tensor(0.5), mask: mask)
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

    /// The per-token values this objective uses for a batch ([B, T]): r̂ for `.paper`, the
    /// normalised weights for `.pairedWeights`.
    public func weights(_ batch: TokenBatch) -> Tensor {
        if let w = batch.tokenWeights[.tReg] { return Masking.zeroed(w, mask: batch.mask) }
        let d = TREG.selfRewards(betterPromptLogps: batch.requireAuxiliaryLogps(.betterPrompt, "TREG"),
                                 worsePromptLogps: batch.requireAuxiliaryLogps(.worsePrompt, "TREG"), mask: batch.mask)
        switch form {
        case .paper: return TREG.paperRewards(selfRewards: d, mask: batch.mask)
        case .pairedWeights: return TREG.weights(selfRewards: d, mask: batch.mask, normalization: normalization)
        }
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        let seq = sequenceObjective.compute(batch, normalizer: normalizer)
        let w = weights(batch)
        let delta = batch.policyLogps - batch.requireReferenceLogps("TREG")
        if form == .paper {
            // w_pair = σ(−z), z = β(Σ m Δ^w − Σ m Δ^l), a constant; L_REG(y) = −β Σ_t m r̂_t Δ_t.
            let (uw, ul) = Pairs.split(Masking.rowSum(delta.value, mask: batch.mask))
            let sequenceWeight = ((ul - uw) * beta).sigmoid()  // [P]
            let (sw, sl) = Pairs.split(Masking.rowSum(delta * w, mask: batch.mask))
            let perPair = (sw + sl) * (sequenceWeight * (-beta))
            let reg = meanOverItems(perPair, count: normalizer.items)
            var metrics = seq.metrics
            metrics["loss/sequence"] = seq.loss.scalar
            metrics["loss/regularizer"] = reg.scalar
            metrics["treg/sequence_weight"] = sequenceWeight.mean().scalar
            metrics.merge(weightMetrics(w, mask: batch.mask)) { _, b in b }
            return ObjectiveOutput(loss: seq.loss + reg * alpha, metrics: metrics)
        }
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
