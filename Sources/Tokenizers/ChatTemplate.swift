// A model's chat template (`tokenizer_config.json`'s `chat_template`, `chat_template.jinja`, or
// GGUF `tokenizer.chat_template`) rendered by the Jinja interpreter of the `Templates` target the
// way transformers' `apply_chat_template` renders it: the variables `messages`, `tools`,
// `documents`, `add_generation_prompt`, the special tokens, reasoning fields aliased, extra keyword
// arguments (`enable_thinking`, `date_string`…). Templates outside the interpreter's subset are refused
// when loaded, naming the construct and its line (see docs/design/chat-templates.md).
import Support
import Foundation
import Templates

/// One chat message with a role and text content (messages with tool calls go through `JSONValue`).
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

    /// The message as the dict a template sees.
    public var json: JSONValue { .object([JSONMember("role", .string(role)), JSONMember("content", .string(content))]) }
}

/// A parsed chat template.
public struct ChatTemplate: Sendable {
    /// The Jinja source.
    public let source: String
    /// Where the source came from, for error messages.
    public let file: String
    let template: Template

    /// Parses a Jinja chat template.
    /// - Throws: `TokenizerError.unsupportedChatTemplate` naming `file`, the line and the construct
    ///   when the source is not valid Jinja or uses something outside the supported subset.
    public init(source: String, file: String = "chat_template") throws {
        self.source = source
        self.file = file
        do {
            template = try Template(source)
        } catch let error as TemplateError {
            throw TokenizerError.unsupportedChatTemplate(source: file, reason: error.description)
        }
    }

    /// Renders a conversation of plain messages.
    /// - Parameters:
    ///   - addGenerationPrompt: append the header that starts the assistant's reply.
    ///   - specialTokens: `bos_token`, `eos_token`… as the template sees them (transformers passes the tokenizer's).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, specialTokens: [String: String] = [:],
                       options: ChatTemplateOptions = ChatTemplateOptions()) throws -> String
    {
        try render(messages: messages.map(\.json), addGenerationPrompt: addGenerationPrompt, specialTokens: specialTokens, options: options)
    }

    /// Renders messages given as JSON objects (with `tool_calls`, `reasoning_content`, `tool_call_id`…).
    /// - Throws: `TokenizerError.chatTemplateFailed` when the template raises (`raise_exception`, e.g.
    ///   roles that do not alternate), reads through an undefined value, or exceeds a bound;
    ///   `unsupportedChatTemplate` for a construct outside the subset met while rendering.
    public func render(messages: [JSONValue], addGenerationPrompt: Bool, specialTokens: [String: String] = [:],
                       options: ChatTemplateOptions = ChatTemplateOptions()) throws -> String
    {
        var context: [String: TemplateValue] = [:]
        for (name, token) in specialTokens { context[name] = .string(token) }
        for (name, value) in options.extra { context[name] = value.templateValue }
        context["messages"] = .array(messages.map(ChatTemplate.aliasingReasoning))
        context["tools"] = options.tools.map { .array($0.map(\.templateValue)) } ?? TemplateValue.none
        context["documents"] = options.documents.map { .array($0.map(\.templateValue)) } ?? TemplateValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        do {
            return try template.render(context, options: RenderOptions(now: options.now))
        } catch let error as TemplateError {
            switch error.kind {
            case .syntax, .unsupported: throw TokenizerError.unsupportedChatTemplate(source: file, reason: error.description)
            case .raised, .runtime, .limit: throw TokenizerError.chatTemplateFailed(source: file, reason: error.description)
            }
        }
    }

    /// transformers fills `reasoning_content` (and `thinking`) from whichever of `reasoning_content`,
    /// `thinking`, `reasoning` a message carries, so templates reading any of them see the reasoning.
    static func aliasingReasoning(_ message: JSONValue) -> TemplateValue {
        let value = message.templateValue
        guard case var .dict(pairs) = value else { return value }
        let names = ["reasoning_content", "thinking", "reasoning"]
        guard let reasoning = names.lazy.compactMap({ value[$0] }).first(where: { $0 != .none }) else { return value }
        // Python: {"thinking": reasoning, **message, "reasoning_content": reasoning}.
        let thinking = value["thinking"] ?? reasoning
        pairs.removeAll { $0.key == "thinking" }
        pairs.insert((key: "thinking", value: thinking), at: 0)
        if let i = pairs.firstIndex(where: { $0.key == "reasoning_content" }) {
            pairs[i].value = reasoning
        } else {
            pairs.append((key: "reasoning_content", value: reasoning))
        }
        return .dict(pairs)
    }
}

/// What a render passes besides the messages.
public struct ChatTemplateOptions: Sendable {
    /// Tool schemas (`{"type": "function", "function": {...}}`), or nil for none.
    public var tools: [JSONValue]?
    /// Retrieval documents (`{"title": …, "text": …}`), or nil.
    public var documents: [JSONValue]?
    /// Extra template variables, e.g. `enable_thinking`, `date_string`.
    public var extra: [String: JSONValue]
    /// What `strftime_now` prints (templates that write today's date).
    public var now: Date

    public init(tools: [JSONValue]? = nil, documents: [JSONValue]? = nil, extra: [String: JSONValue] = [:], now: Date = Date()) {
        self.tools = tools
        self.documents = documents
        self.extra = extra
        self.now = now
    }
}

extension JSONValue {
    /// The value as a template sees it (objects keep their member order).
    var templateValue: TemplateValue {
        switch self {
        case .null: return .none
        case let .bool(b): return .bool(b)
        case let .integer(i): return .int(i)
        case let .bigInteger(digits): return .double(Double(digits) ?? .nan)
        case let .number(d): return .double(d)
        case let .string(s): return .string(s)
        case let .array(items): return .array(items.map(\.templateValue))
        case let .object(members): return .dict(members.map { (key: $0.key, value: $0.value.templateValue) })
        }
    }
}

extension Tokenizer {
    /// The tokenizer's chat template, parsed.
    /// - Throws: `TokenizerError.unsupportedChatTemplate` when there is none or it cannot be parsed.
    public func chatTemplate() throws -> ChatTemplate {
        guard let source = chatTemplateSource else {
            throw TokenizerError.unsupportedChatTemplate(source: "tokenizer", reason: "the tokenizer has no chat template")
        }
        return try ChatTemplate(source: source)
    }

    /// The special tokens transformers hands a template (`bos_token`, `eos_token`, `unk_token`, `pad_token`).
    public var chatSpecialTokens: [String: String] {
        var tokens: [String: String] = [:]
        tokens["bos_token"] = bosToken
        tokens["eos_token"] = eosToken
        tokens["unk_token"] = unkToken
        tokens["pad_token"] = padToken
        return tokens
    }

    /// The conversation as text, as `apply_chat_template(messages, tokenize=False, …)` renders it.
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                           options: ChatTemplateOptions = ChatTemplateOptions()) throws -> String
    {
        try chatTemplate().render(messages, addGenerationPrompt: addGenerationPrompt, specialTokens: chatSpecialTokens, options: options)
    }

    /// The conversation's token ids: the rendered text encoded with special tokens parsed and none
    /// added (the template already holds them), as `apply_chat_template(messages)` does.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = false,
                                  options: ChatTemplateOptions = ChatTemplateOptions()) throws -> [Int]
    {
        encode(try renderChat(messages, addGenerationPrompt: addGenerationPrompt, options: options), addSpecialTokens: false)
    }
}
