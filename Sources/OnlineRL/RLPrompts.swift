// The prompts of an online-RL run: TRL's prompt-only JSONL, standard (`"prompt": "text"`) or
// conversational (`"prompt": [{"role", "content"}, …]`). Every other column of a row is kept, so
// reward functions can read it as TRL passes extra columns to its reward functions (an `answer`
// for exact match, the CreditBench `task` for the verifier).
import Datasets
import Foundation
import Tokenizers

/// One prompt, rendered and tokenized.
public struct RLPrompt: @unchecked Sendable {
    public var location: RowLocation
    /// The prompt as the model sees it (after the chat template, if any).
    public var text: String
    public var ids: [Int]
    public var isConversational: Bool
    /// The whole JSONL row (`prompt` included), for reward functions that read extra columns.
    public var columns: [String: Any]

    public init(location: RowLocation, text: String, ids: [Int], isConversational: Bool = false, columns: [String: Any] = [:]) {
        self.location = location
        self.text = text
        self.ids = ids
        self.isConversational = isConversational
        self.columns = columns
    }
}

/// How prompts are rendered (TRL applies the chat template to conversational prompts only).
public struct PromptRendering: Sendable, Equatable {
    /// Render plain-string prompts through the chat template too (as a user message).
    public var chat = false
    /// System message for `chat`.
    public var system: String?
    /// Add the tokenizer's special tokens (e.g. BOS) to plain prompts.
    public var addSpecialTokens = true

    public init(chat: Bool = false, system: String? = nil, addSpecialTokens: Bool = true) {
        self.chat = chat
        self.system = system
        self.addSpecialTokens = addSpecialTokens
    }
}

public enum RLPrompts {
    /// Reads and renders every row of a prompt-only JSONL file. Errors name the file and line.
    public static func load(_ path: String, tokenizer: Tokenizer, rendering: PromptRendering = PromptRendering()) throws -> [RLPrompt] {
        let rows = try JSONLReader.read(path)
        var out: [RLPrompt] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            let turns = try Turns.decode(row.object["prompt"], field: "prompt", at: row.location)
            let (text, ids) = try turns.render(tokenizer: tokenizer, chat: rendering.chat, system: rendering.system,
                                               addSpecialTokens: rendering.addSpecialTokens)
            guard !ids.isEmpty else { throw DatasetError.invalidValue(row.location, field: "prompt", reason: "encodes to no tokens") }
            out.append(RLPrompt(location: row.location, text: text, ids: ids, isConversational: turns.isConversational, columns: row.object))
        }
        guard !out.isEmpty else { throw DatasetError.invalidValue(RowLocation(file: path, line: 0), field: "prompt", reason: "the file has no prompts") }
        return out
    }
}
