// RLMEC's own objective (arXiv 2401.06081): the `rlmec` estimator and loss beyond the shared
// worked examples and catalogue checks (the authors' held-weight gradient, PPO at ρ = 1), and the
// imitation regulariser against the numpy reference (`rlmec_imitation` of rl_reference.json: the
// authors' Levenshtein weights, the weighted NLL and its gradient) plus its gradient check.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("Online RL: RLMEC's objective")
struct RLMECObjectiveTests {
    /// The `rlmec_imitation` section of rl_reference.json.
    static func imitation() throws -> [String: Any] { try #require(try loadJSON("rl_reference.json")["rlmec_imitation"] as? [String: Any]) }

    @Test("the estimator passes the token rewards through, 0 at masked positions")
    func estimatorIsTheReward() throws {
        let rr = RandomRollout(seed: 81).withJunkAtMaskedPositions()
        let out = try AdvantageEstimators.make("rlmec").estimate(rr.batch())
        let m = rr.mask.scalars
        for k in 0 ..< m.count {
            #expect(out.advantages[flat: k] == (m[k] != 0 ? rr.rewards[flat: k] : 0))
            #expect(out.returns[flat: k] == out.advantages[flat: k])
        }
    }

    @Test("the gradient is the authors' −min(ρA, clip(ρ)A) per trained token over the token count", arguments: [0.3, 0.1] as [Float])
    func authorsGradient(_ eps: Float) throws {
        for seed: UInt64 in [82, 83] {
            let rr = RandomRollout(seed: seed, logRatioScale: 0.4)
            let loss = try RLMECLoss(clipLow: eps, clipHigh: eps)
            let r = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: rr.tokenAdvantages)
            let n = rr.mask.sum().scalar
            var expected = Tensor.zeros(like: rr.logps)
            var bound = 0
            for k in 0 ..< rr.mask.count where rr.mask[flat: k] != 0 {
                let a = rr.tokenAdvantages[flat: k], rho = Float(Foundation.exp(Double(rr.logps[flat: k] - rr.oldLogps[flat: k])))
                let w = min(rho * a, min(max(rho, 1 - eps), 1 + eps) * a)
                if w != rho * a { bound += 1 }
                expected[flat: k] = -w / n
            }
            #expect(bound > 0, "seed \(seed): no token where the bound binds")
            expectClose(r.grad, expected, atol: 1e-6, rtol: 1e-5, "seed \(seed) ε \(eps)")
        }
    }

    @Test("at ρ = 1 (one on-policy pass) value and gradient are PPO's with the same advantages")
    func onPolicyIsPPO() throws {
        var rr = RandomRollout(seed: 84)
        rr.oldLogps = rr.logps
        let a = try policyLossAndGradient(try PolicyLosses.make("rlmec"), batch: rr.batch(), logps: rr.logps, advantages: rr.tokenAdvantages)
        let b = try policyLossAndGradient(try PolicyLosses.make("ppo"), batch: rr.batch(), logps: rr.logps, advantages: rr.tokenAdvantages)
        expectClose(a.loss, b.loss, atol: 1e-6, "loss")
        expectClose(a.grad, b.grad, atol: 1e-7, "gradient")
        #expect(throws: RLInputError.self) { try PolicyLosses.make("rlmec", settings: PolicyLossSettings(config: ["clip_ratio_low": "1"])) }
    }

    @Test("imitation weights: the authors' Levenshtein backtrace (1 on changed tokens, 0.5 elsewhere)")
    func imitationWeights() throws {
        let cases = try #require(try Self.imitation()["weights"] as? [String: [String: Any]])
        #expect(cases.count == 6)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let prediction = ints(c["prediction"]).map(Int.init), correction = ints(c["correction"]).map(Int.init)
            let got = try RLMECImitation.weights(prediction: prediction, correction: correction)
            #expect(got == floats(c["weights"]), "\(name)")
        }
        #expect(RLMECImitation.weights(correctSample: 3) == [0.5, 0.5, 0.5])
        let empty = try RLMECImitation.weights(prediction: [1, 2], correction: [])
        #expect(empty.isEmpty)
        // Everything inserted, nothing kept.
        let inserted = try RLMECImitation.weights(prediction: [], correction: [4, 5])
        #expect(inserted == [1, 1])
    }

    @Test("imitation loss: value, metrics and ∂L/∂ℓ against numpy, with the local and a global token count")
    func imitationLoss() throws {
        let im = try Self.imitation()
        let B = try #require(im["B"] as? Int), T = try #require(im["T"] as? Int)
        let mask = Tensor(shape: [B, T], data: floats(im["mask"]))
        let logps = Tensor(shape: [B, T], data: floats(im["logps"]))
        let weights = Tensor(shape: [B, T], data: floats(im["target_weights"]))
        let cases = try #require(im["cases"] as? [String: [String: Any]])
        #expect(cases.count == 2)
        for (name, c) in cases {
            let l = Variable(logps, requiresGrad: true)
            let out = try RLMECImitation.loss(logps: l, weights: weights, mask: mask, targetTokens: number(c["target_tokens"]),
                                              coefficient: number(c["coefficient"]))
            out.loss.backward()
            expectClose(out.loss.scalar, number(c["loss"]), atol: 1e-6, rtol: 1e-5, "\(name) loss")
            expectMetrics(out.metrics, metricsDict(c["metrics"]), atol: 1e-6, rtol: 1e-5, name)
            expectClose(try #require(l.grad), Tensor(shape: [B, T], data: floats(c["grad_logps"])), atol: 1e-6, rtol: 1e-5, "\(name) gradient")
        }
    }

    @Test("imitation loss: gradient check; bad input is refused naming the tensor")
    func imitationGradientCheckAndErrors() throws {
        let rr = RandomRollout(seed: 85)
        let weights = rr.tokenWeights * 0.5 + 0.5
        let result = gradcheck([rr.logps], step: 1e-3, seed: 85) { v in
            try! RLMECImitation.loss(logps: v[0], weights: weights, mask: rr.mask, targetTokens: 30, coefficient: 0.7).loss
        }
        #expect(result.ok, "\(result)")
        var nan = rr.logps
        nan[1, 1] = .nan
        #expect(throws: RLInputError.self) { try RLMECImitation.loss(logps: Variable(nan), weights: weights, mask: rr.mask) }
        #expect(throws: RLInputError.self) { try RLMECImitation.loss(logps: Variable(rr.logps), weights: weights * -1, mask: rr.mask) }
        #expect(throws: RLInputError.self) { try RLMECImitation.loss(logps: Variable(rr.logps), weights: weights, mask: rr.mask, coefficient: -1) }
        #expect(throws: RLInputError.self) {
            try RLMECImitation.loss(logps: Variable(rr.logps), weights: Tensor.zeros([2, 2]), mask: rr.mask)
        }
        // Junk (NaN) at masked positions is never read.
        var junk = rr.logps
        junk[0, 0] = .nan
        let clean = try RLMECImitation.loss(logps: Variable(rr.logps), weights: weights, mask: rr.mask).loss.scalar
        let dirty = try RLMECImitation.loss(logps: Variable(junk), weights: weights, mask: rr.mask).loss.scalar
        #expect(dirty == clean)
    }
}
