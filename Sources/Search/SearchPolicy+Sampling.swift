// The sampling policy `tokenalign search` and the decoding demo search with: a model in eval mode,
// the sampling knobs, and the tokenizer's EOS as a stop token and pad id, built in one place.
import Decoding
import Models
import Tokenizers

extension SearchPolicy {
    /// `model` (switched to eval mode) sampling with these knobs; EOS stops an answer and pads a batch.
    public static func sampling(_ model: any LanguageModel, tokenizer: Tokenizer, maxNewTokens: Int, temperature: Float, topK: Int = 0,
                                topP: Float = 1, stop: [String], seed: UInt64, sharePrefixes: Bool = false,
                                trieCache: Bool = false) -> SearchPolicy {
        var p = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP, stopStrings: stop, seed: seed)
        if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
        p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        model.eval()
        return SearchPolicy(model: model, tokenizer: tokenizer, parameters: p, sharePrefixes: sharePrefixes,
                            trieCache: trieCache && model.cacheRecomputeWidth == nil)
    }
}
