// Masking and the small numerical building blocks every objective shares.
//
// Masked positions are removed with `select`, never with a multiply: the forward value is exactly 0
// whatever the masked entry holds (even ±inf or NaN), and the gradient there is exactly 0
// (docs/design/objectives.md §0.5).
import Autograd
import TensorCore

enum Masking {
    static func zero() -> Variable { Variable(Tensor(0)) }

    /// `mask ? x : 0` elementwise (mask broadcasts).
    static func zeroed(_ x: Variable, mask: Tensor) -> Variable { Variable.select(mask, x, zero()) }

    static func zeroed(_ x: Tensor, mask: Tensor) -> Tensor { Tensor.where(mask, x, Tensor(0)) }

    /// Σ_t mask·x per row: [B, T] → [B].
    static func rowSum(_ x: Variable, mask: Tensor) -> Variable { zeroed(x, mask: mask).sum(axis: 1) }

    static func rowSum(_ x: Tensor, mask: Tensor) -> Tensor { zeroed(x, mask: mask).sum(axis: 1) }

    /// The [B, T] mask as [B, T, 1], for full-vocabulary tensors.
    static func expanded(_ mask: Tensor) -> Tensor { mask.reshaped(mask.shape + [1]) }

    /// Labels with 0 at masked positions, so gathers never read a padding id such as -100.
    static func safeLabels(_ labels: IndexTensor, mask: Tensor) -> IndexTensor {
        precondition(labels.shape == mask.shape, "labels \(labels.shape) vs mask \(mask.shape)")
        let m = mask.scalars
        return IndexTensor(shape: labels.shape, data: zip(labels.data, m).map { $1 != 0 ? $0 : 0 })
    }

    /// Row lengths clamped to ≥ 1 (TRL's `clamp(min=1)`), so empty rows divide by 1.
    static func clampedLengths(_ mask: Tensor) -> Tensor { mask.sum(axis: 1).clamped(min: 1) }
}

/// Stable scalar functions on Variables.
enum Ops {
    /// log σ(x) = −softplus(−x) (docs/design/objectives.md §0.5: −log σ is computed as softplus).
    static func logSigmoid(_ x: Variable) -> Variable { -((-x).softplus()) }

    /// Conservative-style smoothed logistic loss −(1−ε) log σ(x) − ε log σ(−x).
    static func smoothedLogistic(_ x: Variable, epsilon: Float) -> Variable {
        if epsilon == 0 { return (-x).softplus() }
        return (-x).softplus() * (1 - epsilon) + x.softplus() * epsilon
    }

    /// xlogy(q, q) summed over the last axis, 0·log 0 = 0: −H(q) for a constant distribution.
    static func negativeEntropy(probabilities q: Tensor, logProbabilities logq: Tensor) -> Tensor {
        Tensor.where(q.greater(Tensor(0)), q * logq, Tensor(0)).sum(axis: -1)
    }

    /// Constant permutation matrix that sorts `values` ascending (stable), for differentiable
    /// sorting of a [P] vector: sorted = M · x.
    static func sortingMatrix(_ values: Tensor) -> Tensor {
        let n = values.count
        let order = values.scalars.enumerated().sorted { a, b in
            a.element < b.element || (a.element == b.element && a.offset < b.offset)
        }.map(\.offset)
        var m = Tensor(shape: [n, n], repeating: 0)
        for (i, j) in order.enumerated() { m[i, j] = 1 }
        return m
    }

    /// Differentiable ascending sort of a rank-1 Variable (the permutation is a constant).
    static func sorted(_ x: Variable) -> Variable {
        let n = x.shape[0]
        let m = sortingMatrix(x.value)
        return Variable(m).matmul(x.reshaped([n, 1])).reshaped([n])
    }
}

/// Full-vocabulary divergences between a policy (Variable logits) and a constant distribution.
public enum TokenDivergence {
    /// Forward KL_t(q‖p) = Σ_v q_t(v)(log q_t(v) − log p_t(v)) per position, q = softmax(reference
    /// logits) constant, p = softmax(policy logits). Computed with log-softmax and xlogy, never
    /// log(softmax) (docs/design/objectives.md §0.5). Gradient w.r.t. the policy logits is p − q (G2, §0.4).
    /// Masked positions give exactly 0 and pass no gradient; their logits are never read.
    /// - Parameters:
    ///   - policyLogits: [B, T, V].
    ///   - referenceLogits: [B, T, V].
    ///   - mask: [B, T].
    /// - Returns: [B, T].
    public static func forwardKL(policyLogits: Variable, referenceLogits: Tensor, mask: Tensor) -> Variable {
        let m3 = Masking.expanded(mask)
        let z = Masking.zeroed(policyLogits, mask: m3)
        let zq = Masking.zeroed(referenceLogits, mask: m3)
        let logq = zq.logSoftmax()
        let q = logq.exp()
        let negH = Ops.negativeEntropy(probabilities: q, logProbabilities: logq)
        let cross = (z.logSoftmax() * q).sum(axis: -1)
        return Masking.zeroed(Variable(negH) - cross, mask: mask)
    }

    /// Reverse KL_t(p‖r) = Σ_v p_t(v)(log p_t(v) − log r_t(v)) per position with r constant, given
    /// as log-probabilities. Gradient w.r.t. the policy logits: p(log p − log r − KL) (G3).
    /// - Parameters:
    ///   - policyLogits: [B, T, V].
    ///   - targetLogProbabilities: log r, [B, T, V].
    ///   - mask: [B, T].
    /// - Returns: [B, T].
    public static func reverseKL(policyLogits: Variable, targetLogProbabilities logr: Tensor, mask: Tensor) -> Variable {
        let m3 = Masking.expanded(mask)
        let z = Masking.zeroed(policyLogits, mask: m3)
        let safeLogr = Tensor.where(m3, logr, Tensor(0))
        let logp = z.logSoftmax()
        let p = logp.exp()
        return Masking.zeroed((p * (logp - safeLogr)).sum(axis: -1), mask: mask)
    }

    /// Constant forward KL_t(q‖p) between two constant logit tensors (metrics, no graph).
    public static func forwardKL(policyLogits: Tensor, referenceLogits: Tensor, mask: Tensor) -> Tensor {
        withoutGradients { forwardKL(policyLogits: Variable(policyLogits), referenceLogits: referenceLogits, mask: mask).value }
    }
}

/// Scalar maths for constants, through TensorCore's kernels (this module imports only Autograd
/// and TensorCore).
enum Scalar {
    static func log(_ x: Float) -> Float { Tensor(x).log().scalar }
    static func exp(_ x: Float) -> Float { Tensor(x).exp().scalar }
}
