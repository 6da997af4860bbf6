// The `tie` column of preference rows (RRM's neutral pairs, target P = ½): a JSON boolean, never
// with a margin; collated pairs carry the margins (0 where a row has none) and the tie flags.
import Datasets
import Foundation
import Testing

@Suite struct TieColumnTests {
    func record(_ json: String) throws -> DatasetRecord {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try DatasetRecord(object, at: RowLocation(file: "f.jsonl", line: 4))
    }

    @Test func tieIsABooleanWithoutAMargin() throws {
        guard case .preference(_, _, _, _, _, let t) = try record(#"{"prompt": "a", "chosen": "b", "rejected": "c", "tie": true}"#) else {
            Issue.record("not a preference row")
            return
        }
        #expect(t)
        guard case .preference(_, _, _, let m, _, let f) = try record(#"{"prompt": "a", "chosen": "b", "rejected": "c", "tie": false, "margin": 1}"#) else {
            Issue.record("not a preference row")
            return
        }
        #expect(!f && m == 1)
        for (json, field) in [(#"{"prompt": "a", "chosen": "b", "rejected": "c", "tie": 1}"#, "tie"),
                              (#"{"prompt": "a", "chosen": "b", "rejected": "c", "tie": "yes"}"#, "tie"),
                              (#"{"prompt": "a", "chosen": "b", "rejected": "c", "tie": true, "margin": 0.5}"#, "margin")] {
            #expect { try record(json) } throws: { "\($0)".contains("f.jsonl:4") && "\($0)".contains(field) }
        }
    }

    @Test func collatedPairsCarryMarginsAndTies() {
        func seq(_ ids: [Int]) -> TokenizedSequence {
            TokenizedSequence(ids: ids, trainMask: ids.map { _ in true }, promptLength: 0)
        }
        let loc = RowLocation(file: "f.jsonl", line: 1)
        let plain = PreferenceExample(location: loc, chosen: seq([1, 2]), rejected: seq([1, 3]))
        let margin = PreferenceExample(location: loc, chosen: seq([1, 2]), rejected: seq([1, 3]), margin: 0.5)
        let tie = PreferenceExample(location: loc, chosen: seq([1, 2]), rejected: seq([1, 3]), tie: true)
        let none = Collator.collatePairs([plain, plain], padID: 0)
        #expect(none.pairMargins == nil && none.pairTies == nil)
        let mixed = Collator.collatePairs([plain, margin, tie], padID: 0)
        #expect(mixed.pairMargins == [0, 0.5, 0] && mixed.pairTies == [0, 0, 1])
    }
}
