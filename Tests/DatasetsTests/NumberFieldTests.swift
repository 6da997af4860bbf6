import Datasets
import Foundation
import Testing

/// JSON numbers that happen to be 0 or 1 are numbers, not booleans (Foundation on Linux bridges
/// them to NSNumber, where `is Bool` is true for 0 and 1): `"margin": 1` was refused as "not a
/// number" while `0.25` was accepted.
@Suite struct NumberFieldTests {
    func margin(_ json: String) throws -> Float? {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        guard case .preference(_, _, _, let m, _, _) = try DatasetRecord(object, at: RowLocation(file: "f.jsonl", line: 1)) else {
            Issue.record("not a preference row")
            return nil
        }
        return m
    }

    @Test func integerMarginsAreNumbers() throws {
        #expect(try margin(#"{"prompt": "a", "chosen": "b", "rejected": "c", "margin": 1}"#) == 1)
        #expect(try margin(#"{"prompt": "a", "chosen": "b", "rejected": "c", "margin": 0}"#) == 0)
        #expect(try margin(#"{"prompt": "a", "chosen": "b", "rejected": "c", "margin": 0.25}"#) == 0.25)
    }

    @Test func booleanMarginsAreRefused() {
        #expect(throws: DatasetError.self) { try margin(#"{"prompt": "a", "chosen": "b", "rejected": "c", "margin": true}"#) }
    }
}
