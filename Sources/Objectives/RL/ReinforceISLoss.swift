// REINFORCE with a truncated importance-sampling correction for train–inference mismatch.
import Autograd
import Support
import TensorCore

/// REINFORCE with importance-sampling correction ("Stabilizing RL with LLMs", arXiv 2512.01374):
/// rollouts come from the inference engine μ, not from π_old, so the token surrogate is reweighted
/// by the detached, truncated ratio of the training engine's snapshot to the rollout engine:
///   L_t = −A_t · w_t · ℓ_t,   w_t = sg(min(exp(ℓ^old_t − ℓ^μ_t), C)),
/// as `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_policy_loss_reinforce`, default
/// aggregation `seq-mean-token-sum`, C = 2). ∂L/∂ℓ_t = −A_t w_t times the aggregation weight.
/// - level `.token`: one weight per token; `.sequence`: w_i = min(exp(Σ_t m (ℓ^old − ℓ^μ)), C) for the
///   whole response, computed in log space (a product over hundreds of tokens overflows otherwise).
/// - mode `.truncate`: min(w, C); `.mask`: the weight itself where w ≤ C and 0 where w > C (TRL's
///   `token_mask` / `sequence_mask`, `huggingface/trl:trl/trainer/grpo_trainer.py`), dropping
///   tokens (or responses) too far off-policy instead of keeping them at C.
/// Needs ℓ^μ (`RolloutBatch.rolloutLogps`); without ℓ^old the current ℓ's value stands in.
public struct ReinforceISLoss: PolicyLoss {
    public var threshold: Float
    public var level: ImportanceLevel
    public var mode: ImportanceMode
    public var regularizers: PolicyRegularizers

    public init(threshold: Float = 2, level: ImportanceLevel = .token, mode: ImportanceMode = .truncate,
                regularizers: PolicyRegularizers = PolicyRegularizers(aggregation: .seqMeanTokenSum)) throws {
        guard threshold > 0, threshold.isFinite else {
            throw RLInputError.invalidSetting(key: "rollout_is_threshold", value: "\(threshold)", reason: "must be a positive number")
        }
        self.threshold = threshold
        self.level = level
        self.mode = mode
        self.regularizers = regularizers
    }

    public var name: String { "reinforce-is" }

    /// The importance weights w ([B, T], 0 at masked positions) and the mask-mode drop indicator.
    func weights(_ x: PolicyGradientInputs) throws -> (weights: Tensor, dropped: Tensor) {
        guard let rollout = x.batch.rolloutLogps else {
            throw RLInputError.missing(field: "rolloutLogps (the rollout engine's log-probs)", method: name)
        }
        _ = try x.batch.finiteRows(rollout, "rolloutLogps")
        let mask = x.mask
        var logW = x.oldLogps - Masking.zeroed(rollout, mask: mask)  // [B, T]
        if level == .sequence {
            let B = mask.shape[0]
            logW = Masking.rowSum(logW, mask: mask).reshaped([B, 1]).broadcasted(to: mask.shape)
        }
        let logC = Scalar.log(threshold)
        switch mode {
        case .truncate:
            return (Masking.zeroed(logW.clamped(max: logC).exp(), mask: mask), Tensor.zeros(mask.shape))
        case .mask:
            let dropped = logW.greater(Tensor(logC))
            // Dropped entries may overflow exp; `where` discards them without multiplying.
            let kept = Tensor.where(dropped, Tensor(0), logW.exp().clamped(max: threshold))
            return (Masking.zeroed(kept, mask: mask), dropped)
        }
    }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        let (w, dropped) = try weights(x)
        let perToken = x.logps * (-(x.advantages * w))
        let loss = reduce(perToken, mask: x.mask, regularizers.aggregation.reduction, normalizer: normalizer)
        let trained = Masking.zeroed(w, mask: x.mask)
        let metrics: [String: Float] = [
            MetricName.isRatioMean: maskedMean(w, mask: x.mask),
            MetricName.isRatioMax: x.mask.sum().scalar > 0 ? trained.max().scalar : 0,
            MetricName.isMaskedFraction: maskedMean(dropped, mask: x.mask),
        ]
        return (loss, metrics)
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "reinforce-is", aliases: ["reinforce"],
                         summary: "REINFORCE with truncated (or masked) rollout importance weights, token or sequence level",
                         arxiv: ["2512.01374"], inputs: ["ℓ (differentiable)", "ℓ^old", "ℓ^μ (rollout engine)", "advantages"],
                         defaults: regularizerDefaults.merging([
                             "rollout_is_threshold": "2.0", "rollout_is_level": "token", "rollout_is_mode": "truncate",
                             "loss_agg_mode": "seq-mean-token-sum",
                         ]) { a, _ in a }),
        make: { s in
            try ReinforceISLoss(threshold: s.importanceThreshold ?? 2, level: s.importanceLevel ?? .token,
                                mode: s.importanceMode ?? .truncate,
                                regularizers: s.regularizers(defaultAggregation: .seqMeanTokenSum))
        })
}
