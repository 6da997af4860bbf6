import Datasets
import Foundation
import Testing
import Tokenizers

/// User data never reaches a force-unwrap: token rewards come in pairs, and collation of rows with
/// and without annotations does not trap.
@Suite struct TokenRewardPairingTests {
    let tok: Tokenizer
    init() throws { tok = try fixtureTokenizer() }

    func rewards(_ text: String) -> String {
        (0 ..< tok.encode(text).count).map { _ in "0.5" }.joined(separator: ", ")
    }

    @Test func oneSidedTokenRewardsNameTheMissingField() throws {
        let chosenOnly = #"{"prompt": "the quick", "chosen": " fox", "rejected": " dog", "chosen_token_rewards": [\#(rewards(" fox"))]}"#
        let rejectedOnly = #"{"prompt": "the quick", "chosen": " fox", "rejected": " dog", "rejected_token_rewards": [\#(rewards(" dog"))]}"#
        for (line, missing) in [(chosenOnly, "rejected_token_rewards"), (rejectedOnly, "chosen_token_rewards")] {
            let path = try writeLines([#"{"prompt": "fine", "chosen": " yes", "rejected": " no"}"#, line])
            let e = datasetError { _ = try DatasetLoader.preferences(path, encoder: DatasetEncoder(tokenizer: tok)) }
            #expect(e == .missingField(RowLocation(file: path, line: 2), field: missing))
            #expect(e?.description == "\(path):2: field '\(missing)' is missing")
        }
    }

    /// Rows with rewards next to rows without (a file where only some rows are annotated) collate:
    /// the batch has rewards only when every row has them.
    @Test func mixedAnnotationsCollateWithoutTrapping() throws {
        let both = #"{"prompt": "the quick", "chosen": " fox", "rejected": " dog", "chosen_token_rewards": [\#(rewards(" fox"))], "rejected_token_rewards": [\#(rewards(" dog"))]}"#
        let plain = #"{"prompt": "the lazy", "chosen": " cat", "rejected": " cow"}"#
        let path = try writeLines([both, plain])
        let pairs = try DatasetLoader.preferences(path, encoder: DatasetEncoder(tokenizer: tok)).examples
        let mixed = Collator.collatePairs(pairs, padID: 0)
        #expect(mixed.rows == 4 && mixed.tokenRewards == nil)
        let annotated = Collator.collatePairs([pairs[0], pairs[0]], padID: 0)
        #expect(annotated.tokenRewards?.contains(0.5) == true)
    }
}

/// JSONL writing reports a non-finite number with the file, the row's line and the field.
@Suite struct JSONLWriterTests {
    @Test func nonFiniteNumbersAreNamed() throws {
        let rows: [[String: Any]] = [["ids": [1, 2], "logprobs": [Double(-0.5)]], ["ids": [1, 2, 3], "logprobs": [-0.1, Double.nan]]]
        #expect {
            _ = try JSONLWriter.encode(rows, file: "out.jsonl")
        } throws: { error in
            guard case .nonFinite(let file, let row, let field, let value, _) = error as? JSONLWriteError else { return false }
            return file == "out.jsonl" && row == 2 && field == "logprobs[1]" && value.isNaN
                && "\(error)".hasPrefix("out.jsonl:2: field 'logprobs[1]' is nan")
        }
        #expect(JSONLWriter.firstNonFinite(["a": ["b": [Float(1), .infinity]]])?.field == "a.b[1]")
        #expect(JSONLWriter.firstNonFinite(["a": NSNumber(value: Double.infinity), "b": true, "c": "nan"])?.field == "a")
        #expect(JSONLWriter.firstNonFinite(["ok": [1.5, 2], "s": "x"]) == nil)
        let data = try JSONLWriter.encode([["x": 1], ["y": [2.5]]], file: "f")
        #expect(String(decoding: data, as: UTF8.self) == "{\"x\":1}\n{\"y\":[2.5]}\n")
    }
}
