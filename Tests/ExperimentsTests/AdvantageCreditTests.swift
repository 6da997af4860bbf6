// `advantage:ESTIMATOR` as a credit source: each estimator's per-token advantages on a CreditBench
// response inside a group sampled for the same prompt and judged by the verifier, on a tiny model.
import CreditBench
import Experiments
import Foundation
import Objectives
import Rewards
import Testing
import Tokenizers

@Suite struct AdvantageCreditTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The tiny fixture Llama with the committed dataset tokenizer, in a folder of its own.
    static func tinyModel() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-advcredit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("models/llama/\(f)"), to: dir.appendingPathComponent(f))
        }
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("datasets/tokenizer/\(f)"), to: dir.appendingPathComponent(f))
        }
        return dir.path
    }

    @Test func groupAdvantagesAsCredit() throws {
        let path = try Self.tinyModel()
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: path))
        let loader = CreditSourceLoader(tokenizer: tokenizer, seed: 3)
        let task = AdditionTask(digits: 1)
        // Two correct responses and two with an injected error.
        let episodes = (0 ..< 4).map { i -> Episode in
            let ex = task.example(seed: 1, index: i)
            let response = i < 2 ? ex.completion : task.injectedError(for: ex, seed: 1, index: i).response
            return Episode(prompt: tokenizer.encode(ex.prompt), response: tokenizer.encode(response))
        }
        let grpo = try #require(try CreditSources.load(spec: "advantage:grpo,\(path),add,4", loader: loader) as? AdvantageCredit)
        let out = grpo.tokenRewards(episodes)
        let batch = try grpo.groups.batch(episodes)
        #expect(batch.rowCount == 16)
        let R = try batch.sequenceRewards()
        for (i, e) in episodes.enumerated() {
            #expect(out[i].values.count == e.response.count)
            #expect(R[4 * i] == (i < 2 ? 1 : 0), "the verifier judges the episode's own response")
            // GRPO by hand on the group's outcomes: (R₀ − mean)/(unbiased std + 1e-4), on every token.
            let g = (0 ..< 4).map { Double(R[4 * i + $0]) }
            let mean = g.reduce(0, +) / 4
            let std = (g.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3).squareRoot()
            let expected = Float((g[0] - mean) / (std + 1e-4))
            #expect(out[i].values.allSatisfy { abs($0 - expected) < 1e-5 }, "episode \(i): \(out[i].values) vs \(expected)")
        }
        // Same seed, same numbers; every registered estimator but remax builds and fills every token.
        #expect(try CreditSources.load(spec: "advantage:grpo,\(path),add,4", loader: loader).tokenRewards(episodes) == out)
        for name in AdvantageEstimators.registry.names where name != "remax" {
            let source = try CreditSources.load(spec: "advantage:\(name),\(path),add,4", loader: loader)
            let r = source.tokenRewards(episodes)
            #expect(zip(r, episodes).allSatisfy { $0.values.count == $1.response.count && $0.values.allSatisfy(\.isFinite) }, "\(name)")
        }
        // THR reads the model's final hidden states and probability rows, added to the shared batch on
        // demand; its credit is the estimator's advantage on that batch, steered in the mixed groups.
        let withStates = try grpo.groups.batch(episodes, hiddenStates: true)
        #expect(withStates.hiddenStates?.shape == [16, withStates.length, grpo.groups.model.hiddenSize])
        #expect(withStates.probabilities?.shape == [16, withStates.length, grpo.groups.model.vocabularySize])
        let thrCredit = try CreditSources.load(spec: "advantage:thr,\(path),add,4", loader: loader).tokenRewards(episodes)
        let thrAdvantages = try THRAdvantage().estimate(withStates).advantages.scalars, T = withStates.length
        for (i, e) in episodes.enumerated() {
            #expect(thrCredit[i].values == Array(thrAdvantages[4 * i * T ..< 4 * i * T + e.response.count]), "episode \(i)")
        }
        let scores = try THRAdvantage().scores(withStates)
        #expect(scores.mixedRow[0] && scores.influence[0 ..< T].contains { $0 != 0 }, "episode 0's group is mixed: THR scores it")
        for bad in ["advantage:remax,\(path),add", "advantage:grpo,\(path),add,1", "advantage:nope,\(path),add",
                    "advantage:grpo,\(path),nosuchtask", "advantage:grpo"] {
            #expect(throws: (any Error).self, "\(bad)") { try CreditSources.load(spec: bad, loader: loader) }
        }
    }
}
