// The second wave of token-credit RL methods: the invariants the issue names and the pieces the
// numpy worked examples (`rl_reference.json`, through `RLReferenceTests`) do not reach. GTPO and
// GRPO-S with uniform entropy reduce to GRPO; MA-RLHF's macros of length 1 are token-level GAE;
// constrained RLHF's multipliers follow the projected dual step and decay when satisfied; EM-FT's
// loss has the entropy's gradient through the logits.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("Token-credit RL: GTPO, GRPO-S, MA-RLHF, constrained RLHF, EM-FT")
struct TokenCreditRLTests {
    /// Two groups of four responses with binary outcomes; `lengths` trained tokens each (right
    /// padded), entropies `entropy(i, t)`.
    static func binaryBatch(lengths: [Int], outcomes: [Float], entropy: (Int, Int) -> Float) throws -> RolloutBatch {
        let B = lengths.count, T = lengths.max()!
        var mask = [Float](repeating: 0, count: B * T), h = mask
        for i in 0 ..< B { for t in 0 ..< lengths[i] { mask[i * T + t] = 1; h[i * T + t] = entropy(i, t) } }
        let m = Tensor(shape: [B, T], data: mask)
        return try RolloutBatch(mask: m, tokenRewards: RolloutBatch.placingSequenceRewards(outcomes, mask: m),
                                groupIDs: (0 ..< B).map { $0 / 4 }, entropies: Tensor(shape: [B, T], data: h))
    }

    static let outcomes: [Float] = [1, 0, 0, 1, 1, 1, 0, 1]

