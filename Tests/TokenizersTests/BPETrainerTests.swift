// The BPE trainer: identical vocabularies and merges to HF `tokenizers`' BpeTrainer on the committed
// corpus, determinism, interchange with Python (a committed Swift-trained tokenizer.json that
// Python loaded and encoded), and speed on ~1 MB.
import Support
import Foundation
import Testing
@testable import Tokenizers

enum TrainerFixtures {
    static let corpus: [String] = {
        guard let root = try? loadFixtureJSON("corpus.json") else { return [] }
        return (root["documents"]?.arrayValue ?? []).compactMap(\.stringValue)
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var preTokenizer: JSONValue
        var vocabularySize: Int
        var specialTokens: [String]
        var minFrequency: Int
        var vocab: [String]
        var merges: [[String]]
        var testDescription: String { name }
    }

    static func cases() -> [Case] {
        guard let root = try? loadFixtureJSON("trainer_cases.json") else { return [] }
        return (root["cases"]?.arrayValue ?? []).map { c in
            Case(name: c["name"]?.stringValue ?? "", preTokenizer: c["pre_tokenizer"] ?? .null,
                 vocabularySize: c["vocab_size"]?.intValue ?? 0,
                 specialTokens: (c["special_tokens"]?.arrayValue ?? []).compactMap(\.stringValue),
                 minFrequency: c["min_frequency"]?.intValue ?? 0,
                 vocab: (c["vocab"]?.arrayValue ?? []).compactMap(\.stringValue),
                 merges: (c["merges"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.stringValue) })
        }
    }

    /// The settings of the committed Swift-trained tokenizer (see verify_swift_trained.py).
    static let swiftTrainedSpecials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    static func trainSwiftFixture() throws -> Tokenizer {
        try BPETrainer(vocabularySize: 420, specialTokens: swiftTrainedSpecials, preTokenizer: .llama3).train(corpus)
    }
}

@Suite("BPE trainer")
struct BPETrainerTests {
    @Test("reproduces HF BpeTrainer's vocabulary and merges exactly", arguments: TrainerFixtures.cases())
    func parity(_ c: TrainerFixtures.Case) throws {
        #expect(!TrainerFixtures.corpus.isEmpty)
        let preTokenizer = try PreTokenizer(node: JSONNode(c.preTokenizer, file: "trainer_cases.json"))
        let trainer = BPETrainer(vocabularySize: c.vocabularySize, specialTokens: c.specialTokens,
                                 preTokenizer: preTokenizer, minFrequency: c.minFrequency)
        let tokenizer = try trainer.train(TrainerFixtures.corpus)
        let vocab = tokenizer.model.tokenStrings.map { $0 ?? "" }
        #expect(vocab.count == c.vocab.count)
        #expect(vocab == c.vocab)
        let merges = tokenizer.model.merges.map { [vocab[$0.left], vocab[$0.right]] }
        #expect(merges.count == c.merges.count)
        if let i = zip(merges, c.merges).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("first differing merge #\(i): \(merges[i]) vs HF \(c.merges[i])")
        }
    }

    @Test("training is deterministic")
    func deterministic() throws {
        let a = try TrainerFixtures.trainSwiftFixture().tokenizerJSON()
        let b = try TrainerFixtures.trainSwiftFixture().tokenizerJSON()
        #expect(a == b)
    }

    @Test("the committed Swift-trained tokenizer.json is what the trainer produces")
    func committedOutput() throws {
        let produced = try TrainerFixtures.trainSwiftFixture().tokenizerJSON().serialized() + "\n"
        let url = Paths.fixture("swift_trained.tokenizer.json")
        if ProcessInfo.processInfo.environment["TOKENALIGN_WRITE_FIXTURES"] == "1" {
            try Data(produced.utf8).write(to: url)
        }
        let committed = try String(contentsOf: url, encoding: .utf8)
        #expect(committed == produced, "regenerate with TOKENALIGN_WRITE_FIXTURES=1, then run verify_swift_trained.py")
    }

    @Test("Python tokenizers and transformers load the Swift-trained file and encode identically")
    func pythonInterchange() throws {
        let check = try loadFixtureJSON("swift_trained.python-check.json")
        #expect(check["same_merges_as_hf_trainer"]?.boolValue == true)
        let tokenizer = try Tokenizer(tokenizerJSON: Paths.fixture("swift_trained.tokenizer.json"))
        let cases = check["cases"]?.arrayValue ?? []
        #expect(cases.count > 20)
        for c in cases {
            let text = c["text"]?.stringValue ?? ""
            let ids = c["ids"]?.intArray ?? []
            #expect(tokenizer.encode(text) == ids, "\(text.debugDescription)")
            #expect(c["transformers_ids"]?.intArray == ids)
            #expect(tokenizer.decode(ids) == c["decoded"]?.stringValue)
        }
    }

    @Test("special tokens come first and are split off when encoding")
    func specials() throws {
        let tokenizer = try TrainerFixtures.trainSwiftFixture()
        #expect(tokenizer.tokenToID("<|endoftext|>") == 0)
        #expect(tokenizer.tokenToID("<|im_end|>") == 2)
        #expect(tokenizer.encode("a<|im_start|>b").contains(1))
        #expect(tokenizer.decode(tokenizer.encode("a<|im_start|>b"), skipSpecialTokens: true) == "ab")
    }

    @Test("bad settings are typed errors")
    func badSettings() {
        #expect(tokenizerError { _ = try BPETrainer(vocabularySize: 10).train(["abc"]) } != nil)
        #expect(tokenizerError { _ = try BPETrainer(vocabularySize: 300, preTokenizer: .whitespace).train(["abc"]) } != nil)
    }

    @Test("maxTokenLength bounds token length; minFrequency stops early")
    func limits() throws {
        let short = try BPETrainer(vocabularySize: 600, maxTokenLength: 3).train(TrainerFixtures.corpus)
        #expect(short.model.tokenBytes.allSatisfy { ($0?.count ?? 0) <= 3 })
        let frequent = try BPETrainer(vocabularySize: 5000, minFrequency: 50).train(TrainerFixtures.corpus)
        #expect(frequent.vocabularySize < 5000)
    }

    @Test("~1 MB of text trains in seconds")
    func speed() throws {
        // A seeded, word-rich synthetic corpus of about 1 MB (many distinct words, unlike a repeated text).
        var rng = SplitMix(seed: 7)
        let syllables = ["ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "ve", "dan", "ber", "qui", "zo", "ex", "th", "ing"]
        var documents: [String] = []
        var total = 0
        while total < 1_000_000 {
            var words: [String] = []
            for _ in 0 ..< 40 {
                var w = ""
                for _ in 0 ..< 1 + Int(rng.next() % 4) { w += syllables[Int(rng.next() % UInt64(syllables.count))] }
                if rng.next() % 10 == 0 { w += String(rng.next() % 1000) }
                words.append(w)
            }
            let doc = words.joined(separator: " ") + ".\n"
            total += doc.utf8.count
            documents.append(doc)
        }
        let start = Date()
        let tokenizer = try BPETrainer(vocabularySize: 4096, specialTokens: ["<|endoftext|>"]).train(documents)
        let seconds = Date().timeIntervalSince(start)
        #expect(tokenizer.vocabularySize == 4096)
        #expect(seconds < 30, "training on \(total) bytes took \(seconds) s")
        print("BPETrainer: \(total) bytes, 4096 tokens in \(String(format: "%.2f", seconds)) s")
    }
}

/// SplitMix64, for seeded test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
