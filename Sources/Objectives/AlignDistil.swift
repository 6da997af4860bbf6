// AlignDistil: RLHF as token-adaptive logit-extrapolation distillation (docs/design/objectives.md §3.7).
import Autograd
import TensorCore

/// AlignDistil, Zhang et al. 2025, arXiv 2503.02832
/// (`songmzhang/AlignDistil:OpenRLHF/openrlhf/trainer/aligndistil_offpolicy_trainer.py`, the
/// `reward_boost_type` branches). Student logits z^θ (`policyLogits`), the DPO model z⁺
/// (`auxiliary[.dpoModel].logits`) and a second model z⁻ (`auxiliary[.reverseDPOModel].logits`, the
/// reverse-DPO model of the release scripts, passed there as `--ref_model`; falls back to
/// `referenceLogits`). Per token: loss_t = c_t · KL(p^θ_t ‖ r_t), r_t = softmax(z*_t / τ), with c_t
/// and r_t constants, and by mode:
///
/// - `theorem1`: z* = (β/β₂) z⁺ + (1 − β/β₂) z⁻, c = β₂ (π* ∝ π_ref^{1−β/β₂} π_dpo^{β/β₂}).
/// - `theorem1Contrast`: z* = z⁺ + (β/β₂)(z⁺ − z⁻), c = β₂.
/// - `theorem1Adaptive`: w_t = β₂ TVD_t + 1e-3, z* = w_t z⁺ + (1 − w_t) z⁻, c_t = β / w_t.
/// - `alignDistil` (default): w_t = β₂ TVD_t + 1e-3, z* = z⁺ + w_t (z⁺ − z⁻), c_t = β / w_t.
/// TVD_t = Σ_v |π⁺_t(v) − π⁻_t(v)|. Reduction: `seqMeanTokenMean` (`reward_len_norm` on in the
/// scripts; `kd_coef` = 1, so no NLL term). Positions are the aligned next-token predictions (the
/// repo's off-by-one masks are not reproduced).
/// Defaults: β = 0.1, β₂ = 10 (off-policy recipe; 15 on-policy), τ = 1. `beta2` is a KL coefficient
/// in the theorem1 modes and a TVD multiplier in the adaptive ones (the repo overloads it).
/// Metrics: `kl/teacher` (token-mean KL(p‖π⁺)), `kl/reference` (KL(p‖π⁻)), `mean_weight`,
/// `expected_reward` (Σ_v p β(log π⁺ − log π⁻) summed over tokens, mean over rows).
public struct AlignDistil: Objective {
    public enum Mode: String, Sendable { case theorem1, theorem1Contrast, theorem1Adaptive, alignDistil }

    public var mode: Mode
    public var beta: Float
    public var beta2: Float
    public var temperature: Float
    public var reduction: Reduction

    public init(mode: Mode = .alignDistil, beta: Float = 0.1, beta2: Float = 10, temperature: Float = 1,
                reduction: Reduction = .seqMeanTokenMean) {
        precondition(beta > 0 && beta2 > 0 && temperature > 0, "AlignDistil: beta \(beta), beta2 \(beta2), temperature \(temperature) must be > 0")
        self.mode = mode
        self.beta = beta
        self.beta2 = beta2
        self.temperature = temperature
        self.reduction = reduction
    }

    public var name: String { "aligndistil" }

    /// The teacher's log-probabilities log r_t [B, T, V], the per-token coefficient c_t [B, T] and
    /// the extrapolation weight w_t [B, T].
    /// - Parameters:
    ///   - dpoLogits: z⁺, [B, T, V].
    ///   - secondLogits: z⁻ (reverse-DPO or reference), [B, T, V].
    public func teacher(dpoLogits zp: Tensor, secondLogits zm: Tensor) -> (logProbabilities: Tensor, coefficient: Tensor, weight: Tensor) {
        let bt = Array(zp.shape.dropLast())
        let zStar: Tensor, c: Tensor, w: Tensor
        switch mode {
        case .theorem1, .theorem1Contrast:
            let k = beta / beta2
            w = Tensor(shape: bt, repeating: k)
            c = Tensor(shape: bt, repeating: beta2)
            zStar = mode == .theorem1 ? zp * k + zm * (1 - k) : zp + (zp - zm) * k
        case .theorem1Adaptive, .alignDistil:
            let tvd = (zp.softmax() - zm.softmax()).abs().sum(axis: -1)
            w = tvd * beta2 + 1e-3
            c = Tensor(shape: bt, repeating: beta) / w
            let w3 = w.reshaped(bt + [1])
            zStar = mode == .theorem1Adaptive ? w3 * zp + (1 - w3) * zm : zp + w3 * (zp - zm)
        }
        return ((zStar * (1 / temperature)).logSoftmax(), c, w)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let z = batch.requirePolicyLogits("AlignDistil")
        let zp = batch.requireAuxiliaryLogits(.dpoModel, "AlignDistil")
        guard let zm = batch.auxiliary[.reverseDPOModel]?.logits ?? batch.referenceLogits else {
            preconditionFailure("AlignDistil: needs auxiliary[.reverseDPOModel].logits or referenceLogits")
        }
        let m3 = Masking.expanded(batch.mask)
        let safeP = Masking.zeroed(zp, mask: m3), safeM = Masking.zeroed(zm, mask: m3)
        let (logr, c, w) = teacher(dpoLogits: safeP, secondLogits: safeM)
        let kl = TokenDivergence.reverseKL(policyLogits: z, targetLogProbabilities: logr, mask: batch.mask)
        let perToken = kl * Masking.zeroed(c, mask: batch.mask)
        var loss = reduce(perToken, mask: batch.mask, reduction, normalizer: normalizer)
        if reduction.isPerSequence { loss = meanOverItems(loss, count: normalizer.sequences) }

        // Metrics (constants).
        let p = z.value.softmax()
        let logPlus = safeP.logSoftmax(), logMinus = safeM.logSoftmax()
        let klTeacher = withoutGradients { TokenDivergence.reverseKL(policyLogits: Variable(z.value), targetLogProbabilities: logPlus, mask: batch.mask).value }
        let klSecond = withoutGradients { TokenDivergence.reverseKL(policyLogits: Variable(z.value), targetLogProbabilities: logMinus, mask: batch.mask).value }
        let rewardPerToken = Masking.zeroed((p * (logPlus - logMinus)).sum(axis: -1) * beta, mask: batch.mask)
        let metrics: [String: Float] = [
            "kl/teacher": maskedMean(klTeacher, mask: batch.mask),
            "kl/reference": maskedMean(klSecond, mask: batch.mask),
            "mean_weight": maskedMean(w, mask: batch.mask),
            "expected_reward": rewardPerToken.sum(axis: 1).mean().scalar,
        ]
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
