// A TRL field that is either standard (a string) or conversational (a list of messages).
import Foundation
import Tokenizers

/// Text or a conversation: TRL's "standard" and "conversational" dataset formats
/// (`huggingface/trl:docs/source/dataset_formats.md`).
public enum Turns: Sendable, Equatable {
    case text(String)
    case messages([ChatMessage])

    public var isConversational: Bool {
        if case .messages = self { return true }
        return false
    }

    /// Decodes a field: a string, or an array of `{"role", "content"}` objects. Errors name the
    /// row and the field (`prompt[1].role`).
    public static func decode(_ value: Any?, field: String, at location: RowLocation) throws -> Turns {
        guard let value else { throw DatasetError.missingField(location, field: field) }
        if let s = value as? String { return .text(s) }
        guard let list = value as? [Any] else {
            throw DatasetError.wrongType(location, field: field, expected: "a string or a list of {\"role\", \"content\"} messages")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            let path = "\(field)[\(i)]"
            guard let m = item as? [String: Any] else {
                throw DatasetError.wrongType(location, field: path, expected: "a {\"role\", \"content\"} object")
            }
            guard let role = m["role"] as? String else {
                throw m["role"] == nil ? DatasetError.missingField(location, field: "\(path).role")
                    : DatasetError.wrongType(location, field: "\(path).role", expected: "a string")
            }
            guard ["system", "user", "assistant", "tool"].contains(role) else {
                throw DatasetError.invalidValue(location, field: "\(path).role", reason: "unknown role '\(role)'")
            }
            guard let content = m["content"] as? String else {
                throw m["content"] == nil ? DatasetError.missingField(location, field: "\(path).content")
                    : DatasetError.wrongType(location, field: "\(path).content", expected: "a string")
            }
            messages.append(ChatMessage(role: role, content: content))
        }
        if messages.isEmpty { throw DatasetError.invalidValue(location, field: field, reason: "empty message list") }
        return .messages(messages)
    }
}

extension Turns {
    /// The prompt's text and ids as a model sees them: a conversation, or a string when `chat`,
    /// goes through the tokenizer's chat template with the generation prompt (the template writes its
    /// own special tokens); a plain string is encoded as it is, with the tokenizer's special tokens
    /// when `addSpecialTokens`. `generate --prompts` and the online-RL trainers render alike.
    public func render(tokenizer: Tokenizer, chat: Bool = false, system: String? = nil,
                       addSpecialTokens: Bool) throws -> (text: String, ids: [Int]) {
        var messages: [ChatMessage]
        switch self {
        case .text(let p) where !chat:
            return (p, tokenizer.encode(p, addSpecialTokens: addSpecialTokens))
        case .text(let p):
            messages = system.map { [.system($0)] } ?? []
            messages.append(.user(p))
        case .messages(let m):
            messages = m
        }
        let text = try tokenizer.renderChat(messages, addGenerationPrompt: true)
        return (text, tokenizer.encode(text, addSpecialTokens: false))
    }
}
