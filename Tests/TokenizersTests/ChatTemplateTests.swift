// Chat templates: recognition, rendering identical to transformers' apply_chat_template, ids.
import Foundation
import Testing
@testable import Tokenizers

struct ChatCase: CustomTestStringConvertible, Sendable {
    var template: String
    var tokenizer: String
    var messages: [ChatMessage]
    var addGenerationPrompt: Bool
    var text: String
    var ids: [Int]
    var testDescription: String { "\(template) \(messages.count) messages, generation prompt: \(addGenerationPrompt)" }

    static let fixture = try? loadFixtureJSON("chat_template_cases.json")

    static func all() -> [ChatCase] {
        (fixture?["cases"]?.arrayValue ?? []).map { c in
            ChatCase(
                template: c["template"]?.stringValue ?? "",
                tokenizer: c["tokenizer"]?.stringValue ?? "",
                messages: (c["messages"]?.arrayValue ?? []).map {
                    ChatMessage(role: $0["role"]?.stringValue ?? "", content: $0["content"]?.stringValue ?? "")
                },
                addGenerationPrompt: c["add_generation_prompt"]?.boolValue ?? false,
                text: c["text"]?.stringValue ?? "",
                ids: c["ids"]?.intArray ?? [])
        }
    }

    static func source(_ name: String) -> String { fixture?["templates"]?[name]?.stringValue ?? "" }
}

@Suite("Chat templates")
struct ChatTemplateTests {
    @Test("recognises the SmolLM2, plain ChatML and Llama-3 templates")
    func recognise() throws {
        #expect(try ChatTemplate(recognizing: ChatCase.source("smollm2"))
            == .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        #expect(try ChatTemplate(recognizing: ChatCase.source("chatml")) == .chatML(defaultSystemPrompt: nil))
        #expect(try ChatTemplate(recognizing: ChatCase.source("llama3")) == .llama3)
    }

    @Test("renders exactly as transformers, and tokenizes to the same ids", arguments: ChatCase.all())
    func render(_ c: ChatCase) throws {
        let template = try ChatTemplate(recognizing: ChatCase.source(c.template))
        let tokenizer = try #require(FixtureTokenizers.loaded[c.tokenizer])
        let bos = c.template == "llama3" ? "<|begin_of_text|>" : nil
        let text = template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, bosToken: bos)
        #expect(text == c.text)
        #expect(tokenizer.encode(text) == c.ids)
    }

    @Test("there are cases for each template with and without the generation prompt")
    func coverage() {
        let cases = ChatCase.all()
        #expect(Set(cases.map(\.template)) == ["smollm2", "chatml", "llama3"])
        #expect(cases.contains { $0.addGenerationPrompt } && cases.contains { !$0.addGenerationPrompt })
    }

    @Test("unknown templates are a typed error", arguments: ["gemma", "mistral"])
    func unknown(_ name: String) throws {
        let source = try #require(ChatCase.fixture?["unsupported"]?[name]?.stringValue)
        let error = tokenizerError { _ = try ChatTemplate(recognizing: source, file: "tokenizer_config.json") }
        guard case let .unsupportedChatTemplate(file, reason)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(file == "tokenizer_config.json")
        #expect(reason.contains("not ChatML"))
        #expect(error?.description.contains("tokenizer_config.json") == true)
    }

    @Test("Llama-3.1 style and reasoning templates are refused rather than rendered wrongly")
    func refusedVariants() {
        let llama31 = "{{- bos_token }}{%- set date_string = \"26 Jul 2024\" %}{{- \"Cutting Knowledge Date: December 2023\\n\" }}<|start_header_id|><|eot_id|>"
        #expect(tokenizerError { _ = try ChatTemplate(recognizing: llama31) } != nil)
        let qwen3 = "<|im_start|>{{ message.role }}<think>\n</think><|im_end|>"
        #expect(tokenizerError { _ = try ChatTemplate(recognizing: qwen3) } != nil)
    }

    @Test("a tokenizer folder with tokenizer_config.json: special tokens and applyChatTemplate")
    func fromConfig() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.copyItem(at: Paths.fixture("tiny_llama3.json"), to: dir.appendingPathComponent("tokenizer.json"))
            let config: JSONValue = .object([
                JSONMember("bos_token", .string("<|begin_of_text|>")),
                JSONMember("eos_token", .object([JSONMember("content", .string("<|eot_id|>")), JSONMember("lstrip", .bool(false))])),
                JSONMember("chat_template", .string(ChatCase.source("llama3"))),
                JSONMember("model_max_length", .integer(1_000_000)),
            ])
            try Data(config.serialized().utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
            let tokenizer = try Tokenizer(directory: dir)
            #expect(tokenizer.bosTokenID == 0)
            #expect(tokenizer.eosTokenID == 4)
            #expect(try tokenizer.chatTemplate() == .llama3)
            for c in ChatCase.all() where c.template == "llama3" {
                #expect(try tokenizer.renderChat(c.messages, addGenerationPrompt: c.addGenerationPrompt) == c.text)
                #expect(try tokenizer.applyChatTemplate(c.messages, addGenerationPrompt: c.addGenerationPrompt) == c.ids)
            }
            // chat_template.jinja (newer transformers) takes precedence over the config's template.
            try Data(ChatCase.source("chatml").utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
            #expect(try Tokenizer(directory: dir).chatTemplate() == .chatML(defaultSystemPrompt: nil))
        }
    }

    @Test("a tokenizer without a chat template throws a typed error")
    func none() throws {
        let tokenizer = try #require(FixtureTokenizers.loaded["tiny_smollm.json"])
        #expect(tokenizerError { _ = try tokenizer.applyChatTemplate([.user("hi")]) } != nil)
    }

    @Test("named template lists in tokenizer_config.json pick \"default\"")
    func namedTemplates() throws {
        let config: JSONValue = .object([JSONMember("chat_template", .array([
            .object([JSONMember("name", .string("tool_use")), JSONMember("template", .string("{{ tools }}"))]),
            .object([JSONMember("name", .string("default")), JSONMember("template", .string(ChatCase.source("chatml")))]),
        ]))])
        let tokenizer = try Tokenizer(tokenizerJSONData: try Data(contentsOf: Paths.fixture("tiny_qwen2.json")),
                                      configData: Data(config.serialized().utf8))
        #expect(try tokenizer.renderChat([.user("hi")], addGenerationPrompt: true) == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }
}
