// The one JSON reader: order, exact integers, escapes, the options each file format needs, and
// errors that say where the bytes went wrong. Expected values are worked out by hand from RFC 8259.
import Foundation
import Support
import Testing

@Suite struct JSONParserTests {
    func parseError(_ text: String, _ options: JSONParseOptions = .standard) -> JSONParseError? {
        do {
            _ = try JSONValue.parse(text, file: "t.json", options: options)
            return nil
        } catch {
            return error
        }
    }

    @Test func objectsKeepMemberOrderAndKinds() throws {
        let value = try JSONValue.parse(#"{"b": 1, "a": [true, null, "x", 2.5, -7]}"#)
        #expect(value == .object([
            JSONMember("b", .integer(1)),
            JSONMember("a", .array([.bool(true), .null, .string("x"), .number(2.5), .integer(-7)])),
        ]))
        #expect(value.members?.map(\.key) == ["b", "a"])
    }

    /// Int64.max stays an integer; one more is kept as its digits with exact integers, and becomes
    /// the nearest double (2^63 = 9223372036854775808) otherwise.
    @Test func integersStayExact() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .integer(Int.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .integer(Int.min))
        #expect(try JSONValue.parse("9223372036854775808", options: .strict) == .bigInteger("9223372036854775808"))
        #expect(try JSONValue.parse("-99999999999999999999", options: .strict) == .bigInteger("-99999999999999999999"))
        #expect(try JSONValue.parse("9223372036854775808") == .number(9_223_372_036_854_775_808.0))
        #expect(try JSONValue.parse("2.0") == .number(2))
        #expect(try JSONValue.parse("1e2") == .number(100))
        let negativeZero = try JSONValue.parse("-0")
        #expect(negativeZero.doubleValue?.sign == .minus)
    }

    @Test func numberGrammarIsRFC8259() {
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10", "1.e3", "--1"] {
            #expect(parseError(bad) != nil, "\(bad)")
        }
        #expect(parseError("NaN") != nil)
        #expect(parseError("NaN", .python) == nil)
    }

    /// "\u00e9" is é, the pair \ud83d\ude00 is U+1F600, "\/" is "/".
    @Test func escapesIncludingSurrogatePairs() throws {
        let value = try JSONValue.parse(#""\u00e9\ud83d\ude00\n\t\/\"\\\b\f\r""#)
        #expect(value == .string("é\u{1F600}\n\t/\"\\\u{08}\u{0C}\r"))
    }

    @Test func loneSurrogatesAreRefusedOrReplaced() throws {
        #expect(parseError(#""\ud83d""#)?.reason.contains("unpaired surrogate") == true)
        #expect(parseError(#""\ude00x""#)?.reason.contains("unpaired surrogate") == true)
        #expect(try JSONValue.parse(#""a\ud83db""#, options: .python) == .string("a\u{FFFD}b"))
        #expect(try JSONValue.parse(#""\ud83d\u0041""#, options: .python) == .string("\u{FFFD}A"))
    }

    @Test func duplicateKeysRejectedOrLastWins() throws {
        let text = #"{"a": 1, "b": 2, "a": 3}"#
        let error = parseError(text, .strict)
        #expect(error?.reason == #"duplicate key "a""#)
        #expect(error?.offset == 17)  // the second "a"
        #expect(try JSONValue.parse(text) == .object([JSONMember("a", .integer(3)), JSONMember("b", .integer(2))]))
    }

    /// Past 16 members the parser looks keys up in a hash index instead of scanning.
    @Test func duplicatesInLargeObjects() throws {
        let members = (0 ..< 40).map { "\"k\($0)\": \($0)" } + ["\"k7\": -1"]
        let text = "{" + members.joined(separator: ", ") + "}"
        #expect(parseError(text, .strict)?.reason == #"duplicate key "k7""#)
        let value = try JSONValue.parse(text)
        #expect(value.members?.count == 40)
        #expect(value["k7"] == .integer(-1))
        #expect(value.members?[7].key == "k7")
    }

    /// "à" (U+00E0) and "a" + U+0300 are equal as Swift strings but different keys in JSON.
    @Test func keysAreComparedByBytes() throws {
        let value = try JSONValue.parse(#"{"\u00e0": 1, "a\u0300": 2}"#, options: .strict)
        #expect(value.members?.count == 2)
        #expect(value["a\u{0300}"] == .integer(2))
        #expect(value["\u{E0}"] == .integer(1))
    }

    @Test func depthAndSizeCaps() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JSONValue.parse(ok, options: .strict) != .null)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(parseError(deep, .strict)?.reason == "nested more than 64 levels deep")
        #expect(parseError(String(repeating: "[", count: 100_000))?.reason == "nested more than 512 levels deep")
        #expect(parseError("[1, 2]", JSONParseOptions(maxBytes: 5))?.reason.contains("more than the 5 allowed") == true)
    }

    /// `{\n  "a": tru\n}`: the bad literal starts at byte 9, line 2, column 8.
    @Test func errorsNameByteLineAndColumn() {
        let error = parseError("{\n  \"a\": tru\n}")
        #expect(error?.offset == 9)
        #expect(error?.line == 2)
        #expect(error?.column == 8)
        #expect(error?.description == "t.json: invalid JSON at byte 9 (line 2, column 8): invalid literal (expected true)")
        #expect(parseError(#"{"a": 1,}"#)?.reason == "expected a string key")
        #expect(parseError(#"{"a": 1} x"#)?.reason == "unexpected characters after the JSON value")
        #expect(parseError("\"a\u{01}\"")?.reason == "unescaped control character in a string")
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func byteOrderMarkOnlyWhenAsked() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)
        #expect(try JSONValue.parse(bytes, options: .python) == .array([.integer(1)]))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }
}