    @Test("GTPO with uniform entropy and equal lengths: GRPO's advantage times √((kL−1)/(L(k−1))) (the token vs sequence std)")
    func gtpoUniformEntropyIsGRPO() throws {
        let L = 5, k = 4
        let batch = try Self.binaryBatch(lengths: [Int](repeating: L, count: 8), outcomes: Self.outcomes) { _, _ in 0.7 }
        let gtpo = try EntropyWeightedAdvantage.gtpo(entropyWeight: 0.3, epsilon: 0).estimate(batch).advantages.scalars
        let grpo = try GRPOAdvantage(scaleRewards: .group, epsilon: 0).estimate(batch).advantages.scalars
        let factor = Float((Double(k * L - 1) / Double(L * (k - 1))).squareRoot())
        for (a, b) in zip(gtpo, grpo) { #expect(abs(a - b * factor) < 1e-5, "\(a) vs \(b)·\(factor)") }
        // At H = 0 everywhere the shares are uniform too.
        let zero = try Self.binaryBatch(lengths: [Int](repeating: L, count: 8), outcomes: Self.outcomes) { _, _ in 0 }
        let g0 = try EntropyWeightedAdvantage.gtpo(entropyWeight: 0.3, epsilon: 0).estimate(zero).advantages.scalars
        for (a, b) in zip(g0, gtpo) { #expect(abs(a - b) < 1e-6) }
    }

    @Test("GTPO with uniform entropy, unequal lengths: one value per response, ordered as GRPO's")
    func gtpoUniformEntropyUnequalLengths() throws {
        let lengths = [3, 5, 2, 4, 5, 1, 3, 4]
        let batch = try Self.binaryBatch(lengths: lengths, outcomes: Self.outcomes) { _, _ in 1.3 }
        let a = try EntropyWeightedAdvantage.gtpo().estimate(batch).advantages.scalars
        let g = try GRPOAdvantage().estimate(batch).advantages.scalars
        let T = 5
        for i in 0 ..< 8 {
            let row = (0 ..< lengths[i]).map { a[i * T + $0] }
            #expect(row.allSatisfy { abs($0 - row[0]) < 1e-6 }, "row \(i) is not constant: \(row)")
            #expect((row[0] > 0) == (g[i * T] > 0), "row \(i): sign differs from GRPO")
        }
    }

    @Test("GTPO: within a position, the higher-entropy correct token and the lower-entropy wrong token get more weight")
    func gtpoDirections() throws {
        // Group 0: rows 0 and 3 correct, 1 and 2 wrong; row 0 is unsure at t = 0, row 1 confident there.
        let batch = try Self.binaryBatch(lengths: [Int](repeating: 3, count: 8), outcomes: Self.outcomes) { i, t in
            (i == 0 && t == 0) ? 2.0 : (i == 1 && t == 0) ? 0.05 : 0.8
        }
        let a = try EntropyWeightedAdvantage.gtpo(entropyWeight: 0.5).estimate(batch).advantages.scalars
        #expect(a[0 * 3 + 0] > a[3 * 3 + 0], "unsure correct token should get more than the sure one")
        #expect(a[1 * 3 + 0] < a[2 * 3 + 0], "confident wrong token should get the most blame")
        #expect(throws: RLInputError.self) {
            try EntropyWeightedAdvantage.gtpo().estimate(try RolloutBatch(mask: batch.mask, tokenRewards: batch.tokenRewards, groupIDs: batch.groupIDs))
        }
    }

    @Test("GTPO and GRPO-S: a group with one outcome (all wrong, all correct, or a single response) gets 0, whatever the entropies")
    func oneOutcomeGroupsGetNothing() throws {
        let batch = try Self.binaryBatch(lengths: [3, 2, 3, 1, 2, 3, 3, 2], outcomes: [0, 0, 0, 0, 1, 1, 1, 1]) { i, t in 0.1 + Float(i * 3 + t) * 0.17 }
        for estimator in [try EntropyWeightedAdvantage.gtpo(), try EntropyWeightedAdvantage.grpoS()] {
            #expect(try estimator.estimate(batch).advantages.scalars.allSatisfy { $0 == 0 }, "\(estimator.name)")
        }
        let single = try RolloutBatch(mask: Tensor(shape: [1, 2], data: [1, 1]), tokenRewards: Tensor(shape: [1, 2], data: [0, 1]),
                                      entropies: Tensor(shape: [1, 2], data: [0.5, 1.5]))
        #expect(try EntropyWeightedAdvantage.gtpo().estimate(single).advantages.scalars == [0, 0])
    }

    @Test("GRPO-S with uniform entropy equals GRPO (ε = 0), any lengths")
    func grpoSUniformEntropyIsGRPO() throws {
        let batch = try Self.binaryBatch(lengths: [3, 5, 2, 4, 5, 1, 3, 4], outcomes: Self.outcomes) { _, _ in 0.9 }
        let s = try EntropyWeightedAdvantage.grpoS(entropyWeight: 0.4, epsilon: 0).estimate(batch).advantages.scalars
        let g = try GRPOAdvantage(scaleRewards: .group, epsilon: 0).estimate(batch).advantages.scalars
        for (a, b) in zip(s, g) { #expect(abs(a - b) < 1e-5) }
    }

    @Test("MA-RLHF: macros of length 1 are token-level GAE bit for bit (holes, whitening on and off)", arguments: [11, 12, 13] as [UInt64])
    func macroLengthOneIsGAE(_ seed: UInt64) throws {
        let batch = RandomRollout(seed: seed).batch()
        for (whiten, gamma, lam) in [(true, Float(1), Float(0.95)), (false, 0.9, 0.8), (false, 1, 0)] {
            let gae = try GAE(gamma: gamma, lambda: lam, whiten: whiten).estimate(batch)
            let macro = try MacroGAE(rule: .ngram(1), gamma: gamma, lambda: lam, whiten: whiten).estimate(batch)
            #expect(gae.advantages.scalars.map(\.bitPattern) == macro.advantages.scalars.map(\.bitPattern))
            #expect(gae.returns.scalars.map(\.bitPattern) == macro.returns.scalars.map(\.bitPattern))
            // A text rule that starts a macro at every token is the same.
            var marked = batch
            marked.macroStarts = batch.mask
            let text = try MacroGAE(rule: .punctuation, gamma: gamma, lambda: lam, whiten: whiten).estimate(marked)
            #expect(gae.advantages.scalars.map(\.bitPattern) == text.advantages.scalars.map(\.bitPattern))
        }
    }

    @Test("MA-RLHF by hand: two macros [r1 r2 | r3], V at each first token")
    func macroByHand() throws {
        let m = Tensor(shape: [1, 3], data: [1, 1, 1])
        let batch = try RolloutBatch(mask: m, tokenRewards: Tensor(shape: [1, 3], data: [0.5, -1, 2]),
                                     values: Tensor(shape: [1, 3], data: [0.2, 9, 0.4]),
                                     macroStarts: Tensor(shape: [1, 3], data: [1, 0, 1]))
        let out = try MacroGAE(rule: .punctuation, gamma: 0.9, lambda: 0.5, whiten: false).estimate(batch)
        // Second macro: δ = 2 + 0 − 0.4 = 1.6 = A₂; first: δ = (0.5 − 1) + 0.9·0.4 − 0.2 = −0.34, A₁ = −0.34 + 0.45·1.6 = 0.38.
        expectClose(out.advantages, Tensor(shape: [1, 3], data: [0.38, 0.38, 1.6]), atol: 1e-6)
        expectClose(out.returns, Tensor(shape: [1, 3], data: [0.58, 0.58, 2.0]), atol: 1e-6)
        #expect(throws: RLInputError.self) {
            try MacroGAE(rule: .whitespace).estimate(try RolloutBatch(mask: m, tokenRewards: m, values: m))
        }
    }

    @Test("macro rules: parsing, n-gram, punctuation and word starts")
    func macroRules() throws {
        #expect(try MacroRule(parsing: "ngram:3") == .ngram(3))
        #expect(try MacroRule(parsing: "punct") == .punctuation)
        #expect(try MacroRule(parsing: "space") == .whitespace)
        for bad in ["ngram:0", "ngram", "ngram:x", "punct:2", "words", ""] {
            #expect(throws: RLInputError.self, "\(bad)") { try MacroRule(parsing: bad) }
        }
        let texts = ["Two", " plus", " two", ",", " is", " four", ".", "\n", "Done"]
        #expect(MacroRule.ngram(4).starts(tokenTexts: texts) == [true, false, false, false, true, false, false, false, true])
        #expect(MacroRule.punctuation.starts(tokenTexts: texts) == [true, false, false, false, true, false, false, true, true])
        #expect(MacroRule.whitespace.starts(tokenTexts: texts) == [true, true, true, false, true, true, false, true, false])
        #expect(MacroRule.endsSegment("end. ") && MacroRule.endsSegment("a\nb") && !MacroRule.endsSegment(" word"))
        #expect(throws: RLInputError.self) { try AdvantageSettings(config: ["macro": "ngram:-1"]) }
    }

    @Test("Lagrange multipliers: the numpy worked example of floors (lower bounds)")
    func lagrangeWorkedExample() throws {
        let c = try #require(try loadJSON("rl_reference.json")["lagrange"] as? [String: Any])
        let thresholds = try floats(c["thresholds"])
        var lagrange = try LagrangeMultipliers(thresholds: thresholds, bounds: thresholds.map { _ in .lower },
                                               learningRate: number(c["learning_rate"]), initial: 1)
        try lagrange.restore(floats(c["initial"]))
        for step in try #require(c["steps"] as? [[String: Any]]) {
            try lagrange.update(constraintMeans: floats(step["means"]))
            expectClose(Tensor(lagrange.values), Tensor(floats(step["values"])), atol: 1e-6)
        }
        #expect(lagrange.coefficients == lagrange.values, "a floor's reward enters with +λ")
        expectClose(lagrange.normaliser, 1 + lagrange.values.reduce(0, +), atol: 1e-6)
    }

