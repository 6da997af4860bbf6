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
