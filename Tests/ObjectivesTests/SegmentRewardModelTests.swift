// The segment reward model (arXiv 2501.02790): entropy segmentation by hand, the loss and its
// gradient against the numpy worked example (`segment_reference.json`), a finite-difference
// gradient check, and its two limits (one segment per response = Bradley–Terry at the last token;
// one per token = the mean over the response).
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct SegmentRewardModelTests {
    /// Next-token entropies H = [9, 0.5, 2, 2.5, 0.1]: H₁ < 2 so token 0 does not end; H₂ = 2 ≥ 2
    /// ends token 1; H₃ ends token 2; H₄ < 2 leaves token 3; token 4 is the last. H₀ is never read.
    @Test func segmentationByHand() {
        let h: [Float] = [9, 0.5, 2, 2.5, 0.1]
        #expect(EntropySegmentation.ends(entropies: h, threshold: 2) == [1, 2, 4])
        #expect(EntropySegmentation.ends(entropies: h, threshold: 0) == [0, 1, 2, 3, 4])
        #expect(EntropySegmentation.ends(entropies: h, threshold: 1000) == [4])
        #expect(EntropySegmentation.ends(entropies: [], threshold: 1) == [])
        #expect(EntropySegmentation.segments(ends: [1, 2, 4]) == [0 ... 1, 2 ... 2, 3 ... 4])
        // The mask form reads a row's response as its masked positions, in order.
        let m = EntropySegmentation.endMask(entropies: Tensor(shape: [1, 7], data: [7, 7] + h), mask: Tensor(shape: [1, 7], data: [0, 0, 1, 1, 1, 1, 1]),
                                            threshold: 2)
        #expect(m.scalars == [0, 0, 0, 1, 1, 0, 1])
    }

    @Test func matchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("segment_reference.json")
        let P = (raw["P"] as! NSNumber).intValue, T = (raw["T"] as! NSNumber).intValue, B = 2 * P
        let mask = Tensor(shape: [B, T], data: floats(raw["mask"]))
        let entropies = Tensor(shape: [B, T], data: floats(raw["entropies"]))
        let scores = Tensor(shape: [B, T], data: floats(raw["scores"]))
        let cases = raw["cases"] as! [[String: Any]]
        #expect(cases.count == 4)
        for c in cases {
            let name = c["name"] as! String
            let threshold = Float((c["threshold"] as! NSNumber).doubleValue)
            let ends = EntropySegmentation.endMask(entropies: entropies, mask: mask, threshold: threshold)
            #expect(ends.scalars == floats(c["ends"]), "\(name): segment ends")
            let v = Variable(scores, requiresGrad: true)
            var values: [SequenceValueKey: Tensor] = [:]
            if c["margin"] is [Any] { values[.margin] = Tensor(shape: [P], data: floats(c["margin"])) }
            let batch = TokenBatch(policyLogps: Variable(Tensor(shape: [B, T], repeating: 0)), mask: mask, structure: .pairs, scores: v,
                                   tokenWeights: [.segmentEnds: ends], sequenceValues: values)
            let out = SegmentRewardModelLoss().compute(batch, normalizer: .local)
            expectClose(out.loss.value.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: 1e-6, "\(name) loss")
            out.loss.backward()
            expectClose(try #require(v.grad), Tensor(shape: [B, T], data: floats(c["grad"])), atol: 1e-6, "\(name) d loss / d scores")
        }
    }

    /// Random pairs with prompt prefixes and padding, random entropies and a margin.
    static func randomInputs(seed: UInt64) -> (scores: Tensor, mask: Tensor, entropies: Tensor, margin: Tensor) {
        var rng = RandomGenerator(seed: seed)
        let B = 6, T = 8
        var m = [Float](repeating: 0, count: B * T)
        for b in 0 ..< B {
            let lo = 1 + b % 3, hi = T - (b % 2)
            for t in lo ..< hi { m[b * T + t] = 1 }
        }
        let h = Tensor.randomNormal([B, T], using: &rng).scalars.map { abs($0) * 2 }
        return (Tensor.randomNormal([B, T], using: &rng), Tensor(shape: [B, T], data: m), Tensor(shape: [B, T], data: h),
                Tensor.randomNormal([B / 2], using: &rng))
    }

    static func loss(_ scores: Variable, _ x: (scores: Tensor, mask: Tensor, entropies: Tensor, margin: Tensor), threshold: Float,
                     margin: Bool = false) -> ObjectiveOutput {
        let ends = EntropySegmentation.endMask(entropies: x.entropies, mask: x.mask, threshold: threshold)
        let batch = TokenBatch(policyLogps: Variable(Tensor(shape: x.mask.shape, repeating: 0)), mask: x.mask, structure: .pairs, scores: scores,
                               tokenWeights: [.segmentEnds: ends], sequenceValues: margin ? [.margin: x.margin] : [:])
        return SegmentRewardModelLoss().compute(batch, normalizer: .local)
    }

    @Test func gradientMatchesFiniteDifferences() {
        for seed: UInt64 in [1, 2, 3] {
            let x = Self.randomInputs(seed: seed)
            let r = gradcheck([x.scores], seed: seed) { v in Self.loss(v[0], x, threshold: 1.2, margin: seed == 2).loss }
            #expect(r.ok, "\(r)")
        }
    }

    /// A threshold above every entropy: one segment ending at each response's last token, and the
    /// loss is `BradleyTerryRM`'s on the same head values, value and gradient, bit for bit.
    @Test func oneSegmentIsBradleyTerryAtTheLastToken() {
        for seed: UInt64 in [4, 5] {
            let x = Self.randomInputs(seed: seed)
            let a = Variable(x.scores, requiresGrad: true), b = Variable(x.scores, requiresGrad: true)
            let seg = Self.loss(a, x, threshold: 1000, margin: true)
            let bt = BradleyTerryRM().compute(TokenBatch(policyLogps: Variable(Tensor(shape: x.mask.shape, repeating: 0)), mask: x.mask,
                                                         structure: .pairs, scores: b, sequenceValues: [.margin: x.margin]), normalizer: .local)
            #expect(seg.loss.value.scalar == bt.loss.value.scalar)
            #expect(seg.metrics[MetricName.accuracy] == bt.metrics[MetricName.accuracy])
            seg.loss.backward()
            bt.loss.backward()
            #expect(a.grad!.scalars == b.grad!.scalars)
        }
    }

    /// Threshold 0: every token is a segment, S is the mean over the response's tokens, which is
    /// `TokenRewardModelPreferenceLoss(.head, .mean)`.
    @Test func everyTokenIsTheResponseMean() {
        let x = Self.randomInputs(seed: 6)
        let a = Variable(x.scores, requiresGrad: true), b = Variable(x.scores, requiresGrad: true)
        let seg = Self.loss(a, x, threshold: 0)
        let mean = TokenRewardModelPreferenceLoss(source: .head, aggregation: .mean)
            .compute(TokenBatch(policyLogps: Variable(Tensor(shape: x.mask.shape, repeating: 0)), mask: x.mask, structure: .pairs, scores: b),
                     normalizer: .local)
        expectClose(seg.loss.value.scalar, mean.loss.value.scalar, atol: 1e-6, "loss")
        seg.loss.backward()
        mean.loss.backward()
        expectClose(a.grad!, b.grad!, atol: 1e-7, "gradient")
        expectClose(seg.metrics["segments/length"]!, 1, atol: 0, "one token per segment")
    }
}
