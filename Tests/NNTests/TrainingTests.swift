import Autograd
import NN
import Optim
import TensorCore
import Testing
import TestSupport

/// Real training, not smoke tests: each model must overfit a fixed batch by ≥ 100×.
@Suite struct OverfitTests {
    @Test func tinyMLPOverfitsAFixedBatch() throws {
        var rng = RandomGenerator(seed: 42)
        let model = TinyMLP(8, 32, 4, rng: &rng)
        let x = Variable(Tensor.randomNormal([16, 8], using: &rng))
        let y = Tensor.randomNormal([16, 4], using: &rng)
        let opt = AdamW(learningRate: 1e-2, weightDecay: 0)
        func loss() -> Variable { (model(x) - y).squared().mean() }
        let initial = withoutGradients { loss() }.scalar
        var last = initial
        for _ in 0 ..< 600 {
            last = try valueAndGrad(model, loss).value
            opt.step(model)
        }
        let final = withoutGradients { loss() }.scalar
        #expect(final * 100 <= initial, "MSE \(initial) → \(final) (last step \(last))")
    }

    @Test func tinyTwoLayerAttentionModelOverfitsAFixedBatch() throws {
        var rng = RandomGenerator(seed: 7)
        let V = 16, T = 12, B = 4
        let model = TinyLM(vocabulary: V, dimensions: 32, heads: 4, layers: 2, context: T, rng: &rng)
        // Random sequences with distinct first tokens, so every continuation is learnable.
        var data: [Int32] = []
        for b in 0 ..< B {
            data.append(Int32(b))
            for _ in 1 ..< T + 1 { data.append(Int32(rng.next() % UInt64(V))) }
        }
        var inputs: [Int32] = [], labels: [Int32] = []
        for b in 0 ..< B {
            let row = data[(b * (T + 1)) ..< ((b + 1) * (T + 1))]
            inputs += row.prefix(T)
            labels += row.suffix(T)
        }
        let ids = IndexTensor(shape: [B, T], data: inputs), targets = IndexTensor(shape: [B, T], data: labels)
        let opt = AdamW(learningRate: 1e-2, weightDecay: 0)
        func loss() -> Variable { Functional.crossEntropy(logits: model(ids), labels: targets) }
        let initial = withoutGradients { loss() }.scalar
        for step in 0 ..< 300 {
            opt.learningRate = LearningRateSchedule.cosine(peak: 1e-2, warmup: 20, total: 300, minimum: 1e-3).learningRate(at: step)
            _ = try valueAndGrad(model, loss)
            clipGradientNorm(model, maxNorm: 1)
            opt.step(model)
        }
        let final = withoutGradients { loss() }.scalar
        #expect(final * 100 <= initial, "cross-entropy \(initial) → \(final)")
    }

    @Test func loraFineTuningLowersTheLossWithFrozenBase() throws {
        var rng = RandomGenerator(seed: 11)
        let model = TinyMLP(6, 16, 3, rng: &rng)
        let frozenBase = model.fc1.weight.value
        model.fc1.addLoRA(LoRAConfiguration(rank: 4, alpha: 8), rng: &rng)
        model.fc2.addLoRA(LoRAConfiguration(rank: 4, alpha: 8), rng: &rng)
        let x = Variable(Tensor.randomNormal([12, 6], using: &rng)), y = Tensor.randomNormal([12, 3], using: &rng)
        let opt = AdamW(learningRate: 2e-2, weightDecay: 0)
        func loss() -> Variable { (model(x) - y).squared().mean() }
        let initial = withoutGradients { loss() }.scalar
        for _ in 0 ..< 300 { _ = try valueAndGrad(model, loss); opt.step(model) }
        let final = withoutGradients { loss() }.scalar
        #expect(final < initial * 0.2, "LoRA MSE \(initial) → \(final)")
        #expect(model.fc1.weight.value.scalars == frozenBase.scalars)
    }

    @Test func gradientAccumulationEqualsTheFullBatch() throws {
        var rng = RandomGenerator(seed: 3)
        let model = TinyMLP(4, 8, 2, rng: &rng)
        let x = Tensor.randomNormal([6, 4], using: &rng), y = Tensor.randomNormal([6, 2], using: &rng)
        // Full batch: mean over 6 rows.
        let full = try valueAndGrad(model) { (model(Variable(x)) - y).squared().sum() * (1 / 12) }.gradients
        // Two micro-batches of 3 rows, each normalised by the global count, accumulated.
        _ = try valueAndGrad(model) { (model(Variable(x.rows(0 ..< 3))) - y.rows(0 ..< 3)).squared().sum() * (1 / 12) }
        let acc = try valueAndGrad(model, accumulate: true) {
            (model(Variable(x.rows(3 ..< 6))) - y.rows(3 ..< 6)).squared().sum() * (1 / 12)
        }.gradients
        for (k, g) in full {
            let r = compareClose(acc[k]!, g, atol: 1e-6, rtol: 1e-5)
            #expect(r.ok, "\(k): \(r)")
        }
    }
}
