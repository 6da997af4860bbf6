// `--rm-weights` / `rm_weights` (docs/design/quantized.md): the reward functions' frozen reward
// models store their backbone matrices as asked, and their rewards stay within the quantisation
// error of the float32 ones.
import Foundation
import Models
import Testing
import Tokenizers
import Training
@testable import OnlineRL

@Suite struct RewardModelWeightsTests {
    @Test func rewardModelsLoadQuantizedAndScoreCloseToFloat() throws {
        let rm = try RMEnsembleRewardTests.rewardModel(seed: 4)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: rm))
        let completions = makeCompletions(["1 2 3", " good", " bad day here"], tokenizer: tokenizer)
        func rewards(_ spec: String, _ weights: WeightFormat) throws -> [[Float]] {
            let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512, rewardModelWeights: weights)
            return try RewardFunctions.make(spec, context: ctx).tokenRewards(completions)
        }
        // The loader quantizes the backbone (hidden 64, intermediate 128: every matrix whole blocks).
        let q = try #require(try RewardModelLoader.load(folder: URL(fileURLWithPath: rm), weights: .q8_0))
        #expect(ModelRegistry.quantizedMatrixNames(of: q.model).count == 2 * 7 + 2, "q, k, v, o, gate, up, down per layer + embedding + head")
        let kept = try #require(try RewardModelLoader.load(folder: URL(fileURLWithPath: rm), weights: .keep))
        #expect(!ModelRegistry.hasQuantizedMatrices(kept.model), "keep on a float folder loads float32")
        for spec in ["rm:\(rm)", "token-rm:\(rm)"] {
            let f = try rewards(spec, .f32)
            for format in [WeightFormat.q8_0, .bf16] {
                let r = try rewards(spec, format)
                #expect(r.map(\.count) == f.map(\.count))
                // The storage reached the model: the rewards are not float32's bits...
                #expect(r != f, "\(spec) \(format): same rewards as float32, so the weights were not converted")
                // ...but close to them. A loose sanity bound (10 % of the scores' scale): the per-product
                // error bound of each type is tested in QuantizedMatrixTests; through two layers, the norms and
                // the head of this random model the rewards moved by up to 0.045 at a scale of 1 (q8_0).
                let scale = max(1, f.flatMap { $0 }.map(abs).max() ?? 1)
                for (x, y) in zip(r.flatMap { $0 }, f.flatMap { $0 }) {
                    #expect(abs(x - y) <= 0.1 * scale, "\(spec) \(format): \(x) vs float32 \(y)")
                }
            }
        }
    }
}
