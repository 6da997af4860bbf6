// Pre-tokenizers against `tokenizers`' `pre_tokenize_str` for every split behaviour, inversion,
// Digits, Whitespace, Punctuation, Metaspace, ByteLevel and the Llama-3 / Qwen2 / SmolLM sequences.
import Support
import Foundation
import Testing
@testable import Tokenizers

struct PreTokenizerCase: CustomTestStringConvertible, Sendable {
    var config: JSONValue
    var checkOffsets: Bool
    var cases: [(text: String, pieces: [(String, [Int])])]
    var testDescription: String { config.serialized(pretty: false).prefix(110).description }

    static func all() -> [PreTokenizerCase] {
        guard let root = try? loadFixtureJSON("pretokenizer_cases.json") else { return [] }
        return (root["configs"]?.arrayValue ?? []).map { entry in
            PreTokenizerCase(
                config: entry["config"] ?? .null,
                checkOffsets: entry["check_offsets"]?.boolValue ?? true,
                cases: (entry["cases"]?.arrayValue ?? []).map { c in
                    let pair = c.arrayValue ?? []
                    return (pair[0].stringValue ?? "", (pair[1].arrayValue ?? []).map { p in
                        (p.arrayValue?[0].stringValue ?? "", p.arrayValue?[1].intArray ?? [])
                    })
                })
        }
    }
}

@Suite("Pre-tokenizers (vs tokenizers' pre_tokenize_str)")
struct PreTokenizerTests {
    @Test("pieces and offsets", arguments: PreTokenizerCase.all())
    func pieces(_ c: PreTokenizerCase) throws {
        let node = JSONNode(c.config, file: "pretokenizer_cases.json")
        let preTokenizer = try PreTokenizer(node: node)
        let pipeline = try PreTokenizerPipeline(preTokenizer, node: node)
        #expect(preTokenizer.json == c.config)  // serialises back to the same JSON
        for (text, expected) in c.cases {
            let pieces = pipeline.run(AlignedText(bytes: Array(text.utf8), base: 0))
            #expect(pieces.map(\.string) == expected.map(\.0), "\(text.debugDescription)")
            if c.checkOffsets {
                let offsets = pieces.map { piece in
                    let r = piece.originalRange(0 ..< piece.count)
                    return [r.lowerBound, r.upperBound]
                }
                #expect(offsets == expected.map(\.1), "\(text.debugDescription)")
            }
        }
    }

    @Test("there are cases for all five split behaviours, both inversions")
    func coverage() {
        let configs = PreTokenizerCase.all().map(\.config)
        let behaviours = Set(configs.compactMap { $0["behavior"]?.stringValue })
        #expect(behaviours.isSuperset(of: Set(SplitBehavior.allCases.map(\.rawValue))))
        #expect(configs.contains { $0["invert"]?.boolValue == true })
        #expect(configs.count >= 30)
    }

    @Test("GPT-2's regex: contractions, letters, numbers, punctuation and whitespace runs")
    func gpt2Regex() throws {
        let pipeline = try PreTokenizerPipeline(.gpt2)
        let pieces = pipeline.run(AlignedText(bytes: Array("I'm  fine,\tthanks!!  42x   ".utf8), base: 0)).map(\.string)
        #expect(pieces == ["I", "'m", " ", " fine", ",", "\t", "thanks", "!!", " ", " 42", "x", "   "])
    }

    @Test("Tokenizer.preTokenize reports pieces with original byte ranges")
    func preTokenize() throws {
        let tokenizer = try #require(FixtureTokenizers.loaded["tiny_llama3.json"])
        let pieces = tokenizer.preTokenize("Hi 1234<|eot_id|>ok")
        #expect(pieces.map(\.text) == ["Hi", " ", "123", "4", "ok"])
        #expect(pieces.map(\.range) == [0 ..< 2, 2 ..< 3, 3 ..< 6, 6 ..< 7, 17 ..< 19])
    }
}
