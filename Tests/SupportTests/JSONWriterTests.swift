// The one JSON writer: Foundation's and Python's layouts written out by hand, number formatting,
// slash escaping, and non-finite numbers refused with their path.
import Foundation
import Support
import Testing

@Suite struct JSONWriterTests {
    let sample: JSONValue = .object([
        JSONMember("b", .array([.integer(1), .number(2.5)])),
        JSONMember("a", .object([])),
        JSONMember("c", .array([])),
    ])

    @Test func foundationPrettySorted() throws {
        let expected = "{\n  \"a\" : {\n\n  },\n  \"b\" : [\n    1,\n    2.5\n  ],\n  \"c\" : [\n\n  ]\n}"
        #expect(try sample.written(.prettySorted) == expected)
    }

    @Test func compactLineSorted() throws {
        #expect(try sample.written(.line) == #"{"a":{},"b":[1,2.5],"c":[]}"#)
        #expect(try sample.written(JSONWriteOptions(sortedKeys: false)) == #"{"b":[1,2.5],"a":{},"c":[]}"#)
    }

    /// Python: json.dumps({"b": [1, 2.5], "a": {}, "c": []}, indent=2).
    @Test func pythonIndented() {
        #expect(sample.serialized() == "{\n  \"b\": [1, 2.5],\n  \"a\": {},\n  \"c\": []\n}")
        #expect(sample.serialized(pretty: false) == #"{"b":[1,2.5],"a":{},"c":[]}"#)
        let nested: JSONValue = .array([.array([.integer(1)]), .null])
        #expect(nested.serialized() == "[\n  [1],\n  null\n]")
    }

    /// Foundation writes Double's description without a trailing ".0"; Python keeps it.
    @Test func numbers() throws {
        let numbers: JSONValue = .array([.number(3), .number(1e-5), .number(1e16), .number(0.1), .number(-0.0), .bigInteger("99999999999999999999")])
        #expect(try numbers.written(.line) == "[3,1e-05,1e+16,0.1,-0,99999999999999999999]")
        #expect(numbers.serialized(pretty: false) == "[3.0,1e-05,1e+16,0.1,-0.0,99999999999999999999]")
        // Python: repr(9.99e15), repr(-5.0), repr(1234567890123456.8).
        let large: JSONValue = .array([.number(9.99e15), .number(-5), .number(1234567890123456.8)])
        #expect(large.serialized(pretty: false) == "[9990000000000000.0,-5.0,1234567890123456.8]")
    }

    @Test func slashesAndControlCharacters() throws {
        let s: JSONValue = .string("a/b\u{01}\u{7F}é")
        #expect(try s.written(.line) == "\"a/b\\u0001\u{7F}é\"")
        #expect(try s.written(.prettySorted) == "\"a\\/b\\u0001\u{7F}é\"")
        #expect(s.serialized() == "\"a/b\\u0001\\u007fé\"")
    }

    @Test func nonFiniteNumbersAreRefusedWithTheirPath() {
        let value: JSONValue = .object([JSONMember("m", .object([JSONMember("x", .array([.number(1), .number(.nan)]))]))])
        do {
            _ = try value.written()
            Issue.record("a NaN was written")
        } catch {
            #expect(error.path == "m.x[1]")
            #expect(error.description == "field 'm.x[1]' is nan, which JSON cannot hold")
        }
        #expect(JSONValue.array([.number(.infinity), .number(-.infinity), .number(.nan)]).serialized(pretty: false) == "[Infinity,-Infinity,NaN]")
    }

    @Test func parseOfWrittenIsTheSameValue() throws {
        let value: JSONValue = .object([JSONMember("k\u{E9}", .array([.string("\u{1F600}\n"), .bool(false), .null, .integer(-3), .number(0.25)]))])
        #expect(try JSONValue.parse(try value.written(JSONWriteOptions(sortedKeys: false))) == value)
        #expect(try JSONValue.parse(value.serialized(), options: .python) == value)
    }
}
