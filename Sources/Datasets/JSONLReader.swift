// JSONL reading with line numbers: one JSON object per non-empty line.
import Foundation
import Support

/// One parsed line of a JSONL file.
public struct JSONLRow: @unchecked Sendable {
    /// Where the line is.
    public var location: RowLocation
    /// The decoded object (Foundation JSON types: `NSNumber`, `String`, `[Any]`, `[String: Any]`, `NSNull`).
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
        let lines: [(line: Int, value: JSONValue)]
        do { lines = try JSONLines.parse(data, file: file) } catch {
            throw DatasetError.malformedJSON(RowLocation(file: file, line: error.line), reason: error.reason)
        }
        var rows: [JSONLRow] = []
        rows.reserveCapacity(lines.count)
        for (line, value) in lines {
            guard case .object = value, let object = value.foundationObject as? [String: Any] else {
                throw DatasetError.malformedJSON(RowLocation(file: file, line: line), reason: "the line holds JSON but not an object")
            }
            rows.append(JSONLRow(location: RowLocation(file: file, line: line), object: object))
        }
        return rows
    }
}
