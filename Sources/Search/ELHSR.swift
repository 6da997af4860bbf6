// ELHSR, the "reward inside the model" (Guo, Wu & Yu, arXiv 2505.12225): a linear map of the policy's
// own hidden states gives every answer token a gate and a reward,
//   [ã_t, r_t] = W h_t + b,  g_t = σ(ã_t),  R = Σ_t g_t r_t / max(Σ_t g_t, ε),
// h_t the residual stream of all L layers at token t concatenated (L·C numbers), and R, a logit, is
// fitted to verified outcomes y ∈ {0, 1} with binary cross-entropy on logits,
//   ℓ = mean_i softplus(R_i) − y_i R_i.
// That is 2·L·C + 2 parameters: no backbone of its own, so scoring costs nothing beyond the policy's
// pass over the sample. The gradient is written out (one product for the forward of every token of
// the training set, one for the weights' gradient) and checked by finite differences and against an
// independent numpy computation (Tests/Fixtures/search/elhsr_reference.json).
import Foundation
import NN
import Optim
import Autograd
import TensorCore

/// The ELHSR parameters: θ = [w_gate (D), w_reward (D), b_gate, b_reward], D = L·C.
public struct ELHSRHead: Sendable, Equatable {
    /// D = L·C, the length of one token's features.
    public let dimension: Int
    /// θ, 2·D + 2 numbers.
    public var parameters: [Float]
    /// The floor of Σ g_t in R's denominator (the paper's ε).
    public static let epsilon: Float = 1e-6

    public init(dimension: Int, parameters: [Float]? = nil) {
        self.dimension = dimension
        self.parameters = parameters ?? [Float](repeating: 0, count: 2 * dimension + 2)
    }

    /// R, the sample's reward logit (0 for an empty answer).
    public func reward(_ s: HiddenStateSample) -> Float {
        precondition(s.tokens.count == s.count * dimension, "ELHSR: features of \(s.tokens.count) numbers, expected \(s.count) × \(dimension)")
        guard s.count > 0 else { return 0 }
        var pre = [Float](repeating: 0, count: s.count * 2)
        Self.project(s.tokens, rows: s.count, dimension: dimension, theta: parameters, into: &pre)
        return Self.pool(pre, count: s.count).reward
    }

