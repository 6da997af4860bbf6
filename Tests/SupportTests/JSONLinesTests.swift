// JSON Lines: blank lines skipped, line numbers in every error, one value per written line.
import Foundation
import Support
import Testing

@Suite struct JSONLinesTests {
    @Test func readsNonBlankLinesWithTheirNumbers() throws {
        let rows = try JSONLines.parse(Data("{\"a\":1}\n\n  \r\n[2]\n".utf8), file: "d.jsonl")
        #expect(rows.map(\.line) == [1, 4])
        #expect(rows.map(\.value) == [.object([JSONMember("a", .integer(1))]), .array([.integer(2)])])
    }

    /// Line 3 is `{"b": }`: the value is missing at column 7.
    @Test func errorsNameFileLineAndColumn() {
        do {
            _ = try JSONLines.parse(Data("{}\n{}\n{\"b\": }".utf8), file: "d.jsonl")
            Issue.record("a malformed line was read")
        } catch {
            #expect(error.line == 3)
            #expect(error.description == "d.jsonl:3: invalid JSON at column 7: unexpected character '}'")
        }
    }

    @Test func writesOneValuePerLineAndNamesTheBadOne() throws {
        let text = try JSONLines.write([.object([JSONMember("b", .integer(1)), JSONMember("a", .string("x/y"))]), .null], file: "o.jsonl")
        #expect(text == "{\"a\":\"x/y\",\"b\":1}\nnull\n")
        do {
            _ = try JSONLines.write([.null, .array([.number(.infinity)])], file: "o.jsonl", firstLine: 10)
            Issue.record("an infinity was written")
        } catch {
            #expect(error.description == "o.jsonl:11: field '[0]' is inf, which JSON cannot hold")
        }
    }
}
