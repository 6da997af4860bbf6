// Critical-token cDPO: DPO with contrastive token weights (docs/design/objectives.md §3.4). Not to be confused
// with conservative DPO (`DPOLossType.conservative`), which is label smoothing.
import Autograd
import TensorCore

/// Critical-token cDPO, Lin et al. 2024, "Critical Tokens Matter", arXiv 2411.19943
/// (`chenzhiling9954/Critical-Tokens-Matter:src/train/train_cdpo.py`, `dpo_loss`; weights from
/// `src/pipeline.py`, `calculate_ce_score`).
///
/// Weights (constants): c_t = softmax((1+γ) z⁺_t − γ z⁻_t)[y_t] from the positive and negative
/// models (`ContrastiveCriticalTokens.scores`), γ = 1. Chosen s^w_t = 1 with `onlyNegative` (the
/// code's default, `only_neg = True`) else c^w_t; rejected s^l_t = 1 − c^l_t. Or final weights in
/// `tokenWeights[.criticalToken]`.
///
/// - `.paper` (default): L = −(1−ε) log σ(z) − ε log σ(−z), z = β(Σ_t m^w s^w Δ^w − Σ_t m^l s^l Δ^l), mean over pairs.
/// - `.referenceCode` (reproduce the released trainer): the same loss applied **per position t**,
///   pairing chosen token t with rejected token t, z_t = β(m^w_t s^w_t Δ^w_t − m^l_t s^l_t Δ^l_t), averaged
///   over all P×T positions *including padding* (each padded position contributes log 2). This is a
///   different estimator (docs/design/objectives.md §3.4); it is here only to reproduce the repo.
///
/// Defaults: β = 0.1, label smoothing 0. Align the weights to the training labels by position:
/// the repo's model-specific off-by-one patches (Qwen prepends 0, others append) are the caller's job.
/// Metrics: DPO rewards β Σ m Δ (as the repo logs them) and token-weight statistics.
public struct CriticalTokenDPO: Objective {
    public enum Form: String, Sendable { case paper, referenceCode }

    public var beta: Float
    public var labelSmoothing: Float
    public var onlyNegative: Bool
    public var gamma: Float
    public var form: Form

    public init(beta: Float = 0.1, labelSmoothing: Float = 0, onlyNegative: Bool = true, gamma: Float = 1, form: Form = .paper) {
        precondition(beta > 0, "CriticalTokenDPO: beta must be > 0, got \(beta)")
        self.beta = beta
        self.labelSmoothing = labelSmoothing
        self.onlyNegative = onlyNegative
        self.gamma = gamma
        self.form = form
    }

    public var name: String { form == .paper ? "cdpo_critical" : "cdpo_critical_code" }

    /// s_t for every row ([B, T]): chosen rows s^w, rejected rows s^l.
    public func weights(_ batch: TokenBatch) -> Tensor {
        if let w = batch.tokenWeights[.criticalToken] { return Masking.zeroed(w, mask: batch.mask) }
        guard let labels = batch.labels else { preconditionFailure("CriticalTokenDPO: needs labels or tokenWeights[.criticalToken]") }
        let c = ContrastiveCriticalTokens.scores(positiveLogits: batch.requireAuxiliaryLogits(.positiveModel, "CriticalTokenDPO"),
                                                 negativeLogits: batch.requireAuxiliaryLogits(.negativeModel, "CriticalTokenDPO"),
                                                 labels: labels, gamma: gamma, mask: batch.mask)
        let (cc, cr) = Pairs.split(c)
        let sw = onlyNegative ? Tensor(shape: cc.shape, repeating: 1) : cc
        return Masking.zeroed(Tensor.concatenate([sw, 1 - cr], axis: 0), mask: batch.mask)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "CriticalTokenDPO")
        let s = weights(batch)
        let weighted = Masking.zeroed((batch.policyLogps - batch.requireReferenceLogps("CriticalTokenDPO")) * s, mask: batch.mask)
        let (ww, wl) = Pairs.split(weighted)  // [P, T] each
        let loss: Variable
        switch form {
        case .paper:
            let z = (ww.sum(axis: 1) - wl.sum(axis: 1)) * beta
            loss = meanOverItems(Ops.smoothedLogistic(z, epsilon: labelSmoothing), count: normalizer.items)
        case .referenceCode:
            let z = (ww - wl) * beta  // [P, T]
            let perPosition = Ops.smoothedLogistic(z, epsilon: labelSmoothing)
            let count = (normalizer.items ?? Float(z.shape[0])) * Float(z.shape[1])
            loss = perPosition.sum() / count
        }
        var metrics = preferenceMetrics(chosenRewards: pairs.chosenLogratios.value * beta,
                                        rejectedRewards: pairs.rejectedLogratios.value * beta,
                                        chosenLogps: pairs.chosenLogps.value, rejectedLogps: pairs.rejectedLogps.value)
        metrics.merge(weightMetrics(s, mask: batch.mask)) { a, _ in a }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
