// Saffron-1's partial supervision loss for a multifurcation reward model (arXiv 2506.06444): a worked
// example by hand and a finite-difference gradient check.
import Autograd
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct MultifurcationRewardLossTests {
    /// One row, V = 3, two positions. Outputs M(s₀) = [0.5, 2, −1], M(s₁) = [1, 0, 3], observed tokens
    /// y = [1, 2], targets r = [1.5, 2]: the entries read are 2 and 3, errors 0.5 and 1,
    /// L = (0.25 + 1) / 2 = 0.625; ∂L/∂M(s₀)[1] = 2·0.5/2 = 0.5, ∂L/∂M(s₁)[2] = 2·1/2 = 1, every
    /// other entry (the unobserved children) gets no gradient.
    @Test func workedExample() {
        let logits = Tensor(shape: [1, 2, 3], data: [0.5, 2, -1, 1, 0, 3])
        let labels = IndexTensor(shape: [1, 2], data: [1, 2])
        let v = Variable(logits, requiresGrad: true)
        let batch = TokenBatch(policyLogits: v, labels: labels, mask: Tensor(shape: [1, 2], data: [1, 1]),
                               tokenRewards: Tensor(shape: [1, 2], data: [1.5, 2]))
        let out = MultifurcationRewardLoss().compute(batch, normalizer: .local)
        #expect(abs(out.loss.value.scalar - 0.625) < 1e-6)
        #expect(abs(out.metrics["mean_score"]! - 2.5) < 1e-6 && abs(out.metrics["mean_target"]! - 1.75) < 1e-6)
        out.loss.backward()
        let want: [Float] = [0, 0.5, 0, 0, 0, 1]
        for (a, b) in zip(v.grad!.scalars, want) { #expect(abs(a - b) < 1e-6, "\(v.grad!.scalars)") }
    }

    /// A masked position neither counts nor gets a gradient: with mask [1, 0] only the first error
    /// remains, L = 0.25 / 1.
    @Test func maskedPositionsAreIgnored() {
        let logits = Tensor(shape: [1, 2, 3], data: [0.5, 2, -1, 1, 0, 3])
        let v = Variable(logits, requiresGrad: true)
        let batch = TokenBatch(policyLogits: v, labels: IndexTensor(shape: [1, 2], data: [1, 2]), mask: Tensor(shape: [1, 2], data: [1, 0]),
                               tokenRewards: Tensor(shape: [1, 2], data: [1.5, 2]))
        let out = MultifurcationRewardLoss().compute(batch, normalizer: .local)
        #expect(abs(out.loss.value.scalar - 0.25) < 1e-6)
        out.loss.backward()
        #expect(v.grad!.scalars == [0, 1, 0, 0, 0, 0])
    }

    @Test func gradientMatchesFiniteDifferences() {
        for seed: UInt64 in [1, 2, 3] {
            let b = randomShiftedBatch(seed: seed)
            var rng = b.rng
            let targets = Tensor.randomNormal([4, 3], using: &rng)
            let r = gradcheck([b.logits], seed: seed) { v in
                MultifurcationRewardLoss().compute(TokenBatch(policyLogits: v[0], labels: b.labels, mask: b.mask, tokenRewards: targets),
                                                   normalizer: .local).loss
            }
            #expect(r.ok, "\(r)")
        }
    }
}
