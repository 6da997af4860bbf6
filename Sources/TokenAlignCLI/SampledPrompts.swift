// What the commands that sample answers to prompt rows load (`value-targets`, `data crew-pairs`): the
// model, its tokenizer, the rows rendered with it, and a sampling policy (top-k and top-p off).
import Foundation
import Models
import OnlineRL
import Search
import Tokenizers

struct SampledPrompts {
    let loaded: PretrainedModel
    let tokenizer: Tokenizer
    let rows: [RLPrompt]
    let policy: SearchPolicy

    init(model: ModelArguments, prompts: String, addSpecialTokens: Bool, maxNewTokens: Int, temperature: Float, stop: [String],
         seed: UInt64) throws {
        loaded = try model.load()
        guard let tok = loaded.tokenizer else { throw SettingsError("\(model.path) has no tokenizer; pass --tokenizer") }
        tokenizer = tok
        rows = try RLPrompts.load(prompts, tokenizer: tok, rendering: PromptRendering(addSpecialTokens: addSpecialTokens))
        policy = SearchOptions.policy(loaded, tokenizer: tok, maxNewTokens: maxNewTokens, temperature: temperature, topK: 0, topP: 1,
                                      stop: stop, seed: seed)
    }
}
