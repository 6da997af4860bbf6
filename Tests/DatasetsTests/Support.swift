import Datasets
import Foundation
import Tokenizers

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The committed fixture tokenizer (BPE trained by TokenAlign, ChatML template, EOS <|endoftext|>).
func fixtureTokenizer() throws -> Tokenizer {
    try Tokenizer(directory: fixtures.appendingPathComponent("datasets/tokenizer"))
}

/// Writes JSONL lines to a temporary file and returns its path.
func writeLines(_ lines: [String]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-data-\(UUID().uuidString).jsonl")
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// The error a closure throws, as a `DatasetError`.
func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do { try body() } catch let e as DatasetError { return e } catch { return nil }
    return nil
}
