// Chat templates: real templates of each supported family rendered by the Jinja interpreter exactly
// as transformers' apply_chat_template renders them (committed fixtures), ids, loading, refusals.
import Support
import Foundation
import Testing
@testable import Tokenizers

/// One case of the older fixture (SmolLM2, ChatML, Llama-3) that also carries token ids.
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

/// One case of `chat_template_render_cases.json` (generate_chat_templates.py).
struct RenderCase: CustomTestStringConvertible, Sendable {
    var index: Int
    var json: JSONValue
    var template: String { json["template"]?.stringValue ?? "" }
    var testDescription: String {
        let kwargs = json["kwargs"].map { $0.serialized(pretty: false) } ?? ""
        return "\(template) #\(index): \(json["messages"]?.arrayValue?.count ?? 0) messages, tools: \(json["tools"] != .null), "
            + "generation prompt: \(json["add_generation_prompt"]?.boolValue ?? false) \(kwargs)"
    }

    static let fixture = try? loadFixtureJSON("chat_template_render_cases.json")
    static let now = Date(timeIntervalSince1970: 1_783_155_900)  // 2026-07-04T09:05:00Z, the generator's FIXED_NOW

    static func all() -> [RenderCase] {
        (fixture?["cases"]?.arrayValue ?? []).enumerated().map { RenderCase(index: $0.offset, json: $0.element) }
    }

    static func source(_ name: String) throws -> String {
        try String(contentsOf: Paths.fixture("chat_templates/\(name).jinja"), encoding: .utf8)
    }

    func render() throws -> String {
        var special: [String: String] = [:]
        if let bos = json["bos_token"]?.stringValue { special["bos_token"] = bos }
        if let eos = json["eos_token"]?.stringValue { special["eos_token"] = eos }
        var extra: [String: JSONValue] = [:]
        if case let .object(members)? = json["kwargs"] { for m in members { extra[m.key] = m.value } }
        let tools = json["tools"].flatMap { $0 == .null ? nil : $0.arrayValue }
        let template = try ChatTemplate(source: try RenderCase.source(template), file: "\(template).jinja")
        return try template.render(messages: json["messages"]?.arrayValue ?? [], addGenerationPrompt: json["add_generation_prompt"]?.boolValue ?? false,
                                   specialTokens: special, options: ChatTemplateOptions(tools: tools, extra: extra, now: RenderCase.now))
    }
}

@Suite("Chat templates")
struct ChatTemplateTests {
    @Test("real templates render exactly as transformers' apply_chat_template", arguments: RenderCase.all())
    func renders(_ c: RenderCase) throws {
        if let expected = c.json["text"]?.stringValue {
            #expect(try c.render() == expected)
        } else {
            // The template's own raise_exception (Gemma 2 refuses system messages): same message, typed error.
            let message = try #require(c.json["error"]?.stringValue)
            let error = tokenizerError { _ = try c.render() }
            guard case let .chatTemplateFailed(file, reason)? = error else {
                Issue.record("expected chatTemplateFailed, got \(String(describing: error))")
                return
            }
            #expect(file == "\(c.template).jinja")
            #expect(reason.hasSuffix("raise_exception: \(message)"))
        }
    }

    @Test("each family has cases with and without a system message and the generation prompt, tools where supported")
    func coverage() throws {
        let cases = RenderCase.all()
        let families: Set<String> = ["smollm2", "chatml", "llama3", "llama3.1", "llama3.2", "qwen2.5", "qwen3", "qwen3-coder", "qwen3.5",
                                     "mistral-nemo", "phi3.5", "gemma2", "gemma3", "gemma4", "deepseek-r1-qwen", "deepseek-r1-llama", "smollm3"]
        #expect(Set(cases.map(\.template)) == families)
        for family in families {
            let mine = cases.filter { $0.template == family }
            let hasSystem = { (c: RenderCase) in c.json["messages"]?.arrayValue?.first?["role"]?.stringValue == "system" }
            let prompt = { (c: RenderCase) in c.json["add_generation_prompt"]?.boolValue ?? false }
            #expect(mine.contains { hasSystem($0) && prompt($0) } && mine.contains { !hasSystem($0) && !prompt($0) }, "\(family)")
            if try RenderCase.source(family).contains("tool_calls") {
                #expect(mine.contains { $0.json["tools"] != .null && $0.json["text"] != nil }, "\(family) has a rendered tool case")
            }
        }
        #expect(cases.count { $0.json["error"] != nil } == 2)
    }

