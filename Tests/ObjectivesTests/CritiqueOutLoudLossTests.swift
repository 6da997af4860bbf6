// CLoud's stage-2 loss (arXiv 2408.11791): Bradley–Terry on the head read at the end of the
// self-critique + λ · the critique LM loss, against the numpy worked example (`cloud_reference.json`:
// loss, critique NLL and both gradients), finite-difference gradient checks, and λ = 0 = Bradley–Terry.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct CritiqueOutLoudLossTests {
    @Test func matchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("cloud_reference.json")
        let P = (raw["P"] as! NSNumber).intValue, T = (raw["T"] as! NSNumber).intValue, V = (raw["V"] as! NSNumber).intValue
        let B = 2 * P
        let logits = Tensor(shape: [B, T, V], data: floats(raw["logits"])), scores = Tensor(shape: [B, T], data: floats(raw["scores"]))
        let labels = IndexTensor(shape: [B, T], data: ints(raw["labels"]))
        let mask = Tensor(shape: [B, T], data: floats(raw["mask"])), readout = Tensor(shape: [B, T], data: floats(raw["readout"]))
        let cases = raw["cases"] as! [[String: Any]]
        #expect(cases.count == 3)
        for c in cases {
            let name = c["name"] as! String
            let z = Variable(logits, requiresGrad: true), s = Variable(scores, requiresGrad: true)
            var batch = TokenBatch(policyLogits: z, labels: labels, mask: mask, structure: .pairs, tokenWeights: [.rewardReadout: readout])
            batch.scores = s
            if let m = c["margin"] as? [Any] { batch.sequenceValues[.margin] = Tensor(floats(m)) }
            let out = CritiqueOutLoudLoss(lambda: floats([c["lambda"]!])[0]).compute(batch, normalizer: .local)
            expectClose(out.loss.value.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: 1e-6, rtol: 1e-6, "\(name) loss")
            expectClose(try #require(out.metrics["loss/critique"]), floats([c["critique_nll"]!])[0], atol: 1e-6, "\(name) critique NLL")
            expectClose(try #require(out.metrics[MetricName.accuracy]), floats([c["accuracy"]!])[0], atol: 0, "\(name) accuracy")
            out.loss.backward()
            expectClose(try #require(z.grad), Tensor(shape: logits.shape, data: floats(c["grad_logits"])), atol: 1e-6, "\(name) d/d logits")
            expectClose(try #require(s.grad), Tensor(shape: scores.shape, data: floats(c["grad_scores"])), atol: 1e-6, "\(name) d/d scores")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        for seed: UInt64 in [1, 2, 3] {
            let x = SharedTrunkRewardLossTests.randomInputs(seed: seed)
            let loss = CritiqueOutLoudLoss(lambda: 0.6)
            let r = gradcheck([x.logits, x.scores], seed: seed) { v in
                loss.compute(SharedTrunkRewardLossTests.batch(x, logits: v[0], scores: v[1], reference: false), normalizer: .local).loss
            }
            #expect(r.ok, "seed \(seed): \(r)")
        }
    }

    /// With the optimizer batch's token count, a micro-batch's critique term is its share of the
    /// whole batch's token mean (gradient accumulation adds up to the full batch).
    @Test func critiqueTermIsAGlobalTokenMean() {
        let x = SharedTrunkRewardLossTests.randomInputs(seed: 4)
        let batch = SharedTrunkRewardLossTests.batch(x, logits: Variable(x.logits), scores: Variable(x.scores), reference: false)
        let total = x.mask.sum().scalar
        let local = CritiqueOutLoudLoss(lambda: 1).compute(batch, normalizer: .local).loss.value.scalar
        let bt = CritiqueOutLoudLoss(lambda: 0).compute(batch, normalizer: .local).loss.value.scalar
        let doubled = CritiqueOutLoudLoss(lambda: 1).compute(batch, normalizer: Normalizer(tokens: 2 * total)).loss.value.scalar
        expectClose(doubled - bt, (local - bt) / 2, atol: 1e-6, "critique term over twice the tokens")
    }

    /// λ = 0: the Bradley–Terry loss on the head at the read-out; the LM head gets no gradient.
    @Test func lambdaZeroIsBradleyTerry() throws {
        let x = SharedTrunkRewardLossTests.randomInputs(seed: 5)
        let bt = BradleyTerryRM().compute(TokenBatch(policyLogps: Variable(Tensor(shape: x.mask.shape, repeating: 0)), mask: x.readout,
                                                     structure: .pairs, scores: Variable(x.scores)), normalizer: .local)
        let z = Variable(x.logits, requiresGrad: true)
        let out = CritiqueOutLoudLoss(lambda: 0).compute(SharedTrunkRewardLossTests.batch(x, logits: z, scores: Variable(x.scores, requiresGrad: true), reference: false),
                                                         normalizer: .local)
        expectClose(out.loss.value.scalar, bt.loss.value.scalar, atol: 1e-7, "loss")
        out.loss.backward()
        #expect((z.grad?.scalars ?? []).allSatisfy { $0 == 0 })
    }
}
