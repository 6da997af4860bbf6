// Sampling responses from a policy for CreditBench prompts and judging them with the task's
// verifier.
import CreditBench
import Decoding
import Models
import Tokenizers

/// One sampled response.
public struct SampledResponse: Sendable, Equatable {
    /// The response text (the decoded tokens before EOS).
    public var text: String
    /// The generated ids, EOS included when the model emitted it.
    public var ids: [Int]
    public var isCorrect: Bool
}

enum Sampling {
    /// `count` responses per prompt (temperature 0: one greedy response, repeated `count` times is
    /// pointless, so pass count 1). Rows are generated in batches; a seed per batch keeps runs
    /// reproducible whatever the batch boundaries.
    static func sample(model: any LanguageModel, tokenizer: Tokenizer, task: any CreditTask, examples: [CreditExample],
                       count: Int, temperature: Float, maxNewTokens: Int, seed: UInt64, batchSize: Int = 256,
                       progress: ((Int, Int) -> Void)? = nil) -> [[SampledResponse]] {
        let eos = tokenizer.eosTokenID ?? 0
        let pad = tokenizer.padTokenID ?? eos
        let promptIDs = examples.map { tokenizer.encode($0.prompt) }
        var rows: [(prompt: Int, ids: [Int])] = []
        for (i, p) in promptIDs.enumerated() { for _ in 0 ..< count { rows.append((i, p)) } }
        var out = [[SampledResponse]](repeating: [], count: examples.count)
        var done = 0
        for (k, lo) in stride(from: 0, to: rows.count, by: batchSize).enumerated() {
            let chunk = Array(rows[lo ..< min(lo + batchSize, rows.count)])
            var params = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, stopTokenIDs: [eos],
                                              seed: seed &+ UInt64(k) &* 0x9E37_79B9)
            params.padTokenID = pad
            let results = Generator.generate(model: model, prompts: chunk.map(\.ids), parameters: params)
            for (row, result) in zip(chunk, results) {
                let body = result.tokens.last == eos ? Array(result.tokens.dropLast()) : result.tokens
                let text = tokenizer.decode(body, skipSpecialTokens: false)
                let ok = task.verify(text, for: examples[row.prompt]).isCorrect
                out[row.prompt].append(SampledResponse(text: text, ids: result.tokens, isCorrect: ok))
            }
            done += chunk.count
            progress?(done, rows.count)
        }
        return out
    }
}
