// Behaviour pinned with small hand-written tokenizer.json files: byte-exact vocabularies
// (precomposed vs decomposed "à"), added tokens split first (longest first, lstrip/rstrip,
// single_word, normalized), both merge formats, decoding, skipSpecialTokens.
import Support
import Foundation
import Testing
@testable import Tokenizers

/// A tokenizer.json document built in code. `vocab` is given in id order.
func tinyTokenizerJSON(vocab: [String], merges: JSONValue = .array([]), added: [JSONValue] = [],
                       normalizer: JSONValue = .null, preTokenizer: JSONValue = .null, postProcessor: JSONValue = .null,
                       decoder: JSONValue = .null, modelExtras: [JSONMember] = [], topExtras: [JSONMember] = []) -> String
{
    let model: JSONValue = .object([
        JSONMember("type", .string("BPE")),
        JSONMember("vocab", .object(vocab.enumerated().map { JSONMember($0.element, .integer($0.offset)) })),
        JSONMember("merges", merges),
    ] + modelExtras)
    return JSONValue.object([
        JSONMember("version", .string("1.0")),
        JSONMember("added_tokens", .array(added)),
        JSONMember("normalizer", normalizer),
        JSONMember("pre_tokenizer", preTokenizer),
        JSONMember("post_processor", postProcessor),
        JSONMember("decoder", decoder),
        JSONMember("model", model),
    ] + topExtras).serialized()
}

func addedToken(_ id: Int, _ content: String, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false,
                singleWord: Bool = false, normalized: Bool = false) -> JSONValue
{
    .object([
        JSONMember("id", .integer(id)), JSONMember("content", .string(content)), JSONMember("single_word", .bool(singleWord)),
        JSONMember("lstrip", .bool(lstrip)), JSONMember("rstrip", .bool(rstrip)), JSONMember("normalized", .bool(normalized)),
        JSONMember("special", .bool(special)),
    ])
}

let byteLevelPre: JSONValue = PreTokenizer.gpt2.json
let byteLevelDecoder: JSONValue = TokenDecoder.byteLevel.json
let byteAlphabet: [String] = (0 ..< 256).map { String(Character(ByteLevel.scalars[$0])) }

