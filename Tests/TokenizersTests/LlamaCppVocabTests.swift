// llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf{,.inp,.out}, fetched into .assets by
// scripts/fetch-assets.sh). The expected ids were produced by Hugging Face `tokenizers`
// (tests/test-tokenizer-0.py); llama.cpp's own tokenizer must match them, and so must we.
//
// File format, as tests/test-tokenizer-0.cpp reads it: the .inp file is split on
// "\n__ggml_vocab_test__\n" (the file ends with that separator, which yields no extra case); line i
// of the .out file holds the space-separated ids for case i (an empty line for no tokens). Cases are
// encoded with add_special = false and parse_special = false.
import Foundation
import Testing
@testable import Tokenizers

struct LlamaCppCase: CustomTestStringConvertible {
    var index: Int
    var text: String
    var expected: [Int]
    var testDescription: String { "#\(index) \(text.debugDescription.prefix(40))" }
}

func readLlamaCppCases(_ vocab: String) throws -> [LlamaCppCase] {
    let inp = try Data(contentsOf: Paths.asset("llama-vocab/\(vocab).inp"))
    let out = try String(contentsOf: Paths.asset("llama-vocab/\(vocab).out"), encoding: .utf8)
    let raw = [UInt8](inp)
    let separator = Array("\n__ggml_vocab_test__\n".utf8)
    var inputs: [String] = []
    var position = 0
    while position < raw.count {
        var next: Int?
        var i = position
        while i + separator.count <= raw.count {
            if raw[i] == separator[0], raw[i ..< i + separator.count].elementsEqual(separator) {
                next = i
                break
            }
            i += 1
        }
        guard let found = next else {
            inputs.append(String(decoding: raw[position...], as: UTF8.self))
            break
        }
        inputs.append(String(decoding: raw[position ..< found], as: UTF8.self))
        position = found + separator.count
    }
    var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }  // the file's final newline
    guard inputs.count == lines.count else {
        throw GGUFReadError(description: "\(vocab): \(inputs.count) inputs but \(lines.count) output lines")
    }
    return zip(inputs, lines).enumerated().map { i, pair in
        LlamaCppCase(index: i, text: pair.0, expected: pair.1.split(separator: " ").compactMap { Int($0) })
    }
}

let llamaCppAssetsPresent = ["gpt-2", "llama-bpe"].allSatisfy { name in
    ["", ".inp", ".out"].allSatisfy { Paths.assetExists("llama-vocab/ggml-vocab-\(name).gguf\($0)") }
}

@Suite("llama.cpp vocab test vectors", .enabled(if: llamaCppAssetsPresent, Comment(rawValue: fetchAssetsHint)))
struct LlamaCppVocabTests {
    static let gpt2: Tokenizer? = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-gpt-2.gguf")))
    static let llamaBPE: Tokenizer? = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-llama-bpe.gguf")))

    @Test("the vocab files load")
    func load() throws {
        let gpt2 = try Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-gpt-2.gguf")))
        #expect(gpt2.vocabularySize == 50257)
        #expect(gpt2.bosTokenID == 50256)
        let llama = try Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-llama-bpe.gguf")))
        #expect(llama.vocabularySize == 128_256)
        #expect(llama.bosTokenID == 128_000)
        #expect(llama.model.ignoreMerges)
    }

    @Test("ggml-vocab-gpt-2: every case", arguments: (try? readLlamaCppCases("ggml-vocab-gpt-2.gguf")) ?? [])
    func gpt2Case(_ c: LlamaCppCase) throws {
        let tokenizer = try #require(Self.gpt2)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.expected)
        #expect(tokenizer.decode(c.expected) == c.text)
    }

    @Test("ggml-vocab-llama-bpe: every case", arguments: (try? readLlamaCppCases("ggml-vocab-llama-bpe.gguf")) ?? [])
    func llamaCase(_ c: LlamaCppCase) throws {
        let tokenizer = try #require(Self.llamaBPE)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.expected)
        #expect(tokenizer.decode(c.expected) == c.text)
    }

    @Test("46 cases per file, none lost in parsing")
    func caseCount() throws {
        #expect(try readLlamaCppCases("ggml-vocab-gpt-2.gguf").count == 46)
        #expect(try readLlamaCppCases("ggml-vocab-llama-bpe.gguf").count == 46)
    }

    @Test("llama-bpe adds BOS with addSpecialTokens (llama.cpp's add_bos for llama3)")
    func llamaBOS() throws {
        let tokenizer = try #require(Self.llamaBPE)
        #expect(tokenizer.encode("Hello world", addSpecialTokens: true) == [128_000, 9906, 1917])
        #expect(tokenizer.encode("<|begin_of_text|>Hello") == [128_000, 9906])
        #expect(tokenizer.encode("<|begin_of_text|>Hello", parseSpecialTokens: false).first != 128_000)
    }
}

