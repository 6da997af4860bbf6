// The PPO critic's clipped value loss.
import Autograd
import TensorCore

/// Clipped value loss of PPO for LMs (`huggingface/trl:trl/experimental/ppo/ppo_trainer.py`,
/// `volcengine/verl:verl/trainer/ppo/core_algos.py` `compute_value_loss`; PPO arXiv 1707.06347):
///   L^V_t = ½ max((V_t − G_t)², (clip(V_t, V^old_t − ε_v, V^old_t + ε_v) − G_t)²),
/// aggregated like the policy loss (`token-mean` by default). The clip keeps the critic from moving
/// far from its rollout-time values in one update. V (the new values) is differentiable; V^old
/// (`RolloutBatch.values`) and the returns G (from `GAE`) are constants. ε_v = 0.2 (TRL, OpenRLHF;
/// verl uses 0.5).
public struct ClippedValueLoss: Sendable {
    public var clipRange: Float
    public var aggregation: LossAggregation

    public init(clipRange: Float = 0.2, aggregation: LossAggregation = .tokenMean) throws {
        guard clipRange >= 0 else { throw RLInputError.invalidSetting(key: "cliprange_value", value: "\(clipRange)", reason: "must be ≥ 0") }
        self.clipRange = clipRange
        self.aggregation = aggregation
    }

    /// - Parameters:
    ///   - values: V_t, the value head's current predictions: [B, T], differentiable.
    ///   - returns: G_t: [B, T].
    ///   - batch: its `values` are V^old; its mask selects the trained tokens.
    /// - Returns: the loss with metrics `vf_loss` and `vf_clipfrac`.
    public func compute(values: Variable, returns: Tensor, batch: RolloutBatch,
                        normalizer: Normalizer = .local) throws -> ObjectiveOutput {
        let mask = batch.mask
        guard values.shape == mask.shape else { throw RLInputError.shape(field: "values (new)", got: values.shape, expected: mask.shape) }
        guard returns.shape == mask.shape else { throw RLInputError.shape(field: "returns", got: returns.shape, expected: mask.shape) }
        guard let oldRaw = batch.values else { throw RLInputError.missing(field: "values (rollout-time V^old)", method: "value loss") }
        _ = try batch.finiteRows(values.value, "values (new)")
        _ = try batch.finiteRows(returns, "returns")
        _ = try batch.finiteRows(oldRaw, "values")
        let v = Masking.zeroed(values, mask: mask)
        let old = Masking.zeroed(oldRaw, mask: mask), g = Masking.zeroed(returns, mask: mask)
        let vClipped = v.maximum(Variable(old - clipRange)).minimum(Variable(old + clipRange))
        let l1 = (v - g).squared(), l2 = (vClipped - g).squared()
        let perToken = l1.maximum(l2)
        let loss = reduce(perToken, mask: mask, aggregation.reduction, normalizer: normalizer) * 0.5
        return ObjectiveOutput(loss: loss, metrics: [
            MetricName.vfLoss: loss.scalar,
            MetricName.vfClipFraction: maskedMean(l2.value.greater(l1.value), mask: mask),
        ])
    }
}
