// The DPO family on sequence-level log-ratios: DPO (`sigmoid`), IPO, conservative DPO, robust DPO,
// hinge, and the rest of TRL's catalogue, with loss mixing.
//
// Formulas: `huggingface/trl:trl/trainer/dpo_trainer.py` @ v1.16.0 (`DPOTrainer._compute_loss`,
// the `loss_type` branches), f-divergence `reverse_kl` (standard DPO). Conservative DPO (label
// smoothing inside the sigmoid) is its own loss (docs/design/objectives.md §2.2): current TRL dropped it
// from `sigmoid`.
//
// Every pair loss is a `seqSum`-based margin (token *sums*), then a mean over pairs (docs/design/objectives.md §0.3).
// Legend: P pairs; cl = Σ_t m^w (ℓ^w − ℓ^ref,w), rl = Σ_t m^l (ℓ^l − ℓ^ref,l), δ = cl − rl.
import Autograd
import TensorCore

/// A DPO-family loss, named as TRL's `loss_type` (plus `conservative`).
public enum DPOLossType: String, CaseIterable, Sendable {
    /// −log σ(βδ). Rafailov et al. 2023, arXiv 2305.18290, eq. 7.
    case sigmoid
    /// max(0, 1 − βδ). SLiC, Zhao et al. 2023, arXiv 2305.10425.
    case hinge
    /// (h̄ − 1/(2β))², h̄ the per-token-average margin (TRL) or δ (paper). Azar et al. 2023, arXiv 2310.12036, eq. 17.
    case ipo
    /// EXO-pref, Ji et al. 2024, arXiv 2402.00856, eq. 16: KL(p_fθ ‖ p_rh) for K = 2, ε = label smoothing > 0.
    case exoPair = "exo_pair"
    /// NCA, Chen et al. 2024, arXiv 2402.05369: −log σ(βcl) − ½ log σ(−βcl) − ½ log σ(−βrl).
    case ncaPair = "nca_pair"
    /// Robust DPO, Chowdhury et al. 2024, arXiv 2403.00409: [−(1−ε) log σ(βδ) + ε log σ(−βδ)]/(1−2ε).
    case robust
    /// BCO (pair form), Jung et al. 2024, arXiv 2404.04656: −log σ(βcl) − log σ(−βrl) (TRL v1.16 has no running-mean shift).
    case bcoPair = "bco_pair"
    /// SPPO, hard probabilities, Wu et al. 2024, arXiv 2405.00675: (cl − 1/(2β))² + (rl + 1/(2β))².
    case sppoHard = "sppo_hard"
    /// AOT (paired), Melnyk et al. 2024, arXiv 2406.05882: smoothed logistic of sorted(π margins) − sorted(ref margins) over the batch.
    case aot
    /// AOT (unpaired), arXiv 2406.05882: smoothed logistic of sorted(cl) − sorted(rl) over the batch.
    case aotUnpaired = "aot_unpaired"
    /// APO-zero, D'Oosterlinck et al. 2024, arXiv 2408.06266, eq. 7: (1 − σ(βcl)) + σ(βrl).
    case apoZero = "apo_zero"
    /// APO-down, arXiv 2408.06266, eq. 8: σ(βcl) + (1 − σ(βδ)).
    case apoDown = "apo_down"
    /// DiscoPOP, Chris Lu et al. 2024, arXiv 2406.08414, eq. 5: log-ratio-modulated blend of logistic and exponential losses.
    case discopop
    /// NLL of the chosen responses (token mean over chosen tokens), for mixing (MPO, arXiv 2411.10442).
    case sft
    /// −log σ(β h̄) with per-token-average log-ratios (TRL `sigmoid_norm`).
    case sigmoidNorm = "sigmoid_norm"
    /// Conservative DPO: −(1−ε) log σ(βδ) − ε log σ(−βδ). Mitchell, "A note on DPO with noisy
    /// preferences" (ericmitchell.ai/cdpo.pdf). Stationary at σ(βδ) = 1 − ε.
    case conservative
}

/// Sequence-level quantities of preference pairs, the inputs of every DPO-family loss. All [P].
public struct PreferencePairs {
    /// Σ_t m ℓ of the chosen responses (differentiable).
    public var chosenLogps: Variable
    /// Σ_t m ℓ of the rejected responses (differentiable).
    public var rejectedLogps: Variable
    /// Σ_t m ℓ^ref of the chosen responses.
    public var referenceChosenLogps: Tensor
    /// Σ_t m ℓ^ref of the rejected responses.
    public var referenceRejectedLogps: Tensor
    /// |y^w| clamped to ≥ 1.
    public var chosenLengths: Tensor
    /// |y^l| clamped to ≥ 1.
    public var rejectedLengths: Tensor

