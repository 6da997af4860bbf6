// RLMEC's imitation-based regulariser: a weighted SFT term on the minimal-edit corrections.
import Autograd
import Support
import TensorCore

/// The second term of RLMEC's objective, Chen et al. 2024, arXiv 2401.06081 (authors' code
/// `RUCAIBox/RLMEC`: `gen_rlmec_data_*.py` builds the targets, `train_rlmec.py` the loss):
/// a wrong sample's target is its correction by the rewriter (changing as little as possible), a
/// correct sample's target is the sample itself, and the policy is trained by weighted
/// cross-entropy on the targets,
///   L_imit = λ Σ_i Σ_t w_{i,t} (−ℓ_{i,t}) / N_w,
/// with w = 1 on the correction's tokens that the minimal edit changed, 0.5 on the others (every
/// token of a correct sample: 0.5), and N_w the number of target tokens in the optimizer batch (the
/// code's count of non-zero weights). The emphasis is the point: the wrong sample's few changed
/// tokens weigh twice what the copied ones do. λ = 1 in the authors' code (`lamb`).
public enum RLMECImitation {
    /// Weight of a correction token the minimal edit changed.
    public static let changedWeight: Float = 1
    /// Weight of a token the correction keeps, and of every token of a correct sample.
    public static let keptWeight: Float = 0.5
    /// The authors' coefficient λ.
    public static let defaultCoefficient: Float = 1

    /// The weights of `correction`'s tokens given the `prediction` it corrects: a minimum-edit
    /// alignment of the two id sequences (`LevenshteinAlignment`); a correction token that is
    /// substituted or inserted gets `changedWeight`, and so does the correction token just before a
    /// deletion (the first one when the deletion is at the start), since a deleted token leaves no
    /// token of its own to mark — as the authors' backtrace marks the target token at the cell a
    /// deletion leaves. Every other token gets `keptWeight`.
    /// - Throws: `AlignmentTooLarge` for sequences too long to align.
    public static func weights(prediction: [Int], correction: [Int]) throws -> [Float] {
        var w = [Float](repeating: keptWeight, count: correction.count)
        guard !correction.isEmpty else { return w }
        var j = 0
        for op in try LevenshteinAlignment.align(prediction, correction) {
            switch op {
            case .match: j += 1
            case .substitute, .insert:
                w[j] = changedWeight
                j += 1
            case .delete: w[max(j - 1, 0)] = changedWeight
            }
        }
        return w
    }

    /// The weights of a correct sample, which is its own target: `keptWeight` on every token.
    public static func weights(correctSample count: Int) -> [Float] { [Float](repeating: keptWeight, count: count) }

    /// λ Σ m w (−ℓ) / N_w over the target tokens (mask 1 on each target token).
    /// - Parameters:
    ///   - logps: the policy's log-probabilities of the target tokens, [B, T], differentiable.
    ///   - weights: w, [B, T] (read where `mask` is 1).
    ///   - targetTokens: N_w of the whole optimizer batch, so micro-batch losses add up to its loss
    ///     (nil: this micro-batch's own count).
    /// - Returns: the loss and `imitation/nll` (the unweighted mean −ℓ over the micro-batch's targets)
    ///   and `imitation/weight_mean`.
    public static func loss(logps: Variable, weights: Tensor, mask: Tensor, targetTokens: Float? = nil,
                            coefficient: Float = defaultCoefficient) throws -> ObjectiveOutput {
        guard logps.shape == mask.shape else { throw RLInputError.shape(field: "imitation logps", got: logps.shape, expected: mask.shape) }
        guard weights.shape == mask.shape else { throw RLInputError.shape(field: "imitation weights", got: weights.shape, expected: mask.shape) }
        let T = mask.shape.last ?? 1
        for (k, (l, m)) in zip(logps.value.scalars, mask.scalars).enumerated() where m != 0 && !l.isFinite {
            throw RLInputError.nonFinite(field: "imitation logps", row: k / T, position: k % T, value: l)
        }
        for (k, (w, m)) in zip(weights.scalars, mask.scalars).enumerated() where m != 0 && !(w.isFinite && w >= 0) {
            throw RLInputError.invalidSetting(key: "imitation weights", value: "\(w)", reason: "row \(k / T), position \(k % T): expected a finite weight ≥ 0")
        }
        guard coefficient.isFinite, coefficient >= 0 else {
            throw RLInputError.invalidSetting(key: "rlmec_imitation_coef", value: "\(coefficient)", reason: "expected a finite number ≥ 0")
        }
        let l = Masking.zeroed(logps, mask: mask), w = Masking.zeroed(weights, mask: mask)
        let perToken = Variable(-w) * l
        let loss = reduce(perToken, mask: mask, .tokenMean, normalizer: Normalizer(tokens: targetTokens)) * coefficient
        let metrics = [MetricName.imitationLoss: loss.scalar,
                       MetricName.imitationNLL: maskedMean(-l.value, mask: mask),
                       MetricName.imitationWeightMean: maskedMean(w, mask: mask)]
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}

extension MetricName {
    /// RLMEC's imitation term λ·L_imit, its unweighted NLL and mean weight over the target tokens.
    public static let imitationLoss = "imitation/loss"
    public static let imitationNLL = "imitation/nll"
    public static let imitationWeightMean = "imitation/weight_mean"
}
