// Round trip through Python `tokenizers` for the `deepseek-llm` pre-tokenizer: the committed fixture
// (Tests/Fixtures/tokenizers/generate_deepseek_roundtrip.py) holds what `tokenizers` gives for 75
// varied texts with the vocabulary of llama.cpp's ggml-vocab-deepseek-llm.gguf and llama.cpp's
// deepseek-llm regexes as Split pre-tokenizers (Oniguruma); ours runs the same regexes through our
// own engine, so this checks the pre-tokenizer beyond llama.cpp's 46 vectors.
import Foundation
import Testing
import Tokenizers

@Suite("deepseek-llm round trip through Python tokenizers", .enabled(if: deepseekAssetsPresent, Comment(rawValue: fetchAssetsHint)))
struct DeepSeekRoundTripTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var index: Int
        var text: String
        var ids: [Int]
        var testDescription: String { "#\(index) \(text.debugDescription.prefix(40))" }
    }

    static let cases: [Case] = {
        guard let json = try? loadFixtureJSON("deepseek_llm_roundtrip.json") else { return [] }
        return (json["cases"]?.arrayValue ?? []).enumerated().compactMap { i, c in
            guard let text = c["text"]?.stringValue else { return nil }
            return Case(index: i, text: text, ids: (c["ids"]?.arrayValue ?? []).compactMap(\.intValue))
        }
    }()

    @Test func fixtureIsComplete() {
        #expect(Self.cases.count == 75)
        #expect(Self.cases.contains { $0.text.contains("中文") } && Self.cases.contains { $0.text.hasSuffix("   ") })
    }

    @Test("encodes as tokenizers does and decodes back", arguments: cases)
    func matchesPythonTokenizers(_ c: Case) throws {
        let tokenizer = try #require(LlamaCppDeepSeekTests.tokenizer)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.ids)
        #expect(tokenizer.decode(c.ids) == c.text)
    }
}
