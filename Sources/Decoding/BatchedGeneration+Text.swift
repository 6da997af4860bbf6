// Batched sampling with the generations decoded to text: what the demos and `tokenalign generate`
// all do after `BatchedGeneration.generate`, written once.
import Models
import Tokenizers

/// One generation as text.
public struct DecodedGeneration: Sendable, Equatable {
    /// The decoded tokens before the stop token.
    public var text: String
    /// The generated ids, the stop token included when the model emitted it.
    public var ids: [Int]
    public var finishReason: FinishReason

    public init(text: String, ids: [Int], finishReason: FinishReason) {
        self.text = text
        self.ids = ids
        self.finishReason = finishReason
    }
}

extension BatchedGeneration {
    /// `generate`, then each generation's body (without a final `stopToken`) decoded by `tokenizer`;
    /// grouped by prompt as `generate` groups them.
    public static func generateText(model: any LanguageModel, tokenizer: Tokenizer, prompts: [[Int]], count: Int,
                                    parameters: GenerationParameters, seed: UInt64, batchSize: Int, stopToken: Int?,
                                    skipSpecialTokens: Bool, extraProcessors: [LogitProcessor] = [],
                                    progress: ((Int, Int) -> Void)? = nil) -> [[DecodedGeneration]] {
        generate(model: model, prompts: prompts, count: count, parameters: parameters, seed: seed, batchSize: batchSize,
                 extraProcessors: extraProcessors, progress: progress).map { rows in
            rows.map {
                DecodedGeneration(text: tokenizer.decode(body($0, stopToken: stopToken), skipSpecialTokens: skipSpecialTokens),
                                  ids: $0.tokens, finishReason: $0.finishReason)
            }
        }
    }
}
