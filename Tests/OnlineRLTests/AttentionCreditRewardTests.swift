// `--reward abc:DIR[,BETA]` (ABC, arXiv 2402.00782): the sequence RM's score R spread over the
// completion by the RM's last-layer attention. Checked against the definition computed here from
// the model's attention on each sequence alone (no padding): α_t = head-mean attention from the
// last position to completion token t, normalised; r_t = β·R·α_t + (1 − β)·R·1[t = T].
import Foundation
import Models
import OnlineRL
import TensorCore
import Testing
import Tokenizers
import Datasets
import Training

@Suite struct AttentionCreditRewardTests {
    @Test func spreadsTheSequenceScoreByAttention() throws {
        let rm = try RMEnsembleRewardTests.rewardModel(seed: 3)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: rm))
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512)
        // Different prompt and completion lengths, so the batch is padded.
        let completions = [("x0", "1 2 3"), ("a longer prompt", " good"), ("y", " bad day here")].enumerated().map { i, pc in
            Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: i + 1), text: pc.0, ids: tokenizer.encode(pc.0)),
                       ids: tokenizer.encode(pc.1), text: pc.1, finishReason: .length)
        }
        let sparse = try RewardFunctions.make("rm:\(rm)", context: ctx).tokenRewards(completions)
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: rm)), let inspect = loaded.model as? any ActivationInspecting else {
            Issue.record("the fixture reward model cannot report attention")
            return
        }
        for beta: Float in [0, 0.5, 0.8, 1] {
            let abc = try RewardFunctions.make("abc:\(rm),\(beta)", context: ctx).tokenRewards(completions)
            for (i, c) in completions.enumerated() {
                let R = sparse[i].last!, n = c.ids.count, p = c.prompt.ids.count
                let ids = c.prompt.ids + c.ids
                let a = inspect.attentionProbabilities(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) }),
                                                       layer: loaded.model.layerCount - 1, attentionMask: nil)
                let H = a.shape[1], L = a.shape[2], s = a.scalars
                var w = [Float](repeating: 0, count: n)
                for h in 0 ..< H { for t in 0 ..< n { w[t] += s[(h * L + (L - 1)) * L + p + t] / Float(H) } }
                let total = w.reduce(0, +)
                var expected = w.map { beta * R * $0 / total }
                expected[n - 1] += (1 - beta) * R
                #expect(abc[i].count == n)
                for (x, y) in zip(abc[i], expected) { #expect(abs(x - y) < 1e-5, "β \(beta) row \(i): \(abc[i]) vs \(expected)") }
                // Return preserved: Σ_t r_t = R.
                #expect(abs(abc[i].reduce(0, +) - R) < 1e-5)
            }
        }
        // β = 0 is the sparse reward exactly; the default β is 0.5.
        let zero = try RewardFunctions.make("abc:\(rm),0", context: ctx).tokenRewards(completions)
        for (x, y) in zip(zero, sparse) { #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-6 }) }
        let byDefault = try RewardFunctions.make("abc:\(rm)", context: ctx).tokenRewards(completions)
        let half = try RewardFunctions.make("abc:\(rm),0.5", context: ctx).tokenRewards(completions)
        #expect(byDefault == half)
        for bad in ["abc", "abc:\(rm),2", "abc:\(rm),x", "abc:\(rm),0.5,1", "abc:/nonexistent"] {
            #expect(throws: (any Error).self, "\(bad)") { try RewardFunctions.make(bad, context: ctx) }
        }
    }
}
