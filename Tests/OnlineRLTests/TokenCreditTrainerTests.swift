// The second wave of token-credit methods inside the loop: GTPO, GRPO-S, MA-RLHF (text macros,
// with a value head), EM-FT run from the configuration; fine-grained RLHF's densities land where
// they should (constrained RLHF: ConstrainedRLHFTests).
import Foundation
import Objectives
import OnlineRL
import Testing
import Tokenizers
import Datasets
import Decoding
import Training
import TestSupport
import TrainedFixtures

@Suite(.serialized) struct TokenCreditTrainerTests {
    @Test func newMethodsTrainFromTheConfiguration() throws {
        let setup = try AdditionSetup.shared.get()
        for (estimator, loss, macro) in [("gtpo", "ppo", nil), ("grpo-s", "ppo", nil), ("ma-gae", "ppo", "punct"),
                                         ("ma-gae", "ppo", "space"), ("grpo", "em-ft", nil)] as [(String, String, String?)] {
            var c = setup.smallConfiguration(steps: 2)
            c.estimator = estimator
            c.policyLoss = loss
            c.macro = macro
            let trainer = try OnlineRLSetup.prepare(c).trainer
            #expect((trainer.valueHead != nil) == (estimator == "ma-gae"), "\(estimator): a value head exactly when the estimator reads values")
            var last: [String: Float] = [:]
            try trainer.run { event in
                if case .step(_, _, let m) = event { last = m }
                return .continue
            }
            #expect(last["loss"]?.isFinite == true, "\(estimator)/\(loss): \(last)")
            if loss == "em-ft" { #expect(last["entropy"] != nil) }
        }
        var bad = setup.smallConfiguration(steps: 1)
        bad.estimator = "ma-gae"
        bad.macro = "ngram:0"
        #expect(throws: (any Error).self) { try OnlineRLSetup.prepare(bad) }
    }
}

@Suite struct FineGrainedRewardTests {
    /// Token, span and sequence densities of one reward model, weighted: every token gets w₁·s_t,
    /// the last token of each sentence or clause and of the response also w₂·s_t, the last token
    /// also w₃·s_t, with s_t the model's score after token t.
    @Test func densitiesSumAtTheirPositions() throws {
        let rm = try RMEnsembleRewardTests.rewardModel(seed: 3)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: rm))
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 16, vocabularySize: 512)
        let completions = makeCompletions(["1, 2. 3", " good; bad!\nok", "plain words here"], tokenizer: tokenizer)
        let scores = try RewardFunctions.make("token-rm:\(rm)", context: ctx).tokenRewards(completions)
        let weights: [Float] = [0.5, 2, -1]
        let functions = try ["token-rm:\(rm)", "rm-span:\(rm)", "rm:\(rm)"].map { try RewardFunctions.make($0, context: ctx) }
        let combined = try WeightedRewards(functions, weights: weights).evaluate(completions)
        var sawInnerEnd = false
        for (k, c) in completions.enumerated() {
            let s = scores[k], n = c.ids.count
            for t in 0 ..< n {
                let text = tokenizer.decode([c.ids[t]], skipSpecialTokens: false)
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                let closes = text.contains("\n") || [",", ".", ";", "!", "?", ":"].contains { trimmed.hasSuffix($0) }
                if closes && t < n - 1 { sawInnerEnd = true }
                let expected = weights[0] * s[t] + ((closes || t == n - 1) ? weights[1] * s[t] : 0) + (t == n - 1 ? weights[2] * s[t] : 0)
                #expect(abs(combined.tokenRewards[k][t] - expected) < 1e-5, "completion \(k) token \(t) '\(text)'")
            }
        }
        #expect(sawInnerEnd, "the examples must have a segment end before the last token")
        #expect(Set(combined.perFunction.keys) == ["token-rm", "rm-span", "rm"])
        #expect(throws: (any Error).self) { try RewardFunctions.make("rm-span", context: ctx) }
    }
}
