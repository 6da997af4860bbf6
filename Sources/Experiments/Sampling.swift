// Sampling responses from a policy for CreditBench prompts (Decoding's batched sampling) and judging
// them with the task's verifier.
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
        var params = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, stopTokenIDs: [eos])
        params.padTokenID = tokenizer.padTokenID ?? eos
        let results = BatchedGeneration.generateText(model: model, tokenizer: tokenizer, prompts: examples.map { tokenizer.encode($0.prompt) },
                                                     count: count, parameters: params, seed: seed, batchSize: batchSize, stopToken: eos,
                                                     skipSpecialTokens: false, progress: progress)
        return zip(examples, results).map { example, rows in
            rows.map { SampledResponse(text: $0.text, ids: $0.ids, isCorrect: task.verify($0.text, for: example).isCorrect) }
        }
    }
}
