import Autograd
import Foundation
import NN
import Objectives
import TensorCore
import Testing
@testable import Training

/// `--loss sparsepo-learned`: SparsePO's mask network (arXiv:2410.05102) over the reference's layers,
/// trained with the policy by the same optimizer and saved in checkpoints.
@Suite struct SparsePOLearnedTests {
    func configuration(_ loss: [String] = ["sparsepo-learned"]) throws -> TrainingConfiguration {
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = try learningConfiguration(train: data.train, eval: data.eval, loss: loss)
        c.lossWeights = loss.count > 1 ? [1, 0.5] : nil
        return c
    }

    /// The loss's gradient reaches every kind of mask parameter and equals central differences of
    /// the trainer's own loss (alone and inside a mix with SFT).
    /// The common network, the common network inside a mix with SFT, and the "indp" variant's two
    /// networks (reward and KL masks).
    @Test(arguments: [["sparsepo-learned"], ["sparsepo-learned", "sft"], ["sparsepo-learned-indp"]])
    func maskGradientsMatchFiniteDifferences(_ loss: [String]) throws {
        let t = try TrainingSetup.prepare(configuration(loss)).trainer
        var modules = [("sparsepo_mask", try #require(t.sparsePOMask))]
        if loss[0] == "sparsepo-learned-indp" {
            modules.append(("sparsepo_kl_mask", try #require(t.sparsePOKLMask)))
        } else {
            #expect(t.sparsePOKLMask == nil)
        }
        let keys = Set(t.trainable.namedParameters().map(\.key))
        for (name, _) in modules {
            #expect(keys.contains("\(name).mixer") && keys.contains("\(name).layers.1.weight") && keys.contains("\(name).layer_norm.bias"))
        }
        // At the start the policy is the reference, so Δ = 0 and the masks get no gradient; move
        // the policy first.
        let before = modules.map { $0.1.stateDict() }
        try t.trainStep(t.microBatches(forStep: 0))
        try t.trainStep(t.microBatches(forStep: 1))
        for (k, (name, m)) in modules.enumerated() {
            let after = m.stateDict()
            #expect(after.keys.contains { before[k][$0]!.scalars != after[$0]!.scalars }, "the optimizer did not move \(name)")
        }

        let indices = Array(0 ..< 4)
        let b = BatchTensors(t.train.subset(indices).collate(padID: t.padID))
        func lossValue() -> Float {
            withoutGradients { t.objectiveOutput(b, indices: indices, set: "train", normalizer: .local).loss.scalar }
        }
        t.trainable.eval()
        _ = try valueAndGrad(t.trainable) { t.objectiveOutput(b, indices: indices, set: "train", normalizer: .local).loss }
        let params = modules.flatMap { name, m in m.namedParameters().map { ("\(name).\($0.key)", $0.parameter) } }
        var checked = 0, nonzero = 0
        var problems: [String] = []
        for (key, p) in params {
            let g = try #require(p.grad, "no gradient for \(key)")
            // A few elements of each parameter (all of the small ones).
            for i in Array(Set([0, p.count / 2, p.count - 1])).sorted() {
                let x0 = p.value
                let h: Float = 1e-2
                var plus = x0, minus = x0
                plus[flat: i] += h
                minus[flat: i] -= h
                p.value = plus
                let lp = lossValue()
                p.value = minus
                let lm = lossValue()
                p.value = x0
                let numeric = (lp - lm) / (2 * h), analytic = g[flat: i]
                if abs(analytic - numeric) > 2e-4 + 3e-2 * abs(numeric) { problems.append("\(key)[\(i)]: analytic \(analytic), numeric \(numeric)") }
                if abs(analytic) > 1e-6 { nonzero += 1 }
                checked += 1
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(6))")
        #expect(nonzero >= checked / 2, "only \(nonzero) of \(checked) checked mask gradients are non-zero")
    }

    /// A few steps raise held-out preference accuracy and margins, and the masks move away from
    /// the all-ones start.
    @Test(arguments: ["sparsepo-learned", "sparsepo-learned-indp"])
    func heldOutRewardsRise(_ loss: String) throws {
        let run = try TrainingSetup.prepare(configuration([loss]))
        let before = run.trainer.evaluate()
        try run.trainer.run()
        let after = run.trainer.evaluate()
        let acc = try #require(after["eval_rewards/accuracies"]), margin = try #require(after["eval_rewards/margins"])
        #expect(acc >= 0.875, "\(loss): held-out accuracy \(before["eval_rewards/accuracies"] ?? -1) → \(acc)")
        #expect(margin > (before["eval_rewards/margins"] ?? 0) + 0.05, "held-out margin \(before["eval_rewards/margins"] ?? -1) → \(margin)")
        let m0 = try #require(before["eval_mask/reward_chosen_mean"]), m1 = try #require(after["eval_mask/reward_chosen_mean"])
        #expect(m0 > 0.5 && m0 != m1, "mask mean \(m0) → \(m1)")
    }

    /// Stop at step 3, resume from the checkpoint: the policy and the mask network end bit-identical
    /// to the uninterrupted run (AdamW moments of the mask network round-trip too).
    @Test func resumeIsBitIdenticalWithTheMaskNetwork() throws {
        var c = try configuration()
        c.batchSize = 2
        c.gradientAccumulationSteps = 2
        c.maxSteps = 6
        c.learningRate = 1e-3
        c.warmupSteps = 2
        c.schedule = "linear"
        c.seed = 7
        func bits(_ t: Trainer) -> [String: [UInt32]] { t.trainable.stateDict().mapValues { $0.scalars.map(\.bitPattern) } }

        var f = c
        f.out = temporaryDirectory().path
        let full = try TrainingSetup.prepare(f).trainer
        try full.run()

        let dir = temporaryDirectory()
        c.out = dir.path
        let first = try TrainingSetup.prepare(c).trainer
        try first.run { event in
            if case .step(let s, _, _) = event, s == 3 { return .stop }
            return .continue
        }
        let checkpoint = try #require(Trainer.latestCheckpoint(in: dir))
        let resumed = try TrainingSetup.prepare(c).trainer
        // Strict loading: this throws unless the checkpoint holds every sparsepo_mask.* parameter.
        try resumed.resume(from: checkpoint)
        try resumed.run()
        #expect(resumed.step == 6)
        let a = bits(full), b = bits(resumed)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.contains { $0.hasPrefix("sparsepo_mask.") })
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "parameters differ after resume: \(differing.prefix(5))")
        // The mask network did train (the mixer starts at 1/L = 0.5).
        #expect(a["sparsepo_mask.mixer"] != [Float(0.5), 0.5].map(\.bitPattern))
    }

    /// A common mask is penalised once: with λ_u = λ_d = λ the L1 term is λ‖m‖₁, as in the reference
    /// code (which halves both λ for the common network); two networks keep both terms.
    @Test func commonMaskL1IsCountedOnce() {
        var g = RandomGenerator(seed: 3)
        let B = 4, T = 3, V = 5
        let mask = Tensor(shape: [B, T], data: [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0])
        let labels = IndexTensor(shape: [B, T], data: (0 ..< B * T).map { Int32($0 % V) })
        let batch = TokenBatch(policyLogits: Variable(Tensor.randomNormal([B, T, V], using: &g)), labels: labels, mask: mask,
                               structure: .pairs, referenceLogits: Tensor.randomNormal([B, T, V], using: &g))
        let m = Variable(Tensor.randomUniform([B, T], low: 0.2, high: 1.5, using: &g))
        let lambda: Float = 0.05
        var learned = LearnedMaskSparsePO(SparsePO(beta: 0.2, rewardL1: lambda, klL1: lambda))
        learned.masks = (m, m)
        let common = learned.compute(batch, normalizer: .local).loss.scalar
        let unpenalised = SparsePO(beta: 0.2).compute(batch, rewardMask: m, klMask: m, normalizer: .local).loss.scalar
        let l1 = (m.value * mask).sum().scalar / Float(B / 2)  // mean over pairs of (‖m^w‖₁ + ‖m^l‖₁)
        #expect(abs(common - (unpenalised + lambda * l1)) < 1e-5, "common \(common), expected \(unpenalised + lambda * l1)")
        learned.masks = (m, Variable(m.value))
        let separate = learned.compute(batch, normalizer: .local).loss.scalar
        #expect(abs(separate - (unpenalised + 2 * lambda * l1)) < 1e-5, "separate \(separate), expected \(unpenalised + 2 * lambda * l1)")
    }
}
