// Quark's loss (arXiv 2205.13636): the numpy worked example (loss and gradient w.r.t. the policy
// logits, both KL directions), gradient checks through the logits, and its invariants.
import Autograd
import Foundation
@testable import Objectives
import Testing
import TestSupport
import TensorCore

@Suite struct QuarkLossTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/objectives/quark_reference.json")

    struct Example {
        let policy: Tensor, reference: Tensor, labels: IndexTensor, mask: Tensor
        let cases: [[String: Any]]
        let B: Int, T: Int, V: Int

        init() throws {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: QuarkLossTests.fixture)) as? [String: Any])
            B = try #require(json["B"] as? Int)
            T = try #require(json["T"] as? Int)
            V = try #require(json["V"] as? Int)
            func floats(_ k: String) throws -> [Float] { try #require(json[k] as? [Double]).map(Float.init) }
            policy = Tensor(shape: [B, T, V], data: try floats("policy_logits"))
            reference = Tensor(shape: [B, T, V], data: try floats("reference_logits"))
            labels = IndexTensor(shape: [B, T], data: try #require(json["labels"] as? [Int]).map(Int32.init))
            mask = Tensor(shape: [B, T], data: try floats("mask"))
            cases = try #require(json["cases"] as? [[String: Any]])
        }

        /// The loss as the trainer assembles it: ℓ, H and the KL from the same logits.
        func loss(_ q: QuarkLoss, logits: Variable) throws -> ObjectiveOutput {
            let batch = try RolloutBatch(mask: mask, tokenRewards: Tensor(shape: [B, T], repeating: 0))
            let logps = Functional.tokenLogProbs(logits: logits, labels: labels, mask: mask)
            let h = (logits.softmax() * logits.logSoftmax()).sum(axis: 2) * -1
            let kl = q.referenceKLDirection.map { $0.divergence(policyLogits: logits, referenceLogits: reference, mask: mask) }
            return try q.compute(PolicyLossInput(logps: logps, advantages: Tensor(shape: [B, T], repeating: 0), batch: batch,
                                                 entropy: q.needsEntropy ? h : nil, referenceKL: kl))
        }
    }

    static func make(_ c: [String: Any]) throws -> QuarkLoss {
        let name = try #require(c["direction"] as? String)
        let direction = try #require(KLDirection(rawValue: name))
        return try QuarkLoss(klCoefficient: Float(try #require(c["beta"] as? Double)), entropyCoefficient: Float(try #require(c["alpha"] as? Double)),
                             klDirection: direction)
    }

    @Test("numpy worked example: loss, NLL, mean KL and ∂L/∂logits in both KL directions")
    func workedExample() throws {
        let ex = try Example()
        for c in ex.cases {
            let q = try Self.make(c)
            let logits = Variable(ex.policy, requiresGrad: true)
            let out = try ex.loss(q, logits: logits)
            out.loss.backward()
            let expected = try #require(c["loss"] as? Double)
            #expect(abs(Double(out.loss.scalar) - expected) < 1e-5, "\(c["direction"]!) β=\(c["beta"]!): \(out.loss.scalar) vs \(expected)")
            #expect(abs(Double(out.metrics[MetricName.quarkNLL] ?? .nan) - (c["nll"] as? Double ?? .nan)) < 1e-5)
            if q.klCoefficient > 0 {
                #expect(abs(Double(out.metrics[MetricName.quarkKL] ?? .nan) - (c["kl_mean"] as? Double ?? .nan)) < 1e-5)
            }
            let grad = try #require(logits.grad).scalars
            let want = try #require(c["grad_logits"] as? [Double])
            let worst = zip(grad, want).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(grad.count == want.count && worst < 1e-6, "max |Δgrad| = \(worst)")
        }
    }

    @Test("gradient check of the whole loss through the policy logits", arguments: [KLDirection.reverse, .forward])
    func gradientCheck(_ direction: KLDirection) throws {
        let ex = try Example()
        let q = try QuarkLoss(klCoefficient: 0.4, entropyCoefficient: 0.2, klDirection: direction)
        let result = gradcheck([ex.policy], step: 1e-3) { v in try! ex.loss(q, logits: v[0]).loss }
        #expect(result.ok, "\(result)")
    }

    @Test("invariants: β = α = 0 is the token-mean NLL; the KL vanishes when the policy is the reference")
    func invariants() throws {
        let ex = try Example()
        let plain = try QuarkLoss(klCoefficient: 0, entropyCoefficient: 0)
        #expect(plain.referenceKLDirection == nil && !plain.needsEntropy)
        let nll = try ex.loss(plain, logits: Variable(ex.policy)).loss.scalar
        let logps = withoutGradients { Functional.tokenLogProbs(logits: Variable(ex.policy), labels: ex.labels, mask: ex.mask).value }
        let mean = -zip(logps.scalars, ex.mask.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 } / ex.mask.sum().scalar
        #expect(abs(nll - mean) < 1e-5)
        for direction in KLDirection.allCases {
            let kl = withoutGradients { direction.divergence(policyLogits: Variable(ex.reference), referenceLogits: ex.reference, mask: ex.mask).value }
            #expect(kl.scalars.allSatisfy { abs($0) < 1e-6 }, "\(direction)")
        }
    }

    @Test("settings: defaults from the reference code, bad values and a second entropy term are refused")
    func settings() throws {
        let q = try #require(try PolicyLosses.make("quark") as? QuarkLoss)
        #expect(q.klCoefficient == 0.05 && q.entropyCoefficient == 0.06 && q.klDirection == .reverse)
        #expect(q.regularizers.aggregation == .tokenMean)
        let f = try #require(try PolicyLosses.make("quark", settings: PolicyLossSettings(config: [
            "quark_kl_coef": "0.2", "quark_kl_direction": "forward", "quark_entropy_coef": "0"])) as? QuarkLoss)
        #expect(f.klCoefficient == 0.2 && f.klDirection == .forward && !f.needsEntropy)
        #expect(throws: RLInputError.self) { try PolicyLosses.make("quark", settings: PolicyLossSettings(config: ["quark_kl_direction": "both"])) }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("quark", settings: PolicyLossSettings(config: ["quark_kl_coef": "-1"])) }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("quark", settings: PolicyLossSettings(config: ["entropy_coeff": "0.1"])) }
        // Without the KL the trainer must pass, the loss says what is missing.
        let ex = try Example()
        let batch = try RolloutBatch(mask: ex.mask, tokenRewards: Tensor(shape: [ex.B, ex.T], repeating: 0))
        let logps = Variable(Tensor(shape: [ex.B, ex.T], repeating: -1))
        #expect(throws: RLInputError.self) {
            try q.compute(PolicyLossInput(logps: logps, advantages: Tensor(shape: [ex.B, ex.T], repeating: 0), batch: batch,
                                          entropy: Variable(Tensor(shape: [ex.B, ex.T], repeating: 1))))
        }
    }
}
