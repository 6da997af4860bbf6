// Built-in chat templates, chosen by recognising a model's Jinja `chat_template`; no Jinja engine.
// ChatML (SmolLM2, Qwen2 and others) and Llama-3 (Meta-Llama-3-*-Instruct) are rendered exactly
// as `transformers`' `apply_chat_template` renders those templates (checked by committed fixtures).
import Foundation

/// One chat message.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// A chat format this package can render.
public enum ChatTemplate: Sendable, Equatable {
    /// `<|im_start|>role\ncontent<|im_end|>\n` per message. When the first message is not a system
    /// message and the template has a default system prompt (SmolLM2, Qwen2.5), it is inserted.
    case chatML(defaultSystemPrompt: String?)
    /// Meta-Llama-3-Instruct: BOS, then `<|start_header_id|>role<|end_header_id|>\n\n` + trimmed
    /// content + `<|eot_id|>` per message.
    case llama3

    /// Recognises a Jinja chat template by its characteristic markers.
    /// - Throws: `TokenizerError.unsupportedChatTemplate` for anything else, including variants whose
    ///   output these renderers would not reproduce (Llama-3.1's dated system header, reasoning
    ///   templates with `<think>`).
    public init(recognizing source: String, file: String = "chat_template") throws {
        func reject(_ reason: String) -> TokenizerError { .unsupportedChatTemplate(source: file, reason: reason) }
        if source.contains("<|start_header_id|>") && source.contains("<|eot_id|>") {
            if source.contains("Cutting Knowledge Date") || source.contains("tools") {
                throw reject("a Llama-3.1+ template (system header with dates and tools); only the Llama-3 template is built in")
            }
            self = .llama3
            return
        }
        if source.contains("<|im_start|>") && source.contains("<|im_end|>") {
            if source.contains("<think>") {
                throw reject("a ChatML template with reasoning (<think>) blocks; only plain ChatML is built in")
            }
            self = .chatML(defaultSystemPrompt: ChatTemplate.defaultSystemPrompt(in: source))
            return
        }
        let excerpt = String(source.prefix(80))
        throw reject("not ChatML (<|im_start|>) or Llama-3 (<|start_header_id|>): \(excerpt.debugDescription)")
    }

    /// The literal system prompt a ChatML template inserts when the conversation has none, e.g.
    /// `'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n'`.
    static func defaultSystemPrompt(in source: String) -> String? {
        // A Jinja string literal: `<|im_start|>system` + newline escape + literal text + `<|im_end|>`.
        let pattern = #"<\|im_start\|>system(?:\\n|\n)((?:(?!<\|im_end\|>)[^'"{}+])*)<\|im_end\|>"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: source, range: NSRange(source.startIndex..., in: source)),
              let range = Range(match.range(at: 1), in: source)
        else { return nil }
        // Undo Jinja string escapes.
        var out = ""
        var escaped = false
        for ch in source[range] {
            if escaped {
                switch ch {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// Renders `messages`. With `addGenerationPrompt`, the assistant header that starts a reply is
    /// appended. `bosToken` is used by Llama-3 (which writes it at the start).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String?) -> String {
        var out = ""
        switch self {
        case let .chatML(defaultSystemPrompt):
            for (i, message) in messages.enumerated() {
                if i == 0, message.role != "system", let defaultSystemPrompt {
                    out += "<|im_start|>system\n" + defaultSystemPrompt + "<|im_end|>\n"
                }
                out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for (i, message) in messages.enumerated() {
                if i == 0 { out += bosToken ?? "" }
                out += "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n"
                out += ChatTemplate.pythonStripped(message.content) + "<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }

    /// Python's `str.strip()` (Jinja's `trim`): Unicode White_Space plus U+001C…U+001F.
    static func pythonStripped(_ text: String) -> String {
        func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace || (0x1C ... 0x1F).contains(s.value) }
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first ... last])
        return String(view)
    }
}

extension Tokenizer {
    /// The tokenizer's chat template, recognised from its source.
    /// - Throws: `TokenizerError.unsupportedChatTemplate` when there is none or it is not recognised.
    public func chatTemplate() throws -> ChatTemplate {
        guard let source = chatTemplateSource else {
            throw TokenizerError.unsupportedChatTemplate(source: "tokenizer", reason: "the tokenizer has no chat template")
        }
        return try ChatTemplate(recognizing: source)
    }

    /// The conversation as text, as `apply_chat_template(messages, tokenize=False, …)` renders it.
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) throws -> String {
        try chatTemplate().render(messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken)
    }

    /// The conversation's token ids: the rendered text encoded with special tokens parsed and none
    /// added (the template already holds them), as `apply_chat_template(messages)` does.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) throws -> [Int] {
        encode(try renderChat(messages, addGenerationPrompt: addGenerationPrompt), addSpecialTokens: false)
    }
}
