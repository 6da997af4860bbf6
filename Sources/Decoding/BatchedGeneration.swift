// Many samples from many prompts: every prompt repeated `count` times, rows generated in fixed-size
// left-padded batches, each batch with its own seed derived from the run's seed and the batch index.
// The demos and `tokenalign generate --prompts` share it, so the command line reproduces a demo's
// samples exactly from the same seed and batch size. Decoding the ids and judging them stays with
// the caller.
import Models

/// Batched sampling of `count` generations per prompt.
public enum BatchedGeneration {
    /// The seed of batch `index` of a run seeded with `seed`.
    public static func batchSeed(_ seed: UInt64, index: Int) -> UInt64 { seed &+ UInt64(index) &* 0x9E37_79B9 }

    /// `count` generations per prompt, grouped by prompt (in prompt order, then sample order).
    /// - Parameters:
    ///   - parameters: decoding settings for every batch; its `seed` is replaced by each batch's seed.
    ///   - extraProcessors: passed to every batch's `Generator.generate` (reward guides).
    ///   - progress: called after each batch with (rows done, rows in all).
    public static func generate(model: any LanguageModel, prompts: [[Int]], count: Int, parameters: GenerationParameters,
                                seed: UInt64, batchSize: Int, extraProcessors: [LogitProcessor] = [],
                                progress: ((Int, Int) -> Void)? = nil) -> [[GenerationResult]] {
        precondition(batchSize > 0 && count >= 0, "batchSize must be positive and count non-negative")
        var rows: [Int] = []
        rows.reserveCapacity(prompts.count * count)
        for i in prompts.indices { for _ in 0 ..< count { rows.append(i) } }
        var out = [[GenerationResult]](repeating: [], count: prompts.count)
        for (k, lo) in stride(from: 0, to: rows.count, by: batchSize).enumerated() {
            let chunk = rows[lo ..< min(lo + batchSize, rows.count)]
            var params = parameters
            params.seed = batchSeed(seed, index: k)
            let results = Generator.generate(model: model, prompts: chunk.map { prompts[$0] }, parameters: params,
                                             extraProcessors: extraProcessors)
            for (prompt, result) in zip(chunk, results) { out[prompt].append(result) }
            progress?(lo + chunk.count, rows.count)
        }
        return out
    }

    /// The generated ids without a final stop token.
    public static func body(_ result: GenerationResult, stopToken: Int?) -> [Int] {
        guard let stop = stopToken, result.tokens.last == stop else { return result.tokens }
        return Array(result.tokens.dropLast())
    }
}
