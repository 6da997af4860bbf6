// `--weights` on the command line: a quantized model scores rows, an unknown storage is a usage
// error listing the ones there are.
import ArgumentParser
import Foundation
import Testing
@testable import TokenAlignCLI

@Suite(.serialized) struct WeightsOptionTests {
    @Test func scoreRunsOnQuantizedWeightsAndUnknownStoragesAreRefused() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl"), output = dir.appendingPathComponent("out.jsonl")
        try #"{"text": "the quick brown fox jumps"}"#.write(to: input, atomically: true, encoding: .utf8)
        for storage in ["q8_0", "bf16", "keep"] {
            try run(["score", "--model", dir.path, "--weights", storage, "--data", input.path, "--out", output.path])
            let rows = try readJSONL(output.path).map(\.object)
            let logprobs = try #require(rows.first?["logprobs"] as? [Double])
            #expect(!logprobs.isEmpty && logprobs.allSatisfy { $0.isFinite && $0 <= 0 }, "\(storage)")
        }
        do {
            _ = try TokenAlignCommand.parseAsRoot(["score", "--model", dir.path, "--weights", "q4_k", "--data", input.path, "--out", output.path])
            Issue.record("--weights q4_k was accepted")
        } catch {
            let message = TokenAlignCommand.message(for: error)
            #expect(message.contains("q4_k") && message.contains("q8_0") && message.contains("keep"), "\(message)")
            #expect(TokenAlignCommand.exitCode(for: error).rawValue == 64)
        }
    }
}
