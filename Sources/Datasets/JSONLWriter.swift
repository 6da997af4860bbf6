// Writing JSONL: one JSON object per line, through the package's one JSON writer. JSON has no NaN
// or infinity, so rows are checked first and a non-finite number is reported where it is: the
// file, the row and the field.
import Foundation
import Support

/// An output row that cannot be written.
public enum JSONLWriteError: Error, Equatable, CustomStringConvertible {
    /// `field` (a key path such as `logprobs[3]`) of the row that would be line `row` of `file` is
    /// NaN or infinite; `context` says more (e.g. the step).
    case nonFinite(file: String, row: Int, field: String, value: Double, context: String)

    public var description: String {
        switch self {
        case let .nonFinite(file, row, field, value, context):
            "\(file):\(row): field '\(field)' is \(value)\(context), which JSON cannot hold; nothing of this row was written"
        }
    }
}

public enum JSONLWriter {
    /// The first NaN or infinite number in a JSON-like value (dictionaries in key order, arrays in
    /// order), with its key path.
    public static func firstNonFinite(_ value: Any, path: String = "") -> (field: String, value: Double)? {
        switch value {
        case let d as Double: return d.isFinite ? nil : (path, d)
        case let f as Float: return f.isFinite ? nil : (path, Double(f))
        case let a as [Float]: return a.firstIndex { !$0.isFinite }.map { ("\(path)[\($0)]", Double(a[$0])) }
        case let a as [Double]: return a.firstIndex { !$0.isFinite }.map { ("\(path)[\($0)]", a[$0]) }
        case let n as NSNumber:
            if isJSONBoolean(n) { return nil }
            let d = n.doubleValue
            return d.isFinite ? nil : (path, d)
        case let o as [String: Any]:
            for k in o.keys.sorted() {
                if let bad = firstNonFinite(o[k] as Any, path: path.isEmpty ? k : "\(path).\(k)") { return bad }
            }
            return nil
        case let a as [Any]:
            for (i, x) in a.enumerated() {
                if let bad = firstNonFinite(x, path: "\(path)[\(i)]") { return bad }
            }
            return nil
        default: return nil
        }
    }

    /// The JSONL bytes of `rows`, checked: a non-finite number throws naming `file`, the row's line
    /// (1-based, `firstLine` for the first row) and the field. Keys sorted as Foundation sorts them,
    /// slashes bare, one row per line.
    public static func encode(_ rows: [[String: Any]], file: String, firstLine: Int = 1,
                              options: JSONWriteOptions = .line) throws -> Data {
        var out = Data()
        for (i, r) in rows.enumerated() {
            if let bad = firstNonFinite(r) {
                throw JSONLWriteError.nonFinite(file: file, row: firstLine + i, field: bad.field, value: bad.value, context: "")
            }
            out.append(contentsOf: try JSONValue(foundation: r).written(options).utf8)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
