// The Bradley–Terry loss with ties (RRM's neutral pairs, arXiv 2409.13156: target P = ½) and
// margins: value and gradient against the numpy worked example (`tie_reference.json`), a
// finite-difference gradient check, the tie term's minimum and symmetry, and the metrics that leave
// ties out of the accuracy.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct TieLossTests {
    /// `BradleyTerryRM` on a 2P-row batch whose score row b is read at its only masked position.
    static func output(_ chosen: [Float], _ rejected: [Float], values: [SequenceValueKey: Tensor], center: Float? = nil)
        -> (out: ObjectiveOutput, scores: Variable) {
        let B = chosen.count * 2
        let scores = Variable(Tensor(shape: [B, 1], data: chosen + rejected), requiresGrad: true)
        let batch = TokenBatch(policyLogps: Variable(Tensor(shape: [B, 1], repeating: 0)), mask: Tensor(shape: [B, 1], repeating: 1),
                               structure: .pairs, scores: scores, sequenceValues: values)
        return (BradleyTerryRM(centerCoefficient: center).compute(batch, normalizer: .local), scores)
    }

    @Test func matchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("tie_reference.json")
        let rc = floats(raw["chosen"]), rr = floats(raw["rejected"]), P = rc.count
        let cases = raw["cases"] as! [String: [String: Any]]
        #expect(cases.count == 5)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let margin = floats(c["margin"]), tie = floats(c["tie"])
            var values: [SequenceValueKey: Tensor] = [:]
            if margin.contains(where: { $0 != 0 }) { values[.margin] = Tensor(shape: [P], data: margin) }
            if tie.contains(1) { values[.tie] = Tensor(shape: [P], data: tie) }
            let center = (c["center"] as? NSNumber).map { Float($0.doubleValue) }
            let (out, scores) = Self.output(rc, rr, values: values, center: center)
            expectClose(out.loss.value.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: 1e-6, "\(name) loss")
            out.loss.backward()
            let g = try #require(scores.grad).scalars
            expectClose(Tensor(Array(g[0 ..< P])), Tensor(floats(c["grad_chosen"])), atol: 1e-6, "\(name) d loss / d r_c")
            expectClose(Tensor(Array(g[P...])), Tensor(floats(c["grad_rejected"])), atol: 1e-6, "\(name) d loss / d r_r")
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        for seed: UInt64 in [1, 2, 3] {
            var rng = RandomGenerator(seed: seed)
            let P = 4
            let r = Tensor.randomNormal([2 * P], using: &rng)
            let values: [SequenceValueKey: Tensor] = [.tie: Tensor(shape: [P], data: [1, 0, 1, 0]),
                                                       .margin: Tensor(shape: [P], data: [0.3, 0.8, -0.2, 0])]
            let check = gradcheck([r], seed: seed) { v in
                let (c, rj) = (v[0].slice(axis: 0, 0 ..< P), v[0].slice(axis: 0, P ..< 2 * P))
                return bradleyTerryLoss(chosen: c, rejected: rj, margin: values[.margin], tie: values[.tie], centerCoefficient: 0.01)
            }
            #expect(check.ok, "\(check)")
        }
    }

    /// A tie's term is log 2 at equal rewards, larger elsewhere, and does not depend on which
    /// response the file calls chosen; its margin is ignored.
    @Test func aTieIsMinimalAtEqualRewardsAndSymmetric() {
        let tie: [SequenceValueKey: Tensor] = [.tie: Tensor(shape: [1], data: [1])]
        expectClose(Self.output([0.4], [0.4], values: tie).out.loss.value.scalar, Float(log(2.0)), atol: 1e-6, "d = 0")
        for d: Float in [-2, -0.5, 0.5, 3] {
            let a = Self.output([d], [0], values: tie).out.loss.value.scalar, b = Self.output([0], [d], values: tie).out.loss.value.scalar
            expectClose(a, b, atol: 1e-6, "symmetric at d = \(d)")
            #expect(a > Float(log(2.0)))
        }
        var withMargin = tie
        withMargin[.margin] = Tensor(shape: [1], data: [5])
        #expect(Self.output([0.7], [0.2], values: withMargin).out.loss.value.scalar == Self.output([0.7], [0.2], values: tie).out.loss.value.scalar)
        // No tie flags equals the plain loss bit for bit.
        let zeros: [SequenceValueKey: Tensor] = [.tie: Tensor(shape: [2], data: [0, 0])]
        #expect(Self.output([0.7, -1], [0.2, 0.5], values: zeros).out.loss.value.scalar == Self.output([0.7, -1], [0.2, 0.5], values: [:]).out.loss.value.scalar)
    }

    /// Accuracy and margin count only the pairs with an order: ties have no right answer.
    @Test func tiesAreLeftOutOfTheAccuracy() {
        let values: [SequenceValueKey: Tensor] = [.tie: Tensor(shape: [3], data: [0, 1, 0])]
        let m = Self.output([1, -5, 0], [0, 5, 2], values: values).out.metrics
        #expect(m[MetricName.accuracy] == 0.5)
        expectClose(m[MetricName.margin]!, -0.5, atol: 1e-6, "margin over the ordered pairs")
        #expect(m[MetricName.minReward] == -5, "reward statistics over every row")
    }
}