@Suite("Tokenizer behaviour")
struct TokenizerBehaviourTests {
    @Test("precomposed à (U+00E0) and decomposed a + U+0300 are different tokens with different ids")
    func precomposedVersusDecomposed() throws {
        // A character-level vocabulary (no byte-level mapping) in which both spellings are keys:
        // a String-keyed dictionary would merge them (canonical equivalence).
        let json = tinyTokenizerJSON(vocab: ["a", "\u{0300}", "\u{00E0}", "a\u{0300}", "b"],
                                     merges: .array([.array([.string("a"), .string("\u{0300}")])]))
        #expect(json.contains("\\u0300") == false)  // written raw, as tokenizers writes it
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(json.utf8))
        #expect("\u{00E0}" == "a\u{0300}")  // Swift String equality is canonical…
        let precomposed = try #require(tokenizer.tokenToID("\u{00E0}"))
        let decomposed = try #require(tokenizer.tokenToID("a\u{0300}"))
        #expect(precomposed == 2)  // …but the vocabulary is keyed by bytes
        #expect(decomposed == 3)
        #expect(tokenizer.encode("\u{00E0}") == [2])
        #expect(tokenizer.encode("a\u{0300}") == [3])
        #expect(tokenizer.encode("a\u{0300}b\u{00E0}") == [3, 4, 2])
        #expect(Array(tokenizer.decode([3]).utf8) == [0x61, 0xCC, 0x80])
        #expect(Array(tokenizer.decode([2]).utf8) == [0xC3, 0xA0])
        #expect(tokenizer.model.vocab.count == 5)
    }

    @Test("byte-level: the two spellings of à encode differently, and tokenToID(bytes:) is exact")
    func precomposedByteLevel() throws {
        let tokenizer = try #require(FixtureTokenizers.loaded["tiny_llama3.json"])
        let a = tokenizer.encode("\u{00E0}")
        let b = tokenizer.encode("a\u{0300}")
        #expect(a != b)
        #expect(tokenizer.decode(a).unicodeScalars.map(\.value) == [0xE0])
        #expect(tokenizer.decode(b).unicodeScalars.map(\.value) == [0x61, 0x300])
        #expect(tokenizer.tokenToID(bytes: [0xC3]) != tokenizer.tokenToID(bytes: [0x61]))
    }

    @Test("added tokens are split off first, longest match first")
    func longestFirst() throws {
        let json = tinyTokenizerJSON(
            vocab: byteAlphabet + ["<|a|>", "<|a|>b"],
            added: [addedToken(256, "<|a|>"), addedToken(257, "<|a|>b", special: false)],
            preTokenizer: byteLevelPre, decoder: byteLevelDecoder)
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(json.utf8))
        let x = Int(ByteLevel.byteForScalar[Int(Character("x").unicodeScalars.first!.value)])
        #expect(tokenizer.encode("x<|a|>by") == [tokenizer.tokenToID("x")!, 257, tokenizer.tokenToID("y")!])
        #expect(tokenizer.encode("x<|a|>y").contains(256))
        #expect(x >= 0)
        // Special tokens written in the text can be treated as text.
        #expect(!tokenizer.encode("x<|a|>y", parseSpecialTokens: false).contains(256))
        #expect(tokenizer.encode("x<|a|>by", parseSpecialTokens: false).contains(257))  // not special: still split
        // Decoding and skipping.
        let ids = tokenizer.encode("x<|a|>y<|a|>by")
        #expect(tokenizer.decode(ids) == "x<|a|>y<|a|>by")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "xy<|a|>by")
    }

    @Test("lstrip, rstrip and single_word")
    func stripAndSingleWord() throws {
        let json = tinyTokenizerJSON(
            vocab: byteAlphabet,
            added: [addedToken(256, "<L>", lstrip: true), addedToken(257, "<R>", rstrip: true),
                    addedToken(258, "cat", special: false, singleWord: true)],
            preTokenizer: byteLevelPre, decoder: byteLevelDecoder)
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(json.utf8))
        let e1 = tokenizer.encodeWithOffsets("a  <L>  b")
        #expect(e1.ids.contains(256))
        #expect(e1.offsets[e1.ids.firstIndex(of: 256)!] == 1 ..< 6)  // took both spaces on its left
        let e2 = tokenizer.encodeWithOffsets("a  <R>  b")
        #expect(e2.offsets[e2.ids.firstIndex(of: 257)!] == 3 ..< 8)  // and on its right
        #expect(tokenizer.encode("a cat b").contains(258))
        #expect(!tokenizer.encode("a cats b").contains(258))
        #expect(!tokenizer.encode("concat").contains(258))
        #expect(tokenizer.encode("cat").contains(258))
    }

    @Test("normalized added tokens match the normalised text")
    func normalizedAddedToken() throws {
        let json = tinyTokenizerJSON(
            vocab: byteAlphabet, added: [addedToken(256, "hello", special: false, normalized: true)],
            normalizer: Normalizer.lowercase.json, preTokenizer: byteLevelPre, decoder: byteLevelDecoder)
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(json.utf8))
        let encoding = tokenizer.encodeWithOffsets("say HELLO")
        #expect(encoding.ids.last == 256)
        #expect(encoding.offsets.last == 4 ..< 9)
    }

    @Test("merges in both formats give the same model; a left part may start with a space")
    func mergeFormats() throws {
        let vocab = ["a", "b", "ab", "c", "abc", " ", " a"]
        let pairs = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
            vocab: vocab, merges: .array([.array([.string("a"), .string("b")]), .array([.string("ab"), .string("c")]),
                                          .array([.string(" "), .string("a")])])).utf8))
        let strings = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
            vocab: vocab, merges: .array([.string("a b"), .string("ab c"), .string("  a")])).utf8))
        #expect(pairs.model.merges == strings.model.merges)
        #expect(strings.encode("abcab") == [4, 2])
        #expect(strings.encode(" ab") == [5, 2])  // (a, b) outranks (" ", a)
        #expect(strings.encode(" a") == [6])  // the merge "  a" is (" ", "a")
    }

    @Test("lowest-rank merge first, leftmost on ties")
    func mergeOrder() throws {
        // "aaa": merge (a,a) → "aa a" (leftmost). "abc" with ranks bc < ab → "a bc".
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
            vocab: ["a", "b", "c", "aa", "ab", "bc"],
            merges: .array([.string("b c"), .string("a a"), .string("a b")])).utf8))
        #expect(tokenizer.encode("aaa") == [3, 0])
        #expect(tokenizer.encode("abc") == [0, 5])
        #expect(tokenizer.encode("aabc") == [3, 5])
    }

    @Test("ignore_merges uses a whole-word token directly")
    func ignoreMerges() throws {
        func make(_ ignore: Bool) throws -> Tokenizer {
            try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
                vocab: ["a", "b", "c", "bc", "abc"], merges: .array([.string("b c")]),
                modelExtras: [JSONMember("ignore_merges", .bool(ignore))]).utf8))
        }
        #expect(try make(false).encode("abc") == [0, 3])
        #expect(try make(true).encode("abc") == [4])
    }

    @Test("unknown characters: unk (fused) or byte fallback, else dropped")
    func unknownCharacters() throws {
        let fallback = (0 ..< 256).map { String(format: "<0x%02X>", $0) }
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
            vocab: ["<unk>", "a"] + fallback.filter { $0 != "<0xC3>" },
            decoder: TokenDecoder.sequence([.byteFallback, .fuse]).json,
            modelExtras: [JSONMember("unk_token", .string("<unk>")), JSONMember("fuse_unk", .bool(true)),
                          JSONMember("byte_fallback", .bool(true))]).utf8))
        // "é" is C3 A9: <0xC3> is missing, so no fallback → unk; "€€" (E2 82 AC) falls back to bytes.
        let ids = tokenizer.encode("aéé€")
        #expect(ids.first == 1)
        #expect(ids[1] == 0 && ids[2] != 0)  // the two unknown "é" fused into one <unk>
        #expect(tokenizer.decode(Array(ids.dropFirst(2))) == "€")
        let noUnk = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(vocab: ["a"]).utf8))
        #expect(noUnk.encode("aéa") == [0, 0])
    }

    @Test("post-processors add BOS/EOS only with addSpecialTokens")
    func postProcessors() throws {
        let template: JSONValue = PostProcessor.template(
            single: [.specialToken(id: "<s>", typeID: 0), .sequence(id: "A", typeID: 0), .specialToken(id: "</s>", typeID: 0)],
            pair: [], specialTokens: [TemplateSpecialToken(id: "<s>", ids: [1], tokens: ["<s>"]),
                                      TemplateSpecialToken(id: "</s>", ids: [2], tokens: ["</s>"])]).json
        let tokenizer = try Tokenizer(tokenizerJSONData: Data(tinyTokenizerJSON(
            vocab: ["a", "<s>", "</s>"], added: [addedToken(1, "<s>"), addedToken(2, "</s>")], postProcessor: template).utf8))
        #expect(tokenizer.encode("aa") == [0, 0])
        #expect(tokenizer.encode("aa", addSpecialTokens: true) == [1, 0, 0, 2])
        let e = tokenizer.encodeWithOffsets("aa", addSpecialTokens: true)
        #expect(e.offsets == [0 ..< 0, 0 ..< 1, 1 ..< 2, 2 ..< 2])
        #expect(e.specialTokensMask == [true, false, false, true])
        #expect(tokenizer.decode([1, 0, 2]) == "<s> a </s>")  // no decoder: tokens joined by spaces (tokenizers)
        #expect(tokenizer.decode([1, 0, 2], skipSpecialTokens: true) == "a")
        let roberta = PostProcessor.sequence([.byteLevel(trimOffsets: false), .roberta(sep: "</s>", sepID: 2, cls: "<s>", clsID: 1)])
        #expect(roberta.singleSequenceAffixes.prefix == [1] && roberta.singleSequenceAffixes.suffix == [2])
    }

    @Test("decoders: Replace, ByteFallback, Fuse, Strip, Metaspace")
    func decoders() {
        let chain = TokenDecoder.sequence([.replace(pattern: .string("▁"), content: " "), .byteFallback, .fuse,
                                           .strip(content: " ", start: 1, stop: 0)])
        #expect(chain.decode(["▁Hello", "▁w", "<0xC3>", "<0xA9>", "rld", "<0xFF>"]).joined() == "Hello wérld\u{FFFD}")
        #expect(TokenDecoder.metaspace(replacement: "▁", prependScheme: .always).decode(["▁a", "▁b"]).joined() == "a b")
        #expect(TokenDecoder.byteLevel.decode(["Ġh", "Ã©", "<|x|>"]).joined() == " hé<|x|>")
        #expect(TokenDecoder.byteLevel.decode(["Ã"]).joined() == "\u{FFFD}")  // invalid UTF-8 is replaced
    }

    @Test("normalizers keep offsets pointing at the original text")
    func normalizerOffsets() throws {
        let pipeline = try NormalizerPipeline(.sequence([.nfkc, .lowercase, .replace(pattern: .string(" "), content: "▁"), .prepend("▁")]))
        let text = "ﬁ É"
        let out = pipeline.run(AlignedText(bytes: Array(text.utf8), base: 0))
        #expect(out.string == "▁fi▁é")
        #expect(out.originalRange(0 ..< out.count) == 0 ..< Array(text.utf8).count)
        #expect(out.originalRange(3 ..< 5) == 0 ..< 3)  // "fi" ← "ﬁ"
        #expect(out.originalRange(8 ..< 10) == 4 ..< 6)  // "é" ← "É"
        let strip = try NormalizerPipeline(.strip(left: true, right: true)).run(AlignedText(bytes: Array("  ab \t".utf8), base: 0))
        #expect(strip.string == "ab" && strip.originalRange(0 ..< 2) == 2 ..< 4)
    }

    @Test("tolerates unknown fields anywhere")
    func unknownFields() throws {
        let json = tinyTokenizerJSON(
            vocab: ["a"], preTokenizer: .object([JSONMember("type", .string("Whitespace")), JSONMember("future", .integer(1))]),
            modelExtras: [JSONMember("dropout", .null), JSONMember("some_new_option", .object([]))],
            topExtras: [JSONMember("truncation", .object([JSONMember("max_length", .integer(5))])), JSONMember("x", .array([]))])
        #expect(try Tokenizer(tokenizerJSONData: Data(json.utf8)).encode("a a") == [0, 0])
    }

    @Test("JSON reader: escapes, surrogates, numbers, order, writer round trip")
    func jsonReader() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":[true,null,-2.5e1,"\u00e9\ud83d\ude00\n\"\\/"],"c":{}}"#)
        guard case let .object(members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "c"])
        #expect(value["a"] == .array([.bool(true), .null, .number(-25), .string("é😀\n\"\\/")]))
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(try JSONValue.parse(value.serialized(pretty: false)) == value)
        #expect(try JSONValue.parse("\u{FEFF}[1]".data(using: .utf8)!, options: .python) == .array([.integer(1)]))
    }
}