    public init(chosenLogps: Variable, rejectedLogps: Variable, referenceChosenLogps: Tensor,
                referenceRejectedLogps: Tensor, chosenLengths: Tensor? = nil, rejectedLengths: Tensor? = nil) {
        self.chosenLogps = chosenLogps
        self.rejectedLogps = rejectedLogps
        self.referenceChosenLogps = referenceChosenLogps
        self.referenceRejectedLogps = referenceRejectedLogps
        self.chosenLengths = chosenLengths ?? Tensor(shape: chosenLogps.shape, repeating: 1)
        self.rejectedLengths = rejectedLengths ?? Tensor(shape: rejectedLogps.shape, repeating: 1)
    }

    /// Token sums of a `.pairs` batch (needs `referenceLogps`).
    public init(_ batch: TokenBatch) { self.init(batch, who: "PreferencePairs") }

    init(_ batch: TokenBatch, who: String) {
        _ = batch.pairCount
        let (c, r) = Pairs.split(batch.sequenceLogps)
        let (rc, rr) = Pairs.split(Masking.rowSum(batch.requireReferenceLogps(who), mask: batch.mask))
        let (lc, lr) = Pairs.split(Masking.clampedLengths(batch.mask))
        self.init(chosenLogps: c, rejectedLogps: r, referenceChosenLogps: rc, referenceRejectedLogps: rr,
                  chosenLengths: lc, rejectedLengths: lr)
    }

    /// cl = Σ m^w Δ^w.
    public var chosenLogratios: Variable { chosenLogps - referenceChosenLogps }
    /// rl = Σ m^l Δ^l.
    public var rejectedLogratios: Variable { rejectedLogps - referenceRejectedLogps }
}

/// The DPO family with TRL's names, defaults and loss mixing (`loss_type` list + `loss_weights`).
/// Defaults (TRL `DPOConfig`): β = 0.1, label smoothing 0, `discopop_tau` 0.05; IPO uses TRL's
/// per-token-average margin unless `ipoLengthNormalized` is false (paper/original DPO repo: sums).
public struct DPO: Objective {
    public struct Component: Sendable {
        public var type: DPOLossType
        public var weight: Float
        public init(_ type: DPOLossType, weight: Float = 1) {
            self.type = type
            self.weight = weight
        }
    }

    public var components: [Component]
    public var beta: Float
    /// ε for `conservative`, `robust`, `exo_pair`, `aot`, `aot_unpaired`.
    public var labelSmoothing: Float
    /// τ of DiscoPOP's modulation (TRL default 0.05, the paper's recommendation).
    public var discopopTau: Float
    /// IPO margin: true (TRL) = per-token averages; false (paper) = token sums.
    public var ipoLengthNormalized: Bool

    public init(_ type: DPOLossType = .sigmoid, beta: Float = 0.1, labelSmoothing: Float = 0,
                discopopTau: Float = 0.05, ipoLengthNormalized: Bool = true) {
        self.init(losses: [Component(type)], beta: beta, labelSmoothing: labelSmoothing,
                  discopopTau: discopopTau, ipoLengthNormalized: ipoLengthNormalized)
    }

    /// A weighted mix, e.g. MPO's `[(.sigmoid, 0.8), (.bcoPair, 0.2), (.sft, 1.0)]`.
    public init(losses: [Component], beta: Float = 0.1, labelSmoothing: Float = 0,
                discopopTau: Float = 0.05, ipoLengthNormalized: Bool = true) {
        precondition(!losses.isEmpty, "DPO: no loss types")
        precondition(beta > 0, "DPO: beta must be > 0, got \(beta)")
        let types = Set(losses.map(\.type))
        if types.contains(.exoPair) {
            precondition(labelSmoothing > 0 && labelSmoothing < 1,
                         "DPO: exo_pair needs label smoothing in (0, 1) (EXO recommends 1e-3), got \(labelSmoothing)")
        }
        if types.contains(.robust) {
            precondition(labelSmoothing >= 0 && labelSmoothing < 0.5, "DPO: robust needs label smoothing in [0, 0.5), got \(labelSmoothing)")
        }
        if types.contains(.conservative) {
            precondition(labelSmoothing >= 0 && labelSmoothing < 0.5, "DPO: conservative needs label smoothing in [0, 0.5), got \(labelSmoothing)")
        }
        self.components = losses
        self.beta = beta
        self.labelSmoothing = labelSmoothing
        self.discopopTau = discopopTau
        self.ipoLengthNormalized = ipoLengthNormalized
    }

    public var name: String { components.map(\.type.rawValue).joined(separator: ",") }

