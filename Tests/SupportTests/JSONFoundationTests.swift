// Foundation parity: the files we write must keep the bytes `JSONSerialization` gave them, so the
// writer is compared with it on seeded random rows (sorted keys, compact and pretty); the key
// order is checked on hand-picked keys; the bridge hands rows back with Foundation's number types.
import Foundation
import Support
import Testing

@Suite struct JSONFoundationTests {
    /// Measured with `JSONSerialization` (.sortedKeys): numeric, case-insensitive, lowercase first,
    /// punctuation before digits before letters.
    @Test func keyOrderMatchesFoundation() {
        let keys = ["b", "B", "a10", "a9", "_x", "Z", "a", "a_b", "a-b", "a.b", "a/b", "a1", "a01", "layer.10.w", "layer.9.w", "ab", "aB", "Ab"]
        let expected = ["_x", "a", "a_b", "a-b", "a.b", "a/b", "a1", "a01", "a9", "a10", "ab", "aB", "Ab", "b", "B", "layer.9.w", "layer.10.w", "Z"]
        #expect(keys.sorted(by: JSONKeyOrder.precedes) == expected)
    }

    struct Generator {
        var rng: SplitMix64
        let keyCharacters = Array("abAB_-./019xyZ ")

        mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

        mutating func key() -> String { String((0 ... int(6)).map { _ in keyCharacters[int(keyCharacters.count)] }) }

        mutating func value(_ depth: Int) -> Any {
            switch int(depth > 2 ? 7 : 9) {
            case 0: return int(200_001) - 100_000
            case 1: return [0.1, 1e-5, 3.0, 1e16, 123.456, -0.0, 2.5e-8, 1e300, Double(int(1 << 20)) / 977][int(9)]
            case 2: return Float(int(1 << 20)) / 1024 - 512
            case 3: return int(2) == 0
            case 4: return ["a/b", "é\u{1}\n\t\"\\", "", "x\u{7f}y", "\u{2028}"][int(5)]
            case 5: return NSNull()
            case 6: return NSNumber(value: int(10))
            case 7: return (0 ..< int(4)).map { _ in value(depth + 1) }
            default:
                var d: [String: Any] = [:]
                for _ in 0 ..< int(6) { d[key()] = value(depth + 1) }
                return d
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func writerMatchesJSONSerialization(seed: UInt64) throws {
        var g = Generator(rng: SplitMix64(seed: seed))
        let pairs: [(JSONSerialization.WritingOptions, JSONWriteOptions)] = [
            ([.sortedKeys, .withoutEscapingSlashes], .line),
            ([.sortedKeys, .prettyPrinted], .prettySorted),
            ([.sortedKeys], JSONWriteOptions(escapeSlashes: true)),
        ]
        for _ in 0 ..< 300 {
            var row: [String: Any] = [:]
            for _ in 0 ..< g.int(9) { row[g.key()] = g.value(0) }
            for (foundation, ours) in pairs {
                let expected = String(decoding: try JSONSerialization.data(withJSONObject: row, options: foundation), as: UTF8.self)
                #expect(try JSONValue(foundation: row).written(ours) == expected)
                // Read back by our parser and bridged again: the same bytes.
                let reread = try JSONValue.parse(expected).foundationObject
                #expect(try JSONValue(foundation: reread).written(ours) == expected)
            }
        }
    }

    @Test func bridgeKeepsFoundationNumberTypes() throws {
        let row = try #require(try JSONValue.parse(#"{"i": 3, "d": 1.5, "t": true, "ids": [1, 2], "n": null, "s": "x"}"#).foundationObject as? [String: Any])
        #expect(row["i"] as? Int == 3)
        #expect(row["i"] as? Double == 3)
        #expect(row["d"] as? Double == 1.5)
        #expect(row["ids"] as? [Int] == [1, 2])
        #expect(row["s"] as? String == "x")
        #expect(row["n"] is NSNull)
        let t = try #require(row["t"] as? NSNumber)
        #expect(String(cString: t.objCType) == "c")
    }

    @Test func bridgeFromSwiftAndFoundationValues() throws {
        #expect(try JSONValue(foundation: NSNumber(value: true)) == .bool(true))
        #expect(try JSONValue(foundation: NSNumber(value: 1.5)) == .number(1.5))
        #expect(try JSONValue(foundation: Int32(-4)) == .integer(-4))
        #expect(try JSONValue(foundation: UInt64.max) == .bigInteger("18446744073709551615"))
        #expect(try JSONValue(foundation: [Float(0.1)]).written() == "[0.1]")
        #expect(try JSONValue(foundation: Optional<Int>.none as Any) == .null)
        do {
            _ = try JSONValue(foundation: ["when": Date(timeIntervalSince1970: 0)])
            Issue.record("a Date was bridged")
        } catch {
            #expect(error.path == "when")
        }
    }

    struct Settings: Codable, Equatable {
        var name: String
        var rate: Double
        var steps: [Int]
    }

    @Test func codableRoundTrip() throws {
        let settings = Settings(name: "a/b", rate: 0.25, steps: [1, 2])
        let value = try JSONValue(encoding: settings)
        #expect(value["rate"] == .number(0.25))
        #expect(value["steps"] == .array([.integer(1), .integer(2)]))
        #expect(try value.decoded(as: Settings.self) == settings)
    }
}
