// Malformed inputs produce typed errors that name the file and the JSON path; nothing crashes.
import Foundation
import Testing
@testable import Tokenizers

func loadError(_ json: String, file: String = "tokenizer.json") -> TokenizerError? {
    tokenizerError { _ = try Tokenizer(tokenizerJSONData: Data(json.utf8), file: file) }
}

@Suite("Errors")
struct ErrorTests {
    @Test("syntax errors give the byte, line and column")
    func syntax() {
        let error = loadError("{\n  \"model\": {\"vocab\": {\"a\": 0,}}\n}")
        guard case let .malformedJSON(file, path, _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(file == "tokenizer.json")
        #expect(path.contains("line 2"))
        for bad in ["", "[", "{\"a\" 1}", "{\"a\": tru}", "\"\\x\"", "{\"a\": \"\u{01}\"}", "[1] 2", "{\"a\": 1e}"] {
            guard case .malformedJSON? = loadError(bad) else {
                Issue.record("\(bad.debugDescription) did not give malformedJSON")
                continue
            }
        }
    }

    @Test("missing and mistyped fields name their JSON path")
    func fields() {
        #expect(loadError("{}") == .missingField(file: "tokenizer.json", path: "model"))
        #expect(loadError("[]") == .invalidValue(file: "tokenizer.json", path: "(root)", reason: "expected an object, found an array"))
        #expect(loadError(#"{"model": {"type": "BPE"}}"#) == .missingField(file: "tokenizer.json", path: "model.vocab"))
        #expect(loadError(#"{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}"#)
            == .invalidValue(file: "tokenizer.json", path: "model.vocab.a", reason: "expected an integer, found a string"))
        #expect(loadError(#"{"model": {"type": "BPE", "vocab": {"a b": -1}, "merges": []}}"#)
            == .invalidValue(file: "tokenizer.json", path: #"model.vocab["a b"]"#, reason: "token id -1 out of range"))
        #expect(loadError(#"{"model": {"type": "BPE", "vocab": {}, "merges": 3}}"#)
            == .invalidValue(file: "tokenizer.json", path: "model.merges", reason: "expected an array, found a number"))
        #expect(loadError(#"{"added_tokens": [{"id": 1}], "model": {"type": "BPE", "vocab": {}, "merges": []}}"#)
            == .missingField(file: "tokenizer.json", path: "added_tokens[0].content"))
    }

    @Test("merges that name unknown tokens or are malformed")
    func merges() {
        let unknown = loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a c"]}}"#)
        #expect(unknown == .unknownToken(file: "tokenizer.json", path: "model.merges[1]", token: "c"))
        let noResult = loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}"#)
        #expect(noResult == .unknownToken(file: "tokenizer.json", path: "model.merges[0]", token: "ab"))
        let noSpace = loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}}"#)
        guard case .invalidValue(_, "model.merges[0]", _)? = noSpace else {
            Issue.record("wrong error \(String(describing: noSpace))")
            return
        }
        let triple = loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "a", "a"]]}}"#)
        guard case .invalidValue(_, "model.merges[0]", _)? = triple else {
            Issue.record("wrong error \(String(describing: triple))")
            return
        }
    }

    @Test("unsupported components are named")
    func unsupported() {
        let model = #""model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}"#
        #expect(loadError(#"{"model": {"type": "WordPiece", "vocab": {}}}"#)
            == .unsupported(file: "tokenizer.json", path: "model.type", feature: #"model type "WordPiece" (only BPE is implemented)"#))
        // Unigram (T5-style SentencePiece) is refused too: none of the supported families uses it.
        #expect(loadError(#"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.5]]}}"#)
            == .unsupported(file: "tokenizer.json", path: "model.type", feature: #"model type "Unigram" (only BPE is implemented)"#))
        #expect(loadError(#"{"normalizer": {"type": "BertNormalizer"}, "# + model + "}")
            == .unsupported(file: "tokenizer.json", path: "normalizer.type", feature: #"normalizer type "BertNormalizer""#))
        #expect(loadError(#"{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "UnicodeScripts"}]}, "# + model + "}")
            == .unsupported(file: "tokenizer.json", path: "pre_tokenizer.pretokenizers[1].type", feature: #"pre-tokenizer type "UnicodeScripts""#))
        #expect(loadError(#"{"decoder": {"type": "WordPiece"}, "# + model + "}")
            == .unsupported(file: "tokenizer.json", path: "decoder.type", feature: #"decoder type "WordPiece""#))
        #expect(loadError(#"{"post_processor": {"type": "Fancy"}, "# + model + "}")
            == .unsupported(file: "tokenizer.json", path: "post_processor.type", feature: #"post-processor type "Fancy""#))
        guard case .unsupported(_, "model.continuing_subword_prefix", _)? =
            loadError(#"{"model": {"type": "BPE", "vocab": {}, "merges": [], "continuing_subword_prefix": "@@"}}"#)
        else {
            Issue.record("continuing_subword_prefix accepted")
            return
        }
    }

    @Test("bad regexes, behaviours and template tokens")
    func badValues() {
        let model = #""model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}"#
        let regex = loadError(#"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}, "# + model + "}")
        guard case .invalidValue(_, "pre_tokenizer.pattern", _)? = regex else {
            Issue.record("wrong error \(String(describing: regex))")
            return
        }
        let behavior = loadError(#"{"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}, "# + model + "}")
        #expect(behavior == .invalidValue(file: "tokenizer.json", path: "pre_tokenizer.behavior", reason: #"unknown split behavior "Sideways""#))
        let pattern = loadError(#"{"pre_tokenizer": {"type": "Split", "pattern": {"Glob": "*"}, "behavior": "Isolated"}, "# + model + "}")
        guard case .invalidValue(_, "pre_tokenizer.pattern", _)? = pattern else {
            Issue.record("wrong error \(String(describing: pattern))")
            return
        }
        let template = loadError(#"{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}, "# + model + "}")
        #expect(template == .unknownToken(file: "tokenizer.json", path: "post_processor.special_tokens", token: "<s>"))
    }

    @Test("descriptions name the file and the path")
    func descriptions() {
        let error = TokenizerError.unknownToken(file: "tokenizer.json", path: "model.merges[3]", token: "Ġx")
        #expect(error.description == #"tokenizer.json: token "Ġx" at model.merges[3] is not in the vocabulary"#)
        #expect(error.localizedDescription.contains("model.merges[3]"))
        #expect(TokenizerError.missingField(file: "f.json", path: "model").description == "f.json: missing required field model")
    }

    @Test("unreadable files and folders")
    func files() {
        let missing = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        guard case .unreadableFile(let file, _)? = tokenizerError({ _ = try Tokenizer(tokenizerJSON: missing) }) else {
            Issue.record("no unreadableFile")
            return
        }
        #expect(file == "/nonexistent/tokenizer.json")
        #expect(tokenizerError { _ = try Tokenizer(directory: URL(fileURLWithPath: "/nonexistent")) } != nil)
        #expect(tokenizerError {
            _ = try Tokenizer(gpt2Vocabulary: URL(fileURLWithPath: "/nonexistent/vocab.json"), merges: missing)
        } != nil)
    }

    @Test("GPT-2 files: bad merges.txt lines")
    func gpt2Files() throws {
        try withTemporaryDirectory { dir in
            let vocab = dir.appendingPathComponent("vocab.json")
            let merges = dir.appendingPathComponent("merges.txt")
            try Data(#"{"a": 0, "b": 1, "ab": 2}"#.utf8).write(to: vocab)
            try Data("#version: 0.2\na b\na x\n".utf8).write(to: merges)
            #expect(tokenizerError { _ = try Tokenizer(gpt2Vocabulary: vocab, merges: merges) }
                == .unknownToken(file: "merges.txt", path: "line 3", token: "x"))
            try Data("#version: 0.2\na b\n".utf8).write(to: merges)
            #expect(try Tokenizer(gpt2Vocabulary: vocab, merges: merges).encode("ab") == [2])
        }
    }

    @Test("GGUF metadata: unsupported model or pre-tokenizer, bad merges, ids out of range")
    func gguf() {
        let tokens = ["a", "b", "ab"]
        func meta(model: String = "gpt2", pre: String? = "gpt-2", merges: [String] = ["a b"], bos: Int? = nil,
                  types: [Int]? = nil) -> GGUFTokenizerMetadata
        {
            GGUFTokenizerMetadata(model: model, pre: pre, tokens: tokens, tokenTypes: types, merges: merges, bosTokenID: bos)
        }
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(model: "t5")) }
            == .unsupported(file: "GGUF metadata", path: "tokenizer.ggml.model",
                            feature: #"tokenizer model "t5" ("gpt2", byte-level BPE, and "llama", SentencePiece BPE, are implemented)"#))
        // A SentencePiece ("llama") vocabulary merges by score: without scores it is refused.
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(model: "llama")) }
            == .invalidValue(file: "GGUF metadata", path: "tokenizer.ggml.scores", reason: #"missing (a "llama" tokenizer merges by score)"#))
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(pre: "no-such-pre")) }
            == .unsupported(file: "GGUF metadata", path: "tokenizer.ggml.pre", feature: #"llama.cpp pre-tokenizer "no-such-pre""#))
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(merges: ["a b", "ab"])) }
            == .invalidValue(file: "GGUF metadata", path: "tokenizer.ggml.merges[1]", reason: #"expected "left right", found "ab""#))
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(merges: ["a c"])) }
            == .unknownToken(file: "GGUF metadata", path: "tokenizer.ggml.merges[0]", token: "c"))
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(bos: 7)) }
            == .invalidValue(file: "GGUF metadata", path: "tokenizer.ggml.bos_token_id", reason: "token id 7 outside 0..<3"))
        #expect(tokenizerError { _ = try Tokenizer(gguf: meta(types: [1])) } != nil)
        #expect((try? Tokenizer(gguf: meta()))?.encode("ab") == [2])
    }

    @Test("every llama.cpp pre-tokenizer listed compiles",
          arguments: ["default", "llama3", "llama-bpe", "gpt-2", "smollm", "qwen2", "qwen35", "falcon", "deepseek-coder", "deepseek-llm",
                      "deepseek-v3", "poro-chat", "viking", "tekken", "gpt-4o", "seed-coder", "dbrx", "chatglm-bpe"])
    func llamaCppPatternsCompile(_ name: String) throws {
        let entry = try #require(LlamaCppPreTokenizer.named(name))
        let pipeline = try PreTokenizerPipeline(entry.preTokenizer)
        let text = "Hello, World! 12345 naïve 中文 'll"
        let pieces = pipeline.run(AlignedText(bytes: Array(text.utf8), base: 0))
        #expect(pieces.flatMap(\.bytes) == Array(text.utf8))  // splitting only, nothing lost
    }
}

