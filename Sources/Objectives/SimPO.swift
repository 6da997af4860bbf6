// SimPO: reference-free, length-normalised DPO with a target margin (docs/design/objectives.md §2.5).
import Autograd
import TensorCore

/// SimPO, Meng et al. 2024, arXiv 2405.14734:
/// z = β(avg_w − avg_l − γ/β), avg = Σ_t m ℓ / |y|; L = −(1−ε) log σ(z) − ε log σ(−z)
/// (`sigmoid`) or max(0, 1 − z) (`hinge`), plus `sftWeight` × the chosen tokens' mean NLL.
/// Port of the maths of `princeton-nlp/SimPO:scripts/simpo_trainer.py` (`simpo_loss`); defaults
/// from `scripts/simpo_config.py`: β = 2.0, γ/β = 0.25, sft_weight 0, label smoothing 0.
/// The margin is given as the ratio `gammaBetaRatio`, as in the code, not as γ.
///
/// Metrics (as the repo logs them): rewards = β·avg, logps = avg (length-normalised).
public struct SimPO: Objective {
    public enum LossType: String, Sendable { case sigmoid, hinge }

    public var beta: Float
    public var gammaBetaRatio: Float
    public var labelSmoothing: Float
    public var sftWeight: Float
    public var lossType: LossType

    public init(beta: Float = 2.0, gammaBetaRatio: Float = 0.25, labelSmoothing: Float = 0,
                sftWeight: Float = 0, lossType: LossType = .sigmoid) {
        precondition(beta > 0, "SimPO: beta must be > 0, got \(beta)")
        self.beta = beta
        self.gammaBetaRatio = gammaBetaRatio
        self.labelSmoothing = labelSmoothing
        self.sftWeight = sftWeight
        self.lossType = lossType
    }

    public var name: String { "simpo" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        let avg = batch.sequenceLogps / Masking.clampedLengths(batch.mask)  // [B]
        let (aw, al) = Pairs.split(avg)
        let z = (aw - al - gammaBetaRatio) * beta
        let perPair: Variable
        switch lossType {
        case .sigmoid: perPair = Ops.smoothedLogistic(z, epsilon: labelSmoothing)
        case .hinge: perPair = (1 - z).relu()
        }
        var loss = meanOverItems(perPair, count: normalizer.items)
        var metrics: [String: Float] = [:]
        if sftWeight > 0 {
            let (lc, _) = Pairs.split(batch.policyLogps)
            let (mc, _) = Pairs.split(batch.mask)
            let n = normalizer.chosenTokens ?? mc.sum().scalar
            let sft = -Masking.rowSum(lc, mask: mc).sum() / Swift.max(n, 1)
            metrics["sft_loss"] = sft.scalar
            loss = loss + sft * sftWeight
        }
        metrics.merge(preferenceMetrics(chosenRewards: aw.value * beta, rejectedRewards: al.value * beta,
                                        chosenLogps: aw.value, rejectedLogps: al.value)) { a, _ in a }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
