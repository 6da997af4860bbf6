// OREAL (arXiv 2502.06781): the token weights and the token RM's loss against the numpy reference,
// a hand-worked example of the weights, the loss's reductions (equal weights → BC on positives plus
// reshaped negatives; an all-correct group has no negative term), gradient checks and bad input.
// The loss's own worked examples are the `oreal_*` cases of `RLReferenceTests.lossMatchesNumpy`.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("OREAL: token weights, token RM loss, reductions")
struct OREALTests {
    nonisolated(unsafe) static let fixture: [String: Any] = {
        guard let obj = try? loadJSON("rl_reference.json"), let o = obj["oreal"] as? [String: Any] else {
            preconditionFailure("rl_reference.json has no oreal section; run generate_rl_reference.py")
        }
        return o
    }()

    var positive: [Bool] { (Self.fixture["positive"] as? [Bool]) ?? [] }

    @Test("ω⁺/ω⁻ from the RM logits match numpy (threshold 0.5/0.5, threshold 0.3/0.6, top-k 0.5/0.4)",
          arguments: ["threshold_default", "threshold_0.3_0.6", "topk_0.5_0.4"])
    func weightsMatchNumpy(_ name: String) throws {
        let ref = RLReference.shared
        let c = try #require((Self.fixture["weights"] as? [String: [String: Any]])?[name])
        let a = number(c["correct"]), b = number(c["incorrect"])
        let rescale: OREALRescale = (c["rescale"] as? String) == "topk" ? .topK(correct: a, incorrect: b) : .threshold(correct: a, incorrect: b)
        let w = try OREALTokenWeights.weights(logits: ref.bt("rm_logits"), mask: ref.bt("mask"), positive: positive, rescale: rescale)
        expectClose(w, ref.bt(c["weights"]), atol: 1e-6, rtol: 1e-5, name)
        #expect(w.scalars.contains { $0 > 0 } && w.scalars.contains { $0 == 0 }, "\(name): some tokens weighted, some not")
    }

    @Test("the token RM's sequence cross-entropy and its gradient match numpy; finite differences agree")
    func rewardModelLoss() throws {
        let ref = RLReference.shared
        let logits = Variable(ref.bt("rm_logits"), requiresGrad: true)
        let loss = OREALTokenWeights.rewardModelLoss(logits: logits, mask: ref.bt("mask"), positive: positive)
        expectClose(loss.scalar, number(Self.fixture["rm_loss"]), atol: 1e-6, rtol: 1e-5, "RM loss")
        loss.backward()
        expectClose(try #require(logits.grad), ref.bt(Self.fixture["grad_rm_logits"]), atol: 1e-6, rtol: 1e-5, "d RM loss / d logits")
        let rr = RandomRollout(seed: 81)
        for seed: UInt64 in [1, 2] {
            var g = RandomGenerator(seed: seed)
            let x = Tensor.randomNormal([RandomRollout.B, RandomRollout.T], using: &g)
            let result = gradcheck([x], step: 1e-3, seed: seed) { v in
                OREALTokenWeights.rewardModelLoss(logits: v[0], mask: rr.mask, positive: [true, false, true, false, false, true])
            }
            #expect(result.ok, "seed \(seed): \(result)")
        }
    }

    /// By hand: 2σ(m) − 1 = tanh(m/2), so with τ = ½ the weights are ω⁺ = max(tanh(m_t/2), 0) and
    /// ω⁻ = max(−tanh(m_t/2), 0) of the running means m_t. Positive row, logits 0, 2, −2 over its
    /// trained tokens (a hole between the last two): means 0, 1, 0 → ω⁺ = 0, tanh ½, 0. Negative row,
    /// logits −2, 0, 3: means −2, −1, ⅓ → ω⁻ = tanh 1, tanh ½, 0. Top-k with ratio ⅔ on the negative
    /// row keeps the two largest 1 − p (tokens 0 and 1) and scales them to 1 and 0.
    @Test("hand-worked weights: running mean, sigmoid, threshold and top-k")
    func handWorkedWeights() throws {
        let mask = Tensor(shape: [2, 5], data: [0, 1, 1, 0, 1, 1, 1, 1, 0, 0])
        let logits = Tensor(shape: [2, 5], data: [9, 0, 2, .nan, -2, -2, 0, 3, 9, 9])
        let w = try OREALTokenWeights.weights(logits: logits, mask: mask, positive: [true, false], rescale: .threshold(correct: 0.5, incorrect: 0.5))
        let half = Float(tanh(0.5)), one = Float(tanh(1.0))
        expectClose(w, Tensor(shape: [2, 5], data: [0, 0, half, 0, 0, one, half, 0, 0, 0]), atol: 1e-6, "threshold ½")
        let k = try OREALTokenWeights.weights(logits: logits, mask: mask, positive: [true, false], rescale: .topK(correct: 1, incorrect: 2.0 / 3))
        // Positive row, all three kept: p = ½, σ(1), ½ → min–max 0, 1, 0.
        expectClose(k, Tensor(shape: [2, 5], data: [0, 0, 1, 0, 0, 1, 0, 0, 0, 0]), atol: 1e-6, "top-k")
    }

    /// With every weight equal to 1 (or no weights: the token RM off) OREAL is behaviour cloning on
    /// the positive rows, λ⁺·Σ A(−ℓ)/N⁺, plus the reshaped negative term −λ⁻·Σ A ρ/N⁻, each a token
    /// mean over its own side; computed here from the arrays by hand.
    @Test("equal weights: BC on positives + reshaped negatives, and the same as no weights", arguments: [91, 92] as [UInt64])
    func equalWeightsReduce(_ seed: UInt64) throws {
        var rr = RandomRollout(seed: seed)
        rr.tokenWeights = Tensor(shape: rr.mask.shape, repeating: 1)
        var noWeights = rr.batch()
        noWeights.tokenWeights = nil
        let loss = try PolicyLosses.make("oreal")
        let a = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: rr.sequenceAdvantages)
        let b = try policyLossAndGradient(loss, batch: noWeights, logps: rr.logps, advantages: rr.sequenceAdvantages)
        #expect(a.loss == b.loss && a.grad.scalars == b.grad.scalars)
        let B = RandomRollout.B, T = RandomRollout.T
        let R = try rr.batch().sequenceRewards()
        var bc = 0.0, neg = 0.0, nPos = 0.0, nNeg = 0.0
        for i in 0 ..< B {
            for t in 0 ..< T where rr.mask[i, t] != 0 {
                let A = Double(rr.sequenceAdvantages[i, t])
                if R[i] > 0 {
                    bc += A * -Double(rr.logps[i, t]); nPos += 1
                } else {
                    neg += -A * exp(Double(rr.logps[i, t] - rr.oldLogps[i, t])); nNeg += 1
                }
            }
        }
        #expect(nPos > 0 && nNeg > 0, "seed \(seed) must give both outcomes")
        expectClose(a.metrics[MetricName.orealPositiveLoss] ?? .nan, Float(bc / nPos), atol: 1e-6, rtol: 1e-5, "BC term")
        expectClose(a.metrics[MetricName.orealNegativeLoss] ?? .nan, Float(0.5 * neg / nNeg), atol: 1e-6, rtol: 1e-5, "negative term")
        expectClose(a.loss, Float(bc / nPos + 0.5 * neg / nNeg), atol: 1e-6, rtol: 1e-5, "total")
    }