    /// pre [rows, 2] = X [rows, D] · [w_gate, w_reward]ᵀ + [b_gate, b_reward].
    static func project(_ x: [Float], rows: Int, dimension D: Int, theta: [Float], into pre: inout [Float]) {
        guard rows > 0 && D > 0 else { return }
        x.withUnsafeBufferPointer { xp in
            theta.withUnsafeBufferPointer { w in
                pre.withUnsafeMutableBufferPointer { out in
                    BLAS.gemm(transA: false, transB: true, M: rows, N: 2, K: D, A: xp.baseAddress!, lda: D, B: w.baseAddress!, ldb: D,
                              C: out.baseAddress!, ldc: 2)
                }
            }
        }
        let bg = theta[2 * D], br = theta[2 * D + 1]
        for t in 0 ..< rows {
            pre[2 * t] += bg
            pre[2 * t + 1] += br
        }
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// R and Σ g from the token rows pre[t] = (ã_t, r_t) of one sample.
    static func pool(_ pre: [Float], from start: Int = 0, count n: Int) -> (reward: Float, gateSum: Float) {
        var num: Float = 0, den: Float = 0
        for t in start ..< start + n {
            let g = sigmoid(pre[2 * t])
            num += g * pre[2 * t + 1]
            den += g
        }
        return (num / max(den, epsilon), den)
    }

    /// ℓ(θ) = mean_i softplus(R_i) − y_i R_i over a labelled set, and ∂ℓ/∂θ.
    public static func lossAndGradient(theta: [Float], set: HiddenStateSet) -> (loss: Float, gradient: [Float]) {
        let D = set.dimension, M = set.totalTokens, N = set.count
        precondition(theta.count == 2 * D + 2 && N > 0)
        var pre = [Float](repeating: 0, count: M * 2)
        project(set.tokens, rows: M, dimension: D, theta: theta, into: &pre)
        // coef[t] = (∂ℓ/∂ã_t, ∂ℓ/∂r_t): the rows the weight gradient sums.
        var coef = [Float](repeating: 0, count: M * 2)
        var loss: Float = 0
        for i in 0 ..< N {
            let start = set.offsets[i], n = set.counts[i], y = set.labels[i]
            let (R, S) = pool(pre, from: start, count: n)
            loss += max(R, 0) - y * R + Foundation.log1p(Foundation.exp(-abs(R)))
            guard n > 0 else { continue }
            let e = (sigmoid(R) - y) / Float(N)
            let floored = S <= epsilon
            let denominator = floored ? epsilon : S
            for t in start ..< start + n {
                let g = sigmoid(pre[2 * t]), r = pre[2 * t + 1]
                // ∂R/∂r_t = g_t / S; ∂R/∂g_t = (r_t − R) / S (r_t / ε once the floor holds); ∂g/∂ã = g(1 − g).
                coef[2 * t + 1] = e * g / denominator
                coef[2 * t] = e * (floored ? r : r - R) / denominator * g * (1 - g)
            }
        }
        var gradient = [Float](repeating: 0, count: 2 * D + 2)
        guard M > 0 else { return (loss / Float(N), gradient) }
        set.tokens.withUnsafeBufferPointer { xp in
            coef.withUnsafeBufferPointer { c in
                gradient.withUnsafeMutableBufferPointer { g in
                    // [∂w_gate; ∂w_reward] [2, D] = coefᵀ [2, M] · X [M, D].
                    BLAS.gemm(transA: true, transB: false, M: 2, N: D, K: M, A: c.baseAddress!, lda: 2, B: xp.baseAddress!, ldb: D,
                              C: g.baseAddress!, ldc: D)
                }
            }
        }
        for t in 0 ..< M {
            gradient[2 * D] += coef[2 * t]
            gradient[2 * D + 1] += coef[2 * t + 1]
        }
        return (loss / Float(N), gradient)
    }

    /// Fits θ from zeros with full-batch AdamW (no random choice: the same set gives the same head).
    /// Returns the head and the loss at each step.
    public static func fit(_ set: HiddenStateSet, steps: Int, learningRate: Float, weightDecay: Float) -> (head: ELHSRHead, losses: [Float]) {
        let holder = ThetaHolder(Tensor(shape: [2 * set.dimension + 2], repeating: 0))
        let optimizer = AdamW(learningRate: learningRate, weightDecay: weightDecay)
        var losses: [Float] = []
        losses.reserveCapacity(steps)
        for _ in 0 ..< steps {
            let (loss, g) = lossAndGradient(theta: holder.theta.value.scalars, set: set)
            losses.append(loss)
            holder.theta.grad = Tensor(shape: [g.count], data: g)
            optimizer.step(holder)
        }
        return (ELHSRHead(dimension: set.dimension, parameters: holder.theta.value.scalars), losses)
    }

    /// θ as the one parameter AdamW steps.
    final class ThetaHolder: Module {
        let theta: Variable
        init(_ value: Tensor) {
            theta = Variable(value, requiresGrad: true)
            super.init()
        }
    }
}

/// A labelled set of samples' token features laid end to end: one [Σ n_i, D] buffer.
public struct HiddenStateSet: Sendable {
    public let dimension: Int
    public private(set) var tokens: [Float] = []
    public private(set) var offsets: [Int] = []
    public private(set) var counts: [Int] = []
    public private(set) var labels: [Float] = []
    public var count: Int { counts.count }
    public var totalTokens: Int { tokens.count / max(dimension, 1) }

    public init(dimension: Int) { self.dimension = dimension }

    /// Appends a labelled sample's token rows.
    public mutating func append(_ s: HiddenStateSample, label: Float) {
        precondition(s.tokens.count == s.count * dimension)
        offsets.append(totalTokens)
        counts.append(s.count)
        labels.append(label)
        tokens.append(contentsOf: s.tokens)
    }
}