@Suite("Codable components")
struct CodableComponentTests {
    @Test("pipeline components round-trip through JSONEncoder/JSONDecoder in tokenizer.json form")
    func roundTrip() throws {
        let pre = PreTokenizer.sequence([.split(pattern: .regex(PreTokenizer.llama3Pattern), behavior: .isolated), .digits(individualDigits: true),
                                         .byteLevel(addPrefixSpace: false, useRegex: false)])
        let data = try JSONEncoder().encode(pre)
        #expect(try JSONDecoder().decode(PreTokenizer.self, from: data) == pre)
        #expect(String(decoding: data, as: UTF8.self).contains("\"type\":\"Sequence\""))
        let normalizer = Normalizer.sequence([.nfc, .replace(pattern: .string(" "), content: "▁"), .prepend("▁")])
        #expect(try JSONDecoder().decode(Normalizer.self, from: JSONEncoder().encode(normalizer)) == normalizer)
        let decoder = TokenDecoder.sequence([.replace(pattern: .string("▁"), content: " "), .byteFallback, .fuse, .strip(content: " ", start: 1, stop: 0)])
        #expect(try JSONDecoder().decode(TokenDecoder.self, from: JSONEncoder().encode(decoder)) == decoder)
        let token = AddedToken(id: 5, content: "<x>", special: true, lstrip: true)
        #expect(try JSONDecoder().decode(AddedToken.self, from: JSONEncoder().encode(token)) == token)
        struct Config: Codable { var preTokenizer: PreTokenizer }
        let bad = #"{"preTokenizer": {"type": "Nope"}}"#
        #expect(throws: TokenizerError.self) { try JSONDecoder().decode(Config.self, from: Data(bad.utf8)) }
    }
}
