// KTO for unpaired (desirable / undesirable) data.
import Autograd
import TensorCore

/// KTO, Ethayarajh et al. 2024, arXiv 2402.01306, eq. 7, as TRL implements it
/// (`huggingface/trl:trl/trainer/kto_trainer.py` @ v1.16.0, `_compute_loss`):
///
/// - r_i = Σ_t m (ℓ − ℓ^ref) per row.
/// - KL baseline z₀ = max(0, mean_j(Σ ℓ(y'_j) − Σ ℓ^ref(y'_j))) over *mismatched* (prompt, completion)
///   pairs y'_j (TRL cycles completions by one within the batch), computed without gradient and
///   clamped at 0; supplied in `sequenceValues[.klPolicyLogps]` / `[.klReferenceLogps]`, or directly
///   as `klBaseline`. It is a constant (detached).
/// - Desirable rows: λ_D (1 − σ(β(r − z₀))); undesirable rows: λ_U (1 − σ(β(z₀ − r))).
/// - `apo_zero_unpaired` (arXiv 2408.06266, unpaired eq. 7): 1 − σ(βr) and σ(βr), no KL.
/// - Loss = mean over all rows (`Normalizer.items` counts the optimizer batch's rows).
///
/// Defaults (TRL `KTOConfig`): β = 0.1, λ_D = λ_U = 1. Metrics are TRL's KTO set: `rewards/chosen`
/// (β r over desirable rows), `rewards/rejected`, `rewards/margins`, `logps/chosen`,
/// `logps/rejected`, `kl`. TRL logs no `rewards/accuracies` for KTO (no pairs), nor do we.
public struct KTO: Objective {
    public enum LossType: String, Sendable { case kto, apoZeroUnpaired = "apo_zero_unpaired" }

    public var lossType: LossType
    public var beta: Float
    public var desirableWeight: Float
    public var undesirableWeight: Float
    /// Overrides the batch's mismatched-completion estimate of z₀ (already clamped by the caller).
    public var klBaseline: Float?

    public init(lossType: LossType = .kto, beta: Float = 0.1, desirableWeight: Float = 1,
                undesirableWeight: Float = 1, klBaseline: Float? = nil) {
        precondition(beta > 0, "KTO: beta must be > 0, got \(beta)")
        self.lossType = lossType
        self.beta = beta
        self.desirableWeight = desirableWeight
        self.undesirableWeight = undesirableWeight
        self.klBaseline = klBaseline
    }

    public var name: String { lossType.rawValue }

    /// z₀ = max(0, mean(policy − reference)) of the mismatched completions' sequence log-probs.
    public static func klBaseline(policyLogps: Tensor, referenceLogps: Tensor) -> Float {
        Swift.max(0, (policyLogps - referenceLogps).mean().scalar)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard case .unpaired(let desirable) = batch.structure else {
            preconditionFailure("KTO: needs .unpaired(desirable:) structure, got \(batch.structure)")
        }
        let r = batch.sequenceLogratios("KTO")  // [B]
        var z0: Float = 0
        if lossType == .kto {
            if let klBaseline {
                z0 = klBaseline
            } else {
                guard let kp = batch.sequenceValues[.klPolicyLogps], let kr = batch.sequenceValues[.klReferenceLogps] else {
                    preconditionFailure("KTO: needs sequenceValues[.klPolicyLogps] and [.klReferenceLogps], or klBaseline")
                }
                z0 = KTO.klBaseline(policyLogps: kp, referenceLogps: kr)
            }
        }
        let isDesirable = Tensor(desirable.map { $0 ? 1 : 0 })
        let desirableLoss: Variable, undesirableLoss: Variable
        switch lossType {
        case .kto:
            desirableLoss = 1 - ((r - z0) * beta).sigmoid()
            undesirableLoss = 1 - ((z0 - r) * beta).sigmoid()
        case .apoZeroUnpaired:
            desirableLoss = 1 - (r * beta).sigmoid()
            undesirableLoss = (r * beta).sigmoid()
        }
        let perRow = Variable.select(isDesirable, desirableLoss * desirableWeight, undesirableLoss * undesirableWeight)
        let loss = meanOverItems(perRow, count: normalizer.items)

        var metrics: [String: Float] = [MetricName.kl: z0]
        let rewards = (r.value * beta).scalars, logps = batch.sequenceLogps.value.scalars
        let nD = desirable.filter { $0 }.count, nU = desirable.count - nD
        func mean(_ xs: [Float], _ want: Bool, _ n: Int) -> Float {
            zip(xs, desirable).reduce(Float(0)) { $0 + ($1.1 == want ? $1.0 : 0) } / Float(n)
        }
        if nD > 0 {
            metrics[MetricName.rewardsChosen] = mean(rewards, true, nD)
            metrics[MetricName.logpsChosen] = mean(logps, true, nD)
        }
        if nU > 0 {
            metrics[MetricName.rewardsRejected] = mean(rewards, false, nU)
            metrics[MetricName.logpsRejected] = mean(logps, false, nU)
        }
        if nD > 0, nU > 0 {
            metrics[MetricName.rewardsMargins] = metrics[MetricName.rewardsChosen]! - metrics[MetricName.rewardsRejected]!
        }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