    /// Per-pair loss of one type ([P]); `.sft` is not a pair loss (see `compute`).
    public func perPairLoss(_ type: DPOLossType, _ x: PreferencePairs) -> Variable {
        let b = beta, eps = labelSmoothing
        let cl = x.chosenLogratios, rl = x.rejectedLogratios
        let delta = cl - rl
        switch type {
        case .sigmoid:
            return (delta * (-b)).softplus()
        case .conservative:
            return Ops.smoothedLogistic(delta * b, epsilon: eps)
        case .hinge:
            return (1 - delta * b).relu()
        case .ipo:
            let h = ipoLengthNormalized ? cl / x.chosenLengths - rl / x.rejectedLengths : delta
            return (h - 1 / (2 * b)).squared()
        case .exoPair:
            let z = delta * b
            let logPw = Scalar.log(1 - eps), logPl = Scalar.log(eps)
            return z.sigmoid() * (Ops.logSigmoid(z) - logPw) + (-z).sigmoid() * (Ops.logSigmoid(-z) - logPl)
        case .ncaPair:
            let a = cl * b, r = rl * b
            return (-a).softplus() + a.softplus() * 0.5 + r.softplus() * 0.5
        case .robust:
            let z = delta * b
            return ((-z).softplus() * (1 - eps) - z.softplus() * eps) / (1 - 2 * eps)
        case .bcoPair:
            return (cl * (-b)).softplus() + (rl * b).softplus()
        case .sppoHard:
            return (cl - 0.5 / b).squared() + (rl + 0.5 / b).squared()
        case .aot:
            let piMargins = Ops.sorted(x.chosenLogps - x.rejectedLogps)
            let refMargins = Tensor((x.referenceChosenLogps - x.referenceRejectedLogps).scalars.sorted())
            return Ops.smoothedLogistic((piMargins - refMargins) * b, epsilon: eps)
        case .aotUnpaired:
            return Ops.smoothedLogistic((Ops.sorted(cl) - Ops.sorted(rl)) * b, epsilon: eps)
        case .apoZero:
            return (1 - (cl * b).sigmoid()) + (rl * b).sigmoid()
        case .apoDown:
            return (cl * b).sigmoid() + (1 - (delta * b).sigmoid())
        case .discopop:
            let z = delta * b
            let modulation = (z / discopopTau).sigmoid()
            return (-z).softplus() * (1 - modulation) + (-z).exp() * modulation
        case .sigmoidNorm:
            let h = cl / x.chosenLengths - rl / x.rejectedLengths
            return (h * (-b)).softplus()
        case .sft:
            preconditionFailure("DPO.perPairLoss: .sft is a token-level term, not a pair loss")
        }
    }

    /// Loss = Σ_k w_k · (Σ_pairs l_k / P), where P = `normalizer.items` (optimizer batch) or the local
    /// count; the `sft` term is −Σ_{chosen} m ℓ / `normalizer.chosenTokens`.
    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "DPO")
        var total: Variable?
        var metrics: [String: Float] = [:]
        for c in components {
            let term: Variable
            if c.type == .sft {
                let (lc, _) = Pairs.split(batch.policyLogps)
                let (mc, _) = Pairs.split(batch.mask)
                let n = normalizer.chosenTokens ?? mc.sum().scalar
                term = -Masking.rowSum(lc, mask: mc).sum() / Swift.max(n, 1)
            } else {
                term = meanOverItems(perPairLoss(c.type, pairs), count: normalizer.items)
            }
            if components.count > 1 { metrics["loss/\(c.type.rawValue)"] = term.scalar }
            let weighted = c.weight == 1 ? term : term * c.weight
            total = total.map { $0 + weighted } ?? weighted
        }
        metrics.merge(preferenceMetrics(chosenRewards: pairs.chosenLogratios.value * beta,
                                        rejectedRewards: pairs.rejectedLogratios.value * beta,
                                        chosenLogps: pairs.chosenLogps.value,
                                        rejectedLogps: pairs.rejectedLogps.value)) { a, _ in a }
        return ObjectiveOutput(loss: total!, metrics: metrics)
    }
}

/// DPO on sequence log-probs: mean over pairs of −log σ(β[(π_c − ref_c) − (π_r − ref_r)]).
/// Rafailov et al. 2023, arXiv 2305.18290, eq. 7. Shapes: [P].
public func dpoLoss(policyChosen: Variable, policyRejected: Variable, referenceChosen: Tensor,
                    referenceRejected: Tensor, beta: Float = 0.1) -> Variable {
    let x = PreferencePairs(chosenLogps: policyChosen, rejectedLogps: policyRejected,
                            referenceChosenLogps: referenceChosen, referenceRejectedLogps: referenceRejected)
    return DPO(.sigmoid, beta: beta).perPairLoss(.sigmoid, x).mean()
}
