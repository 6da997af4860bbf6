// The online-RL targets: prompt files (`grpo`/`rloo`/`ppo --prompts`, TRL's prompt-only JSONL,
// standard or conversational, rendered through the fixture tokenizer's chat template) and the
// rollout blocks ranks exchange under MPI (`RolloutWire`: decoded, checked, laid out for the loss).
import Foundation
import OnlineRL

extension FuzzHarness {
    /// A prompt-only JSONL file, loaded as plain prompts and as chat prompts with a system message.
    @Sendable public static func rlprompts(_ data: Data) -> Outcome {
        guard let tok = fixtureTokenizer else { return .refused("fixture tokenizer missing") }
        return outcome {
            let url = file(data, "prompts.jsonl")
            _ = try RLPrompts.load(url.path, tokenizer: tok)
            _ = try RLPrompts.load(url.path, tokenizer: tok, rendering: PromptRendering(chat: true, system: "Be brief.", addSpecialTokens: false))
        }
    }

    /// One rank's rollout block, received by a run of 8 prompts with the fixture tokenizer's vocabulary.
    @Sendable public static func rollouts(_ data: Data) -> Outcome {
        guard let tok = fixtureTokenizer else { return .refused("fixture tokenizer missing") }
        return outcome { _ = try RolloutWire.records(decoding: [UInt8](data), vocabularySize: tok.vocabularySize, promptCount: 8) }
    }
}
