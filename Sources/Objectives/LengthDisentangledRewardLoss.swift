// ODIN's length-disentangled reward model (Chen et al. 2024, arXiv 2402.07319; `Lichang-Chen/ODIN`
// two-head reward model and trainer): two linear heads on the last token, a quality reward r_Q and a
// length reward r_L; their sum is trained on the preferences while r_L is pushed to carry the
// length and r_Q to carry none of it, so r_Q alone is a length-controlled reward (docs/design/rewards.md §8).
import Autograd
import TensorCore

/// L = mean_pairs −log σ(R_c − R_r − μ) + λ_L·[(1 − ρ(r_L, ℓ)) + |ρ(r_Q, ℓ)|] + λ_O·|cos(w_Q, w_L)|,
/// R = r_Q + r_L, where
///
/// - ρ(x, ℓ) = Σ_i (x_i − x̄)(ℓ_i − ℓ̄) / (√(Σ_i (x_i − x̄)² + ε) · √(Σ_i (ℓ_i − ℓ̄)²)), the Pearson
///   correlation over the micro-batch's 2P responses with ε = 1e-8 (so a constant reward has ρ = 0
///   and a finite gradient); ρ = 0 when every response has the same length;
/// - ℓ_i the response length in tokens; w_Q, w_L the heads' weight rows [1, C].
///
/// With gradient accumulation the two penalties are weighted by the micro-batch's share of the
/// optimizer batch's pairs (P / `normalizer.items`), so they add up to one penalty per step.
/// Defaults: λ_L = λ_O = 1, the values of the authors' training script.
public struct LengthDisentangledRewardLoss {
    /// λ_L, the length-correlation weight (≥ 0).
    public var lengthWeight: Float
    /// λ_O, the orthogonality weight (≥ 0).
    public var orthogonalityWeight: Float
    public static let defaultLengthWeight: Float = 1
    public static let defaultOrthogonalityWeight: Float = 1
    /// ε under the reward's standard deviation.
    public static let epsilon: Float = 1e-8

    public init(lengthWeight: Float = LengthDisentangledRewardLoss.defaultLengthWeight,
                orthogonalityWeight: Float = LengthDisentangledRewardLoss.defaultOrthogonalityWeight) {
        self.lengthWeight = lengthWeight
        self.orthogonalityWeight = orthogonalityWeight
    }

    public var name: String { "odin" }

    /// Pearson correlation of a differentiable x [N] with constant lengths [N] (see the type's doc).
    public static func correlation(_ x: Variable, _ lengths: Tensor) -> Variable {
        let n = Float(lengths.count)
        let lc = lengths - lengths.sum().scalar / n
        let sl = lc.squared().sum().scalar.squareRoot()
        guard sl > 0 else { return Variable(Tensor(0)) }
        let xc = x - x.mean()
        return (xc * lc).sum() / (((xc.squared().sum() + epsilon).sqrt()) * sl)
    }

    /// - Parameters:
    ///   - quality: r_Q, [2P] (chosen rows first, as a `.pairs` batch).
    ///   - length: r_L, [2P].
    ///   - lengths: ℓ, [2P], response lengths in tokens.
    ///   - qualityWeight, lengthWeight: the heads' weights [1, C].
    ///   - margin: μ [P], or nil.
    ///   - tie: [P] tie flags (target ½, see `bradleyTerryLoss`), or nil.
    public func compute(quality: Variable, length: Variable, lengths: Tensor, qualityWeight: Variable, lengthWeight wL: Variable,
                        margin: Tensor? = nil, tie: Tensor? = nil, normalizer: Normalizer) -> ObjectiveOutput {
        precondition(quality.shape == length.shape && quality.count == lengths.count && quality.count % 2 == 0,
                     "LengthDisentangledRewardLoss: r_Q \(quality.shape), r_L \(length.shape), lengths \(lengths.shape)")
        let total = quality + length
        let (rc, rr) = Pairs.split(total)
        let pairs = Float(quality.count / 2)
        let share = pairs / (normalizer.items ?? pairs)
        let ranking = bradleyTerryLoss(chosen: rc, rejected: rr, margin: margin, tie: tie, pairCount: normalizer.items)
        let rhoL = Self.correlation(length, lengths), rhoQ = Self.correlation(quality, lengths)
        let corr = (1 - rhoL) + rhoQ.abs()
        let wQ = qualityWeight
        let cos = (wQ * wL).sum() / ((wQ.squared().sum().sqrt()) * (wL.squared().sum().sqrt()))
        let loss = ranking + corr * (self.lengthWeight * share) + cos.abs() * (orthogonalityWeight * share)
        let (qc, qr) = Pairs.split(quality.value)
        var metrics = rewardModelMetrics(all: quality.value, chosen: qc, rejected: qr, tie: tie)
        metrics["accuracy/combined"] = rc.value.greater(rr.value).mean().scalar
        metrics["loss/ranking"] = ranking.scalar
        metrics["length/corr_quality"] = rhoQ.scalar
        metrics["length/corr_length"] = rhoL.scalar
        metrics["heads/cosine"] = cos.scalar
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
