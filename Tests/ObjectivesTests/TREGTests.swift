import Autograd
import Foundation
import Objectives
import TensorCore
import Testing
import TestSupport

/// T-REG's paper form (DPO-REG, arXiv 2412.02685): L = L_DPO + α·w·(L_REG(y_w) + L_REG(y_l)),
/// L_REG(y) = −β Σ_t m r̂_t Δ_t, r̂_t = σ(ℓ⁺_t − ℓ⁻_t) − 0.5, w = σ(−z) held constant.
@Suite struct TREGPaperFormTests {
    static let seeds: [UInt64] = [61, 62, 63]

    static func paper(alpha: Float = 0.25, beta: Float = 0.3) -> TREG {
        TREG(sequenceObjective: DPO(.sigmoid, beta: beta), alpha: alpha, beta: beta, form: .paper)
    }

    /// The loss recomputed in Double from the per-token log-probs, with explicit loops.
    @Test(arguments: seeds)
    func workedExampleMatchesTheFormula(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let alpha = 0.25, beta = 0.3
        let lp = TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask).scalars
        let lr = TokenBatch.tokenLogps(logits: rb.referenceLogits, labels: rb.labels, mask: rb.mask).scalars
        let bp = rb.betterLogps.scalars, wp = rb.worseLogps.scalars, m = rb.mask.scalars
        let B = rb.B, T = RandomBatch.T, P = B / 2
        func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        var sums = [Double](repeating: 0, count: B), reg = [Double](repeating: 0, count: B)
        for r in 0 ..< B {
            for t in 0 ..< T where m[r * T + t] != 0 {
                let delta = Double(lp[r * T + t]) - Double(lr[r * T + t])
                let rhat = sig(Double(bp[r * T + t]) - Double(wp[r * T + t])) - 0.5
                sums[r] += delta
                reg[r] += -beta * rhat * delta
            }
        }
        var expected = 0.0
        for i in 0 ..< P {
            let z = beta * (sums[i] - sums[P + i])
            let dpo = log(1 + exp(-z))
            expected += dpo + alpha * sig(-z) * (reg[i] + reg[P + i])
        }
        expected /= Double(P)
        let out = lossAndGradients(Self.paper(), rb)
        expectClose(out.loss, Float(expected), atol: 1e-5, "T-REG paper form loss, seed \(seed)")
        #expect(out.metrics["loss/regularizer"] != nil && out.metrics["treg/sequence_weight"] != nil)
    }

    /// ∂L/∂ℓ^w_t = [−βσ(−z) − αwβ r̂^w_t]·m/P and ∂L/∂ℓ^l_t = [+βσ(−z) − αwβ r̂^l_t]·m/P, w = σ(−z)
    /// held constant (it is a weight on the regulariser, not part of its gradient). This is the paper
    /// form's gradient check: finite differences would also move w, which the method treats as a
    /// constant, so the analytic gradient is compared with its closed form instead.
    @Test(arguments: seeds)
    func gradientIsTheClosedForm(_ seed: UInt64) throws {
        let rb = RandomBatch(seed: seed)
        let alpha: Float = 0.4, beta: Float = 0.3
        let objective = Self.paper(alpha: alpha, beta: beta)
        let logps = Variable(TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask), requiresGrad: true)
        var batch = rb.batch(policyLogits: Variable(rb.policyLogits))
        batch.policyLogps = logps
        objective.compute(batch, normalizer: .local).loss.backward()
        let rhat = objective.weights(batch).scalars
        let sig = GradientIdentityTests.dpoSigmoidTerms(rb, beta: beta)  // σ(−z) per pair
        let B = rb.B, T = RandomBatch.T, P = B / 2
        let m = rb.mask.scalars
        var expected = [Float](repeating: 0, count: B * T)
        for r in 0 ..< B {
            let s = sig[r % P], sign: Float = r < P ? -1 : 1
            for t in 0 ..< T where m[r * T + t] != 0 {
                expected[r * T + t] = (sign * beta * s - alpha * s * beta * rhat[r * T + t]) / Float(P)
            }
        }
        expectClose(try #require(logps.grad), Tensor(shape: [B, T], data: expected), atol: 1e-6, "T-REG paper gradient w.r.t. ℓ")
    }

    @Test(arguments: seeds)
    func reducesToDPO(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let dpo = lossAndGradients(DPO(.sigmoid, beta: 0.3), rb)
        // α = 0.
        let a0 = lossAndGradients(Self.paper(alpha: 0), rb)
        expectClose(a0.loss, dpo.loss, atol: 1e-6, "α = 0 loss")
        expectClose(a0.logits, dpo.logits, atol: 1e-6, "α = 0 gradient")
        // Uninformative prompts: ℓ⁺ = ℓ⁻ gives r̂ ≡ 0.
        var same = rb
        same.worseLogps = rb.betterLogps
        let r0 = lossAndGradients(Self.paper(alpha: 0.5), same)
        expectClose(r0.loss, dpo.loss, atol: 1e-6, "r̂ = 0 loss")
        expectClose(r0.logits, dpo.logits, atol: 1e-6, "r̂ = 0 gradient")
    }

    @Test(arguments: seeds)
    func tokenRewardsAreCentredAndBounded(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let b = rb.batch(policyLogits: Variable(rb.policyLogits))
        let r = Self.paper().weights(b).scalars, m = rb.mask.scalars
        let d = (rb.betterLogps - rb.worseLogps).scalars
        var bad: [Int] = []
        for i in 0 ..< r.count {
            if m[i] == 0 {
                if r[i] != 0 { bad.append(i) }
                continue
            }
            // Bounded by ±0.5; better-prompt log-prob above the worse one ⇒ positive reward.
            let bounded = abs(r[i]) < 0.5
            let signAgrees = d[i] == 0 || (r[i] > 0) == (d[i] > 0)
            if !(bounded && signAgrees) { bad.append(i) }
        }
        #expect(bad.isEmpty, "token rewards out of range or of the wrong sign at \(bad)")
    }
}