    /// A batch whose rollouts are all correct: the negative term is exactly 0 and the gradient is
    /// the behaviour-cloning one, −λ⁺ ω A/N⁺ on every token.
    @Test("all rollouts correct: no negative term")
    func allCorrectHasNoNegativeTerm() throws {
        var rr = RandomRollout(seed: 93)
        rr.rewards = Tensor(shape: rr.mask.shape, repeating: 0.5)
        let r = try policyLossAndGradient(try PolicyLosses.make("oreal"), batch: rr.batch(), logps: rr.logps, advantages: rr.sequenceAdvantages)
        #expect(r.metrics[MetricName.orealNegativeLoss] == 0)
        let n = rr.mask.sum().scalar
        let expected = (rr.sequenceAdvantages * rr.tokenWeights * rr.mask) * (-1 / n)
        expectClose(r.grad, expected, atol: 1e-7, rtol: 1e-5, "BC gradient")
    }

    @Test("bad input is thrown: thresholds, ratios, factors, non-finite logits, shapes")
    func badInput() throws {
        let mask = Tensor(shape: [1, 2], data: [1, 1])
        #expect(throws: RLInputError.self) {
            try OREALTokenWeights.weights(logits: Tensor(shape: [1, 2], data: [0, 0]), mask: mask, positive: [true], rescale: .threshold(correct: 1, incorrect: 0.5))
        }
        #expect(throws: RLInputError.self) {
            try OREALTokenWeights.weights(logits: Tensor(shape: [1, 2], data: [0, 0]), mask: mask, positive: [true], rescale: .topK(correct: 0.5, incorrect: 0))
        }
        #expect(throws: RLInputError.self) {
            try OREALTokenWeights.weights(logits: Tensor(shape: [1, 2], data: [0, .nan]), mask: mask, positive: [true], rescale: .threshold(correct: 0.5, incorrect: 0.5))
        }
        #expect(throws: RLInputError.self) {
            try OREALTokenWeights.weights(logits: Tensor(shape: [1, 3], data: [0, 0, 0]), mask: mask, positive: [true], rescale: .threshold(correct: 0.5, incorrect: 0.5))
        }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("oreal", settings: PolicyLossSettings(config: ["negative_loss_factor": "-1"])) }
        var rr = RandomRollout(seed: 94)
        rr.tokenWeights = Tensor(shape: rr.mask.shape, repeating: .nan)
        #expect(throws: RLInputError.self) {
            try policyLossAndGradient(try PolicyLosses.make("oreal"), batch: rr.batch(), logps: rr.logps, advantages: rr.sequenceAdvantages)
        }
    }
}
