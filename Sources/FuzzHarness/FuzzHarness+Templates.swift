// The chat-template target: a Jinja source and a conversation, rendered the way a tokenizer renders
// its model's template (`ChatTemplate`, the interpreter's default bounds on steps, output size and
// macro depth). Templates come from downloaded `tokenizer_config.json` / GGUF files, so a template
// that loops, recurses, nests or multiplies strings without end must be refused by those bounds.
import Foundation
import Tokenizers

extension FuzzHarness {
    /// The conversation used when the input carries none (or none that parses).
    static let defaultMessages: [JSONValue] = [
        ChatMessage.system("Be brief.").json, ChatMessage.user("Hello, wörld!").json, ChatMessage.assistant("Hi.").json,
        ChatMessage.user("2 + 2?").json,
    ]

    /// Input: the template source, then optionally a NUL byte and a JSON array of messages (objects
    /// with `role`, `content`, `tool_calls`…). Rendered with and without the generation prompt.
    @Sendable public static func template(_ data: Data) -> Outcome {
        outcome {
            let bytes = [UInt8](data)
            let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
            let source = String(decoding: bytes[..<split], as: UTF8.self)
            var messages = defaultMessages
            if split < bytes.endIndex, case .array(let items)? = try? JSONValue.parse(Array(bytes[(split + 1)...]), file: "messages.json") {
                messages = items
            }
            let t = try ChatTemplate(source: source, file: "chat_template.jinja")
            let special = ["bos_token": "<s>", "eos_token": "</s>"]
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            for generation in [false, true] {
                _ = try t.render(messages: messages, addGenerationPrompt: generation, specialTokens: special,
                                 options: ChatTemplateOptions(extra: ["enable_thinking": .bool(generation)], now: now))
            }
        }
    }
}