@Suite("Loading entry points")
struct LoadingTests {
    @Test("contentsOf: a tokenizer.json file or a folder")
    func contentsOf() throws {
        let file = try Tokenizer(contentsOf: Paths.fixture("tiny_smollm.json"))
        try withTemporaryDirectory { dir in
            try FileManager.default.copyItem(at: Paths.fixture("tiny_smollm.json"), to: dir.appendingPathComponent("tokenizer.json"))
            let folder = try Tokenizer(contentsOf: dir)
            #expect(folder.encode("Hello 123") == file.encode("Hello 123"))
            // save(to:) writes a file that loads back to the same tokenizer.
            let saved = dir.appendingPathComponent("saved.json")
            try file.save(to: saved)
            #expect(try Tokenizer(contentsOf: saved).tokenizerJSON() == file.tokenizerJSON())
        }
    }

    @Test("absurd ids are rejected, not allocated")
    func hugeIDs() {
        let error = loadError(#"{"model": {"type": "BPE", "vocab": {"a": 99999999999}, "merges": []}}"#)
        guard case .invalidValue(_, "model.vocab.a", _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        let negative = loadError(#"{"added_tokens": [{"id": -4, "content": "x"}], "model": {"type": "BPE", "vocab": {}, "merges": []}}"#)
        guard case .invalidValue(_, "added_tokens[0].id", _)? = negative else {
            Issue.record("wrong error \(String(describing: negative))")
            return
        }
    }
}
