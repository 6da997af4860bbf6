import Datasets
import Foundation
import Testing
import Tokenizers

/// Every malformed row names the file, the line and the field.
@Suite struct DatasetErrorTests {
    let tok: Tokenizer
    init() throws { tok = try fixtureTokenizer() }

    static let cases: [(line: String, field: String?)] = [
        (#"{"prompt": "a", "chosen": "b"}"#, "rejected"),
        (#"{"prompt": "a", "rejected": "b"}"#, "chosen"),
        (#"{"prompt": "a", "chosen": 3, "rejected": "b"}"#, "chosen"),
        (#"{"prompt": [{"role": "user", "content": "a"}], "chosen": "b", "rejected": "c"}"#, "chosen"),
        (#"{"prompt": "a", "chosen": [{"role": "assistant", "content": "b"}], "rejected": [{"role": "bot", "content": "c"}]}"#, "rejected[0].role"),
        (#"{"prompt": "a", "chosen": [{"role": "assistant"}], "rejected": [{"role": "assistant", "content": "c"}]}"#, "chosen[0].content"),
        (#"{"prompt": "a", "chosen": "b", "rejected": "c", "margin": "big"}"#, "margin"),
        (#"{"prompt": "a", "chosen": " b", "rejected": " c", "chosen_token_rewards": [1, 2, 3, 4, 5, 6, 7, 8, 9]}"#, "chosen_token_rewards"),
        (#"{"prompt": "a", "chosen": " b", "rejected": " c", "rejected_token_rewards": [1, "x"]}"#, "rejected_token_rewards[1]"),
        (#"{"prompt": "a", "chosen": " b", "rejected": " c", "rejected_error_spans": [{"start": 0, "end": 9}]}"#, "rejected_error_spans[0]"),
        (#"{"prompt": "a", "chosen": " b", "rejected": " c", "rejected_error_spans": [{"start": 0}]}"#, "rejected_error_spans[0].end"),
        (#"{"prompt": "a", "chosen": " b", "rejected": " c", "rejected_error_spans": [{"start": 0, "end": 1, "severity": "huge"}]}"#, "rejected_error_spans[0].severity"),
        (#"{"prompt": "a", "completion": "b", "label": "yes"}"#, "label"),
        (#"{"prompt": "a", "completions": ["b"], "labels": [true, false]}"#, "labels"),
        (#"{"prompt": "a", "completions": ["b"], "labels": [1]}"#, "labels"),
        (#"{"completion": "b"}"#, "prompt"),
        (#"{"text": 5}"#, "text"),
        (#"{"input": "x"}"#, nil),
        (#"[1, 2]"#, nil),
        (#"{"prompt": "a", "chosen": "#, nil),
    ]

    @Test(arguments: 0 ..< cases.count)
    func malformedRowNamesFileLineAndField(_ k: Int) throws {
        let (line, field) = Self.cases[k]
        let path = try writeLines([#"{"prompt": "fine", "chosen": " yes", "rejected": " no"}"#, "", line])
        let e = datasetError { _ = try DatasetLoader.load(path) { record, loc in
            if case .preference = record { return try DatasetEncoder(tokenizer: tok).encodePreference(record, at: loc).chosen }
            return try DatasetEncoder(tokenizer: tok).encodeSequence(record, at: loc).sequence
        } }
        #expect(e != nil, "row \(line) was accepted")
        #expect(e?.location == RowLocation(file: path, line: 3))
        #expect(e?.field == field, "\(String(describing: e))")
        #expect(e?.description.contains("\(path):3") == true)
    }

    @Test func skippingIsOptInAndCounted() throws {
        let path = try writeLines([#"{"prompt": "a", "chosen": " b", "rejected": " c"}"#, #"{"prompt": "a", "chosen": " b"}"#, #"{"text": 1}"#])
        let enc = DatasetEncoder(tokenizer: tok)
        #expect(throws: DatasetError.self) { try DatasetLoader.preferences(path, encoder: enc) }
        let d = try DatasetLoader.preferences(path, encoder: enc, policy: .skip)
        #expect(d.examples.count == 1)
        #expect(d.report.rowsRead == 3 && d.report.rowsUsed == 1 && d.report.skipped.count == 2)
        #expect(d.report.skipped.map { $0.location?.line } == [2, 3])
    }

    @Test func wrongKindAndEmptyAndMissingFile() throws {
        let enc = DatasetEncoder(tokenizer: tok)
        let path = try writeLines([#"{"text": "hello"}"#])
        let e = datasetError { _ = try DatasetLoader.preferences(path, encoder: enc) }
        #expect(e == .wrongKind(RowLocation(file: path, line: 1), expected: "preference", actual: "language-modeling"))
        let empty = try writeLines([""])
        #expect(datasetError { _ = try DatasetLoader.sequences(empty, encoder: enc) } == .empty(file: empty))
        #expect(datasetError { _ = try DatasetLoader.sequences("/nonexistent.jsonl", encoder: enc) } != nil)
    }
}
