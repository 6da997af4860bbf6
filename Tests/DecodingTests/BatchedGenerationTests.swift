// BatchedGeneration: every prompt repeated `count` times, batches of fixed size, batch k seeded with
// batchSeed(seed, k). The output must be exactly what generating each batch directly gives.
import Decoding
import Foundation
import Models
import Testing

@Suite struct BatchedGenerationTests {
    @Test("results are grouped by prompt, and equal generating each batch directly with its seed")
    func matchesDirectBatches() throws {
        let model = try ModelRegistry.load(folder: modelsRoot.appendingPathComponent("llama"))
        let prompts = [[5, 17, 300, 42, 7], [9, 1], [100, 200, 300]]
        var params = GenerationParameters(maxNewTokens: 6, temperature: 1, topK: 20, seed: 999)
        params.padTokenID = 0
        var seen: [(Int, Int)] = []
        let out = BatchedGeneration.generate(model: model, prompts: prompts, count: 3, parameters: params, seed: 42, batchSize: 4) {
            seen.append(($0, $1))
        }
        #expect(out.count == 3 && out.allSatisfy { $0.count == 3 })
        #expect(seen.map(\.0) == [4, 8, 9] && seen.allSatisfy { $0.1 == 9 }, "progress after each batch")
        // The rows in order: p0 p0 p0 p1 | p1 p1 p2 p2 | p2.
        let rows = prompts.indices.flatMap { Array(repeating: $0, count: 3) }
        var direct: [[[Int]]] = [[], [], []]
        for (k, lo) in stride(from: 0, to: rows.count, by: 4).enumerated() {
            let chunk = Array(rows[lo ..< min(lo + 4, rows.count)])
            var p = params
            p.seed = BatchedGeneration.batchSeed(42, index: k)
            for (i, r) in zip(chunk, Generator.generate(model: model, prompts: chunk.map { prompts[$0] }, parameters: p)) {
                direct[i].append(r.tokens)
            }
        }
        #expect(out.map { $0.map(\.tokens) } == direct)
        // Sampling at T = 1 gives different continuations for the copies of a prompt.
        #expect(Set(out[0].map(\.tokens)).count > 1)
        // Same seed, same samples.
        let again = BatchedGeneration.generate(model: model, prompts: prompts, count: 3, parameters: params, seed: 42, batchSize: 4)
        #expect(again.map { $0.map(\.tokens) } == direct)
    }

    @Test("body drops one final stop token and nothing else")
    func body() {
        let stopped = GenerationResult(tokens: [4, 5, 2], finishReason: .stopToken)
        #expect(BatchedGeneration.body(stopped, stopToken: 2) == [4, 5])
        #expect(BatchedGeneration.body(stopped, stopToken: nil) == [4, 5, 2])
        #expect(BatchedGeneration.body(GenerationResult(tokens: [2, 4], finishReason: .length), stopToken: 2) == [2, 4])
    }
}