    @Test("older fixture: SmolLM2, ChatML and Llama-3 render and tokenize to transformers' ids", arguments: ChatCase.all())
    func idsMatch(_ c: ChatCase) throws {
        let template = try ChatTemplate(source: ChatCase.source(c.template))
        let tokenizer = try #require(FixtureTokenizers.loaded[c.tokenizer])
        let special = c.template == "llama3" ? ["bos_token": "<|begin_of_text|>"] : [:]
        let text = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, specialTokens: special)
        #expect(text == c.text)
        #expect(tokenizer.encode(text) == c.ids)
    }

    @Test("templates of the older fixture's unsupported list now render (Gemma, Mistral)", arguments: ["gemma", "mistral"])
    func formerlyUnsupported(_ name: String) throws {
        let source = try #require(ChatCase.fixture?["unsupported"]?[name]?.stringValue)
        let text = try ChatTemplate(source: source).render([.user("hi")], addGenerationPrompt: true,
                                                          specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])
        #expect(text.contains("hi"))
    }

    @Test("a construct outside the subset is refused when loading, naming the file, line and construct")
    func refusesUnsupported() throws {
        let source = "{% for m in messages %}\n{{ m.content }}\n{% endfor %}\n{% filter upper %}x{% endfilter %}"
        let error = tokenizerError { _ = try ChatTemplate(source: source, file: "tokenizer_config.json") }
        guard case let .unsupportedChatTemplate(file, reason)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(file == "tokenizer_config.json")
        #expect(reason.contains("line 4") && reason.contains("{% filter %}"))
        #expect(error?.description.contains("tokenizer_config.json") == true)
        // Met only while rendering: an unsupported method, named with its line.
        let lazy = try ChatTemplate(source: "{{ messages[0].content }}\n{{ messages[0].content.format(1) }}", file: "chat_template.jinja")
        let renderError = tokenizerError { _ = try lazy.render([.user("x")], addGenerationPrompt: false) }
        guard case let .unsupportedChatTemplate(_, renderReason)? = renderError else {
            Issue.record("wrong error \(String(describing: renderError))")
            return
        }
        #expect(renderReason.contains("line 2") && renderReason.contains("str.format()"))
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
            #expect(try tokenizer.chatTemplate().source == ChatCase.source("llama3"))
            for c in ChatCase.all() where c.template == "llama3" {
                #expect(try tokenizer.renderChat(c.messages, addGenerationPrompt: c.addGenerationPrompt) == c.text)
                #expect(try tokenizer.applyChatTemplate(c.messages, addGenerationPrompt: c.addGenerationPrompt) == c.ids)
            }
            // chat_template.jinja (newer transformers) takes precedence over the config's template.
            try Data(ChatCase.source("chatml").utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
            #expect(try Tokenizer(directory: dir).chatTemplate().source == ChatCase.source("chatml"))
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

    @Test("reasoning fields are aliased as transformers does: reasoning → thinking and reasoning_content")
    func reasoningAlias() throws {
        let message: JSONValue = .object([JSONMember("role", .string("assistant")), JSONMember("reasoning", .string("r")),
                                          JSONMember("content", .string("c"))])
        let template = try ChatTemplate(source: "{% for m in messages %}{{ m.thinking }}|{{ m.reasoning_content }}|{{ m | tojson }}{% endfor %}")
        #expect(try template.render(messages: [message], addGenerationPrompt: false)
            == #"r|r|{"thinking": "r", "role": "assistant", "reasoning": "r", "content": "c", "reasoning_content": "r"}"#)
    }
}
