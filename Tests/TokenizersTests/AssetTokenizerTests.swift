// Real tokenizers from the downloaded assets (scripts/fetch-assets.sh): GPT-2's vocab.json +
// merges.txt and SmolLM2-135M-Instruct's GGUF metadata, against ids from Hugging Face tokenizers.
// Skipped (not failed) when .assets/ is missing.
import Foundation
import Testing
@testable import Tokenizers

let gpt2AssetsPresent = Paths.assetExists("gpt2/vocab.json") && Paths.assetExists("gpt2/merges.txt")
let smolAssetPresent = Paths.assetExists("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

@Suite("GPT-2 vocab.json + merges.txt", .enabled(if: gpt2AssetsPresent, Comment(rawValue: fetchAssetsHint)))
struct GPT2AssetTests {
    static let tokenizer = try? Tokenizer(gpt2Vocabulary: Paths.asset("gpt2/vocab.json"), merges: Paths.asset("gpt2/merges.txt"))

    static func cases() -> [EncodingCase] {
        guard let root = try? loadFixtureJSON("gpt2_cases.json") else { return [] }
        return (root["cases"]?.arrayValue ?? []).map { EncodingCase(tokenizer: "gpt2", $0) }
    }

    @Test("ids and decoding match tokenizers", arguments: cases())
    func matches(_ c: EncodingCase) throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.encode(c.text) == c.ids)
        #expect(tokenizer.decode(c.ids) == c.decoded)
    }

    @Test("vocabulary and special tokens")
    func vocabulary() throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.vocabularySize == 50257)
        #expect(tokenizer.model.merges.count == 50000)
        #expect(tokenizer.eosTokenID == 50256 && tokenizer.bosTokenID == 50256)
        #expect(tokenizer.tokenToID("Ġthe") == 262)
        #expect(tokenizer.idToToken(262) == "Ġthe")
        #expect(tokenizer.tokenBytes(for: 262) == Array(" the".utf8))
        // The folder form finds vocab.json + merges.txt too.
        #expect(try Tokenizer(directory: Paths.asset("gpt2")).encode("Hello world") == [15496, 995])
    }

    @Test("encoding 1 MB is fast")
    func speed() throws {
        let tokenizer = try #require(Self.tokenizer)
        let corpus = TrainerFixtures.corpus.joined(separator: "\n")
        var text = ""
        while text.utf8.count < 1_000_000 { text += corpus + " \(text.utf8.count)\n" }
        _ = tokenizer.encode(String(text.prefix(10000)))  // warm-up
        let start = Date()
        let ids = tokenizer.encode(text)
        let seconds = Date().timeIntervalSince(start)
        #expect(tokenizer.decode(ids) == text)
        #expect(seconds < 10, "encoding \(text.utf8.count) bytes took \(seconds) s")
        print("GPT-2 encode: \(text.utf8.count) bytes → \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
    }
}

@Suite("SmolLM2 GGUF tokenizer", .enabled(if: smolAssetPresent, Comment(rawValue: fetchAssetsHint)))
struct SmolLM2AssetTests {
    static let fixture = try? loadFixtureJSON("smollm2_cases.json")
    static let tokenizer = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))

    static func cases() -> [EncodingCase] {
        (fixture?["cases"]?.arrayValue ?? []).map { EncodingCase(tokenizer: "smollm2", $0) }
    }

    @Test("ids and decoding match tokenizers", arguments: cases())
    func matches(_ c: EncodingCase) throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.encode(c.text) == c.ids)
        #expect(tokenizer.decode(c.ids) == c.decoded)
        #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decodedSkipSpecial)
    }

    @Test("metadata: 49152 tokens, special ids, ChatML template with SmolLM's default system prompt")
    func metadata() throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && tokenizer.unkTokenID == 0 && tokenizer.padTokenID == 2)
        #expect(tokenizer.encode("hi", addSpecialTokens: true) == tokenizer.encode("hi"))  // add_bos_token = false
        // The GGUF's template inserts SmolLM's default system prompt when the chat has none.
        #expect(try tokenizer.renderChat([.user("hi")]) == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, "
            + "trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n")
    }

    @Test("chat prompts render and tokenize like transformers")
    func chats() throws {
        let tokenizer = try #require(Self.tokenizer)
        let chats = Self.fixture?["chats"]?.arrayValue ?? []
        #expect(chats.count == 4)
        for chat in chats {
            let messages = (chat["messages"]?.arrayValue ?? []).map {
                ChatMessage(role: $0["role"]?.stringValue ?? "", content: $0["content"]?.stringValue ?? "")
            }
            #expect(try tokenizer.renderChat(messages, addGenerationPrompt: true) == chat["text"]?.stringValue)
            #expect(try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true) == chat["ids"]?.intArray)
        }
    }
}
