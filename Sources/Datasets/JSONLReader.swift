// JSONL reading with line numbers: one JSON object per non-empty line.
import Foundation

/// One parsed line of a JSONL file.
public struct JSONLRow: @unchecked Sendable {
    /// Where the line is.
    public var location: RowLocation
    /// The decoded object (Foundation JSON types).
    public var object: [String: Any]
}

public enum JSONLReader {
    /// Reads every non-empty line of `path` as a JSON object.
    /// - Throws: `DatasetError.cannotRead` or `.malformedJSON` naming the line.
    public static func read(_ path: String) throws -> [JSONLRow] {
        // Through a FileHandle: FileManager.contents(atPath:) leaks a buffer on an empty file
        // (LeakSanitizer, found by the jsonl fuzz target; docs/design/hardening.md §5).
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.cannotRead(file: path, reason: "no such file or not readable")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.readToEnd() ?? Data() } catch {
            throw DatasetError.cannotRead(file: path, reason: error.localizedDescription)
        }
        return try parse(data, file: path)
    }

    /// Parses JSONL bytes; `file` names them in errors.
    public static func parse(_ data: Data, file: String) throws -> [JSONLRow] {
        var rows: [JSONLRow] = []
        var lineNumber = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let isBlank = raw.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
            if isBlank { continue }
            let location = RowLocation(file: file, line: lineNumber)
            let value: Any
            do { value = try JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]) } catch {
                throw DatasetError.malformedJSON(location, reason: "invalid JSON")
            }
            guard let object = value as? [String: Any] else {
                throw DatasetError.malformedJSON(location, reason: "the line holds JSON but not an object")
            }
            rows.append(JSONLRow(location: location, object: object))
        }
        return rows
    }
}
