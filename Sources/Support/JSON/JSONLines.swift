// JSON Lines: one JSON value per line. Blank lines are skipped; every error names the file and the
// 1-based line, and the column inside it.
import Foundation

/// A JSONL line that is not JSON (or not what the reader asked for).
public struct JSONLinesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// What is wrong, with the column when the JSON itself is malformed.
    public var reason: String
    public var description: String { "\(file):\(line): \(reason)" }
}

public enum JSONLines {
    /// The non-blank lines of `data` parsed as JSON, with their 1-based line numbers.
    public static func parse(_ data: Data, file: String, options: JSONParseOptions = .standard) throws(JSONLinesError) -> [(line: Int, value: JSONValue)] {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(JSONLinesError) -> [(line: Int, value: JSONValue)] in try parse(raw, file: file, options: options) }
        }
        return try result.get()
    }

    /// The non-blank lines of `bytes` parsed as JSON, with their 1-based line numbers.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String,
                             options: JSONParseOptions = .standard) throws(JSONLinesError) -> [(line: Int, value: JSONValue)] {
        var rows: [(line: Int, value: JSONValue)] = []
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            let line = UnsafeRawBufferPointer(rebasing: bytes[start ..< end])
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                do {
                    rows.append((lineNumber, try JSONValue.parse(line, file: file, options: options)))
                } catch {
                    throw JSONLinesError(file: file, line: lineNumber, reason: "invalid JSON at column \(error.column): \(error.reason)")
                }
            }
            start = end + 1
        }
        return rows
    }

    /// `values` as JSONL text, one per line with a final newline. A NaN or infinite number throws
    /// naming the line it would have been (`firstLine` for the first value) and the field.
    public static func write(_ values: [JSONValue], file: String, firstLine: Int = 1,
                             options: JSONWriteOptions = .line) throws(JSONLinesError) -> String {
        var out = ""
        for (i, value) in values.enumerated() {
            do {
                out += try value.written(options)
            } catch {
                throw JSONLinesError(file: file, line: firstLine + i, reason: error.description)
            }
            out += "\n"
        }
        return out
    }
}
