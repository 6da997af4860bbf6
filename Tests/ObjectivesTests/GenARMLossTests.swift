// GenARM's autoregressive reward-model loss (arXiv 2410.08193): a worked example by hand and a
// finite-difference gradient check.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct GenARMLossTests {
    /// One pair, β_r = 0.5. Chosen ℓ = [−1, −2, (pad)], rejected ℓ = [−0.5, −3, −1]:
    /// Σ_w = −3, Σ_l = −4.5, z = 0.5 · 1.5 = 0.75, L = log(1 + e^−0.75) = 0.386871;
    /// ∂L/∂ℓ_w,t = −β σ(−z) = −0.160411 on the chosen tokens, +0.160411 on the rejected ones.
    @Test func workedExample() {
        let logps = Tensor(shape: [2, 3], data: [-1, -2, 0, -0.5, -3, -1])
        let mask = Tensor(shape: [2, 3], data: [1, 1, 0, 1, 1, 1])
        let v = Variable(logps, requiresGrad: true)
        let out = GenARMLoss(beta: 0.5).compute(TokenBatch(policyLogps: v, mask: mask, structure: .pairs), normalizer: .local)
        #expect(abs(out.loss.value.scalar - 0.386871) < 1e-5)
        out.loss.backward()
        let g = v.grad!.scalars
        let want: [Float] = [-0.160411, -0.160411, 0, 0.160411, 0.160411, 0.160411]
        for (a, b) in zip(g, want) { #expect(abs(a - b) < 1e-5, "\(g)") }
        #expect(abs(out.metrics["rewards/chosen"]! - (-1.5)) < 1e-6)
        #expect(abs(out.metrics["rewards/rejected"]! - (-2.25)) < 1e-6)
        #expect(out.metrics["rewards/accuracies"] == 1)
    }

    /// Two pairs average: the second pair Σ_w = −0.2, Σ_l = −0.1, z = −0.05, L₂ = 0.718460;
    /// mean (0.386871 + 0.718460) / 2 = 0.552665.
    @Test func pairsAreAveraged() {
        let logps = Tensor(shape: [4, 3], data: [-1, -2, 0, -0.2, 0, 0, -0.5, -3, -1, -0.1, 0, 0])
        let mask = Tensor(shape: [4, 3], data: [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0])
        let out = GenARMLoss(beta: 0.5).compute(TokenBatch(policyLogps: Variable(logps), mask: mask, structure: .pairs), normalizer: .local)
        #expect(abs(out.loss.value.scalar - 0.552665) < 1e-5)
        #expect(out.metrics["rewards/accuracies"] == 0.5)
    }

    @Test func gradientMatchesFiniteDifferences() {
        for seed: UInt64 in [1, 2, 3] {
            let (logits, labels, mask, _) = randomShiftedBatch(seed: seed)
            let r = gradcheck([logits], seed: seed) { v in
                GenARMLoss(beta: 0.7).compute(TokenBatch(policyLogits: v[0], labels: labels, mask: mask, structure: .pairs), normalizer: .local).loss
            }
            #expect(r.ok, "\(r)")
        }
    }
}
