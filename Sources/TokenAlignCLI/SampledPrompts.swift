// What the commands that sample answers to prompt rows load (`value-targets`, `data crew-pairs`): the
// model, its tokenizer, the rows rendered with it, and a sampling policy (top-k and top-p off).
import ArgumentParser
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

extension SampledPrompts {
    init(model: ModelArguments, prompts: String, sampling o: RolloutSamplingOptions) throws {
        try self.init(model: model, prompts: prompts, addSpecialTokens: o.addSpecialTokens, maxNewTokens: o.maxNewTokens,
                      temperature: o.temperature, stop: o.stop, seed: o.seed)
    }
}

/// The sampling flags of the commands that draw verified rollouts of prompt rows (`value-targets`,
/// `verifier-fit`).
struct RolloutSamplingOptions: ParsableArguments {
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Sampling temperature.") var temperature: Float = 1
    @Option(help: "Token budget of an answer.") var maxNewTokens: Int = 32
    @Option(help: "Stop an answer at this string (repeatable).") var stop: [String] = ["\n"]
    @Flag(help: "Add the tokenizer's special tokens to each prompt.") var addSpecialTokens = false

    func validate() throws {
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
    }
}
