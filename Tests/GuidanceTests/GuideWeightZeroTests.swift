import Decoding
import Foundation
@testable import Guidance
import Models
import TensorCore
import Testing
import Training

/// A guide of weight 0 leaves decoding exactly the base model's: same tokens, greedy and sampled.
@Suite struct GuideWeightZeroTests {
    static let kinds = ["rad", "args", "genarm", "logits", "layer-contrast", "pad"]

    func guide(_ kind: String, base: GPT2LMHeadModel) throws -> any Guide {
        switch kind {
        case "rad": return RewardAugmentedGuide(model: tinyModel(seed: 3), head: RewardHead(hiddenSize: 16, seed: 4))
        case "args": return RewardSearchGuide(model: tinyModel(seed: 3), head: RewardHead(hiddenSize: 16, seed: 4))
        case "genarm", "logits": return LogProbabilityGuide(name: kind, model: tinyModel(seed: 2))
        case "pad": return PreferenceConditionedGuide(model: base, preference: [13, 2, 8])
        default: return try Guides.make("layer-contrast:1", environment: GuideEnvironment(policy: base, tokenizer: nil))
        }
    }

    @Test(arguments: kinds)
    func weightZeroGivesTheBaseTokens(_ kind: String) throws {
        let base = tinyModel(seed: 1)
        let prompts = [[3, 5, 7, 11], [4, 9], [1]]
        for temperature: Float in [0, 1] {
            let p = GenerationParameters(maxNewTokens: 10, temperature: temperature, seed: 7)
            let plain = Generator.generate(model: base, prompts: prompts, parameters: p).map(\.tokens)
            let off = try GuidedLogits(terms: [(try guide(kind, base: base), 0)], topK: 3, maxNewTokens: 10, padTokenID: 0)
            let guided = Generator.generate(model: base, prompts: prompts, parameters: p, extraProcessors: [off]).map(\.tokens)
            #expect(guided == plain, "\(kind), temperature \(temperature)")
            // And a non-zero weight does steer (the test would otherwise pass for a guide that does nothing).
            let on = try GuidedLogits(terms: [(try guide(kind, base: base), 5)], topK: 3, maxNewTokens: 10, padTokenID: 0)
            let steered = Generator.generate(model: base, prompts: prompts, parameters: p, extraProcessors: [on]).map(\.tokens)
            #expect(steered != plain, "\(kind) with weight 5 changed nothing")
        }
    }
}

/// `generate --prompts` runs its batches through `BatchedGeneration`, which hands the guides to every
/// batch; each batch starts the guides afresh (their caches are per batch).
@Suite struct BatchedGuideTests {
    @Test func batchesRestartTheGuides() throws {
        let base = tinyModel(seed: 1)
        let prompts = [[3, 5, 7], [4, 9], [1], [2, 2, 6, 8]]
        let p = GenerationParameters(maxNewTokens: 6, temperature: 1, seed: 3)
        let arm = tinyModel(seed: 2)
        let guided = try GuidedLogits(terms: [(LogProbabilityGuide(name: "genarm", model: arm), 2)], topK: 3, maxNewTokens: 6, padTokenID: 0)
        // Batches of 3 rows (two batches) against each batch decoded alone with a fresh guide.
        let batched = BatchedGeneration.generate(model: base, prompts: prompts, count: 1, parameters: p, seed: 9, batchSize: 3,
                                                 extraProcessors: [guided]).map { $0[0].tokens }
        var alone: [[Int]] = []
        for (k, lo) in stride(from: 0, to: prompts.count, by: 3).enumerated() {
            var q = p
            q.seed = BatchedGeneration.batchSeed(9, index: k)
            let fresh = try GuidedLogits(terms: [(LogProbabilityGuide(name: "genarm", model: arm), 2)], topK: 3, maxNewTokens: 6, padTokenID: 0)
            alone += Generator.generate(model: base, prompts: Array(prompts[lo ..< min(lo + 3, prompts.count)]), parameters: q,
                                        extraProcessors: [fresh]).map(\.tokens)
        }
        #expect(batched == alone)
        let plain = BatchedGeneration.generate(model: base, prompts: prompts, count: 1, parameters: p, seed: 9, batchSize: 3).map { $0[0].tokens }
        #expect(batched != plain)
    }
}