let sentencePieceAssetsPresent = ["llama-spm", "phi-3"].allSatisfy { name in
    ["", ".inp", ".out"].allSatisfy { Paths.assetExists("llama-vocab/ggml-vocab-\(name).gguf\($0)") }
}

/// SentencePiece BPE vocabularies (`tokenizer.ggml.model = "llama"`): Llama 2's and Phi-3's.
@Suite("llama.cpp SentencePiece vocab test vectors", .enabled(if: sentencePieceAssetsPresent, Comment(rawValue: fetchAssetsHint)))
struct LlamaCppSentencePieceTests {
    static let llamaSPM: Tokenizer? = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-llama-spm.gguf")))
    static let phi3: Tokenizer? = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-phi-3.gguf")))

    @Test("the vocab files load")
    func load() throws {
        let llama = try Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-llama-spm.gguf")))
        #expect(llama.vocabularySize == 32_000)
        #expect(llama.bosTokenID == 1 && llama.eosTokenID == 2)
        #expect(!llama.model.isByteLevel && llama.model.byteFallback)
        #expect(try Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-phi-3.gguf"))).vocabularySize >= 32_000)
    }

    @Test("ggml-vocab-llama-spm: every case", arguments: (try? readLlamaCppCases("ggml-vocab-llama-spm.gguf")) ?? [])
    func llamaCase(_ c: LlamaCppCase) throws {
        let tokenizer = try #require(Self.llamaSPM)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.expected)
        #expect(tokenizer.decode(c.expected) == c.text)
    }

    @Test("ggml-vocab-phi-3: every case", arguments: (try? readLlamaCppCases("ggml-vocab-phi-3.gguf")) ?? [])
    func phi3Case(_ c: LlamaCppCase) throws {
        let tokenizer = try #require(Self.phi3)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.expected)
        #expect(tokenizer.decode(c.expected) == c.text)
    }

    @Test("BOS with addSpecialTokens; <s> written in the text only with parseSpecialTokens")
    func bos() throws {
        let tokenizer = try #require(Self.llamaSPM)
        let plain = tokenizer.encode("Hello world")
        #expect(tokenizer.encode("Hello world", addSpecialTokens: true) == [1] + plain)
        #expect(tokenizer.encode("<s>Hello world").first == 1)
        #expect(tokenizer.encode("<s>Hello world", parseSpecialTokens: false).first != 1)
    }

    @Test("a scores array of the wrong length is refused, naming the key")
    func badScores() throws {
        var meta = try ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-llama-spm.gguf"))
        meta.scores = Array((meta.scores ?? []).dropLast())
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: meta) }
        meta.scores = nil
        do {
            _ = try Tokenizer(gguf: meta)
            Issue.record("a llama tokenizer without scores was accepted")
        } catch {
            #expect("\(error)".contains("tokenizer.ggml.scores"))
        }
    }
}

let deepseekAssetsPresent = ["", ".inp", ".out"].allSatisfy { Paths.assetExists("llama-vocab/ggml-vocab-deepseek-llm.gguf\($0)") }

/// The `deepseek-llm` pre-tokenizer (DeepSeek LLM 7B/67B): newline isolation, explicit letter and
/// punctuation ranges with an optional leading space, trailing whitespace, CJK runs, number runs.
@Suite("llama.cpp deepseek-llm vocab test vectors", .enabled(if: deepseekAssetsPresent, Comment(rawValue: fetchAssetsHint)))
struct LlamaCppDeepSeekTests {
    static let tokenizer: Tokenizer? = try? Tokenizer(gguf: ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-deepseek-llm.gguf")))

    @Test("the vocab file loads with the deepseek-llm pre-tokenizer")
    func load() throws {
        let meta = try ggufTokenizerMetadata(Paths.asset("llama-vocab/ggml-vocab-deepseek-llm.gguf"))
        #expect(meta.pre == "deepseek-llm")
        let tokenizer = try Tokenizer(gguf: meta)
        #expect(tokenizer.model.isByteLevel)
        #expect(try readLlamaCppCases("ggml-vocab-deepseek-llm.gguf").count == 46)
    }

    @Test("ggml-vocab-deepseek-llm: every case", arguments: (try? readLlamaCppCases("ggml-vocab-deepseek-llm.gguf")) ?? [])
    func deepseekCase(_ c: LlamaCppCase) throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false, parseSpecialTokens: false) == c.expected)
        #expect(tokenizer.decode(c.expected) == c.text)
    }
}
