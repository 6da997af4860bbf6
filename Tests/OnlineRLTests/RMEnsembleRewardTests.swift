// `--reward rm-ensemble:DIR1,DIR2[:MODE]`: several sequence reward models combined on the last
// token of each completion. Identical members equal the single `rm` reward; two different members
// follow the hand formulas (mean, min, mean − λ·|a − b|/2, mean − λ·(a − b)²/4).
import Foundation
import OnlineRL
import TestSupport
import Training
import Testing
import Tokenizers
import Datasets
import Decoding
import TrainedFixtures

@Suite struct RMEnsembleRewardTests {
    static func rewardModel(seed: Int) throws -> String {
        let data = try TestFiles.writeRows((0 ..< 8).map { ["prompt": "p\($0)", "chosen": " good", "rejected": " bad"] })
        // `tokenalign reward`'s defaults: lr 5e-5, linear schedule.
        return try trainTinyModel(.reward, data: data, steps: 2, batchSize: 4, learningRate: 5e-5, schedule: "linear", seed: UInt64(seed)).folder
    }

    @Test func ensembleOfRewardModels() throws {
        let a = try Self.rewardModel(seed: 1), b = try Self.rewardModel(seed: 2)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: a))
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512)
        let completions = makeCompletions(["1 2", " good", " bad day"], tokenizer: tokenizer)
        let single = try RewardFunctions.make("rm:\(a)", context: ctx).tokenRewards(completions)
        for mode in ["mean", "median", "min", "mean-std=2", "uwo=3"] {
            let same = try RewardFunctions.make("rm-ensemble:\(a),\(a):\(mode)", context: ctx).tokenRewards(completions)
            for (x, y) in zip(same, single) { #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-6 }, "\(mode)") }
        }
        let ra = try RewardFunctions.make("rm:\(a)", context: ctx).tokenRewards(completions)
        let rb = try RewardFunctions.make("rm:\(b)", context: ctx).tokenRewards(completions)
        func last(_ spec: String) throws -> [Float] { try RewardFunctions.make(spec, context: ctx).tokenRewards(completions).map { $0.last! } }
        let x = ra.map { $0.last! }, y = rb.map { $0.last! }
        #expect(x != y)
        let mean = zip(x, y).map { ($0 + $1) / 2 }, half = zip(x, y).map { abs($0 - $1) / 2 }
        for (k, v) in try last("rm-ensemble:\(a),\(b)").enumerated() { #expect(abs(v - mean[k]) < 1e-5) }
        for (k, v) in try last("rm-ensemble:\(a),\(b):min").enumerated() { #expect(abs(v - min(x[k], y[k])) < 1e-5) }
        for (k, v) in try last("rm-ensemble:\(a),\(b):mean-std=0.5").enumerated() { #expect(abs(v - (mean[k] - 0.5 * half[k])) < 1e-5) }
        for (k, v) in try last("rm-ensemble:\(a),\(b):uwo=2").enumerated() { #expect(abs(v - (mean[k] - 2 * half[k] * half[k])) < 1e-5) }
        for (k, v) in try last("rm-ensemble:\(a),\(b):mean-std=0").enumerated() { #expect(abs(v - mean[k]) < 1e-5) }
        // Everything but the last token is 0.
        for r in try RewardFunctions.make("rm-ensemble:\(a),\(b)", context: ctx).tokenRewards(completions) { #expect(r.dropLast().allSatisfy { $0 == 0 }) }
        for bad in ["rm-ensemble", "rm-ensemble:\(a),\(b):nope", "rm-ensemble:\(a):mean-std=-1", "rm-ensemble:/nonexistent"] {
            #expect(throws: (any Error).self, "\(bad)") { try RewardFunctions.make(bad, context: ctx) }
        }
    }
}
