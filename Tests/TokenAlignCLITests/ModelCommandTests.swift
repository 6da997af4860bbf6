import ArgumentParser
import Foundation
import Testing
import Tokenizers
@testable import TokenAlignCLI

let cliFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// A temporary copy of the tiny GPT-2 fixture plus a tokenizer trained to fit its 512-token vocabulary.
func tinyModelWithTokenizer() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(at: cliFixtures.appendingPathComponent("models/gpt2/\(f)"), to: dir.appendingPathComponent(f))
    }
    let corpus = (0 ..< 200).map { "the quick brown fox \($0) jumps over the lazy dog; tokens are credit \($0 % 7)" }
    let tok = try BPETrainer(vocabularySize: 500, specialTokens: ["<|endoftext|>"]).train(corpus)
    try tok.save(to: dir.appendingPathComponent("tokenizer.json"))
    return dir
}

func run(_ args: [String]) throws {
    var cmd = try TokenAlignCommand.parseAsRoot(args)
    try cmd.run()
}

@Suite(.serialized) struct ModelCommandTests {
    @Test func scoreWritesAlignedLogprobsForEveryRowKind() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl"), output = dir.appendingPathComponent("out.jsonl")
        try """
        {"text": "the quick brown fox"}
        {"prompt": "the lazy", "completion": " dog jumps"}

        {"ids": [5, 17, 300, 42]}
        """.write(to: input, atomically: true, encoding: .utf8)
        try run(["score", "--model", dir.path, "--data", input.path, "--out", output.path])
        let rows = try readJSONL(output.path).map(\.object)
        #expect(rows.count == 3)
        let r0 = rows[0], r1 = rows[1], r2 = rows[2]
        #expect((r0["logprobs"] as! [Double]).count == (r0["ids"] as! [Int]).count - 1)
        #expect((r0["entropies"] as! [Double]).count == (r0["ids"] as! [Int]).count - 1)
        let start = r1["completion_start"] as! Int
        #expect((r1["logprobs"] as! [Double]).count == (r1["ids"] as! [Int]).count - start)
        #expect((r2["ids"] as! [Int]) == [5, 17, 300, 42])
        #expect((r2["logprobs"] as! [Double]).allSatisfy { $0 <= 0 })
        #expect((r2["entropies"] as! [Double]).allSatisfy { $0 >= 0 && $0 <= log(512) + 1e-4 })
        #expect((r2["tokens"] as! [String]).count == 4)
    }

    @Test func scoreRejectsBadRowsWithFileAndLine() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("bad.jsonl")
        try "{\"text\": \"ok\"}\n{\"ids\": [1, 99999]}\n".write(to: input, atomically: true, encoding: .utf8)
        do {
            try run(["score", "--model", dir.path, "--data", input.path, "--out", dir.appendingPathComponent("o.jsonl").path])
            Issue.record("should have failed")
        } catch {
            #expect("\(error)".contains("bad.jsonl:2"))
        }
        try "{\"text\": \"ok\"}\nnot json\n".write(to: input, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) {
            try run(["score", "--model", dir.path, "--data", input.path, "--out", dir.appendingPathComponent("o.jsonl").path])
        }
    }

    @Test func tokenizerEncodeDecodeRoundTrip() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("t.jsonl"), ids = dir.appendingPathComponent("ids.jsonl"), back = dir.appendingPathComponent("back.jsonl")
        try "{\"text\": \"the quick brown fox 12\"}\n{\"text\": \"é ü 🙂\"}\n".write(to: input, atomically: true, encoding: .utf8)
        try run(["tokenizer", "encode", "--tokenizer", dir.path, "--input", input.path, "--output", ids.path])
        try run(["tokenizer", "decode", "--tokenizer", dir.appendingPathComponent("tokenizer.json").path, "--input", ids.path, "--output", back.path])
        let texts = try readJSONL(back.path).map { $0.object["text"] as! String }
        #expect(texts == ["the quick brown fox 12", "é ü 🙂"])
    }

    @Test func tokenizerTrainWritesALoadableTokenizer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt")
        try (0 ..< 100).map { "line \($0): credit goes to the token that erred" }.joined(separator: "\n").write(to: corpus, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("tokenizer.json")
        try run(["tokenizer", "train", "--input", corpus.path, "--output", out.path, "--vocab-size", "300", "--special", "<pad>"])
        let tok = try Tokenizer(tokenizerJSON: out)
        #expect(tok.vocabularySize <= 300 && tok.tokenToID("<pad>") == 0)
        #expect(tok.decode(tok.encode("credit goes to the token")) == "credit goes to the token")
    }

    @Test func generateAndConvertRunEndToEnd() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        try run(["generate", "--model", dir.path, "--prompt", "the quick", "--max-new-tokens", "5"])
        try run(["generate", "--model", dir.path, "--prompt", "the quick", "--max-new-tokens", "5", "--temperature", "0.8", "--top-p", "0.9", "--seed", "3"])
        let out = dir.appendingPathComponent("converted")
        try run(["convert", "--model", dir.path, "--out", out.path])
        for f in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f)")
        }
        #expect(throws: (any Error).self) { try run(["generate", "--model", dir.path, "--prompt", "x", "--top-p", "0"]) }
        #expect(throws: (any Error).self) { try run(["generate", "--model", dir.appendingPathComponent("nope").path, "--prompt", "x"]) }
    }
}
