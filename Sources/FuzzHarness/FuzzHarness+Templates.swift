// The chat-template target: a Jinja source and a conversation, parsed as a tokenizer parses its
// model's template (`ChatTemplate`) and rendered with the context `ChatTemplate` builds (messages
// with reasoning aliased, special tokens, `add_generation_prompt`, extra variables). Templates come
// from downloaded `tokenizer_config.json` / GGUF files, so a template that loops, recurses, nests or
// multiplies strings without end must be refused by the interpreter's bounds. The step bound is
// lowered from 2·10⁶ to 2·10⁴ here: the check is the same code, and a debug build under
// AddressSanitizer takes minutes for 2·10⁶ steps, past libFuzzer's 10 s per input.
import Support
import Foundation
import Templates
@testable import Tokenizers

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
            let bounds = RenderOptions(now: Date(timeIntervalSince1970: 1_700_000_000), maxSteps: 20_000)
            for generation in [false, true] {
                let context: [String: TemplateValue] = [
                    "bos_token": .string("<s>"), "eos_token": .string("</s>"), "enable_thinking": .bool(generation),
                    "messages": .array(messages.map(ChatTemplate.aliasingReasoning)), "tools": TemplateValue.none, "documents": TemplateValue.none,
                    "add_generation_prompt": .bool(generation),
                ]
                _ = try t.template.render(context, options: bounds)
            }
        }
    }
}