    @Test("a satisfied constraint's multiplier decays to 0 and stays there; a violated one grows")
    func lagrangeDecay() throws {
        var lagrange = try LagrangeMultipliers(thresholds: [0, 0.5], bounds: [.lower, .lower], learningRate: 0.25, initial: 1)
        var previous = lagrange.values
        for _ in 0 ..< 16 {
            try lagrange.update(constraintMeans: [0.3, 0.2])  // first satisfied by 0.3, second violated by 0.3
            #expect(lagrange.values[0] <= previous[0] && lagrange.values[0] >= 0)
            #expect(lagrange.values[1] > previous[1])
            previous = lagrange.values
        }
        #expect(lagrange.values[0] == 0)
        #expect(abs(lagrange.values[1] - (1 + 16 * 0.25 * 0.3)) < 1e-5)
        #expect(throws: RLInputError.self) { try lagrange.update(constraintMeans: [0.1]) }
        #expect(throws: RLInputError.self) { try lagrange.update(constraintMeans: [.nan, 0]) }
        #expect(throws: RLInputError.self) { try LagrangeMultipliers(thresholds: [0], bounds: [.upper], learningRate: -0.1, initial: 1) }
        #expect(throws: RLInputError.self) { try LagrangeMultipliers(thresholds: [0], bounds: [.upper], learningRate: 0.1, initial: -1) }
        #expect(throws: RLInputError.self) { try LagrangeMultipliers(thresholds: [0], bounds: [], learningRate: 0.1, initial: 1) }
        // A cost: over budget it grows, under it decays to exactly 0; its reward enters with −λ.
        var cost = try LagrangeMultipliers(thresholds: [0.25], bounds: [.upper], learningRate: 0.5, initial: 1)
        try cost.update(constraintMeans: [0.75])
        #expect(cost.values == [1.25] && cost.coefficients == [-1.25] && cost.normaliser == 2.25)
        try cost.update(constraintMeans: [-4])
        #expect(cost.values == [0] && cost.normaliser == 1)
        // A cap (Safe RLHF's lambda_max) stops a violated constraint's growth.
        var capped = try LagrangeMultipliers(thresholds: [0.25], bounds: [.upper], learningRate: 0.5, initial: 1, maximum: 1.5)
        for _ in 0 ..< 3 { try capped.update(constraintMeans: [1.25]) }
        #expect(capped.values == [1.5])
        #expect(throws: RLInputError.self) { try LagrangeMultipliers(thresholds: [0], bounds: [.upper], learningRate: 0.1, initial: 1, maximum: 0.5) }
        #expect(throws: RLInputError.self) { try lagrange.restore([1, -0.5]) }
    }

    @Test("EM-FT: gradient check through the full-vocabulary entropy of the logits", arguments: [21, 22] as [UInt64])
    func emftGradientThroughLogits(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed)
        let batch = rr.batch()
        var g = RandomGenerator(seed: seed)
        let logits = Tensor.randomNormal([RandomRollout.B, RandomRollout.T, 5], using: &g)
        let loss = try PolicyLosses.make("em-ft")
        #expect(loss.needsEntropy)
        let result = gradcheck([logits], step: 1e-3, seed: seed) { v in
            let h = (v[0].softmax() * v[0].logSoftmax()).sum(axis: 2) * -1
            return try! loss.compute(PolicyLossInput(logps: Variable(rr.logps), advantages: rr.tokenAdvantages, batch: batch, entropy: h)).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
        #expect(throws: RLInputError.self) {
            try loss.compute(PolicyLossInput(logps: Variable(rr.logps), advantages: rr.tokenAdvantages, batch: batch))
        }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("em-ft", settings: PolicyLossSettings(config: ["entropy_coeff": "0.1"])) }
    }
}
