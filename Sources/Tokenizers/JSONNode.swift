// Typed access to a parsed JSON document that knows where each value came from, so a wrong type
// or a missing field throws a `TokenizerError` naming the file and the JSON path.
import Support
import Foundation

/// A JSON value together with where it came from, for typed access that throws `TokenizerError`s
/// naming the file and the JSON path.
struct JSONNode {
    let value: JSONValue
    let file: String
    let path: String

    init(_ value: JSONValue, file: String, path: String = "") {
        self.value = value
        self.file = file
        self.path = path
    }

    var displayPath: String { path.isEmpty ? "(root)" : path }

    func childPath(_ key: String) -> String {
        let simple = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0" ... "9").contains($0) || $0 == "_"
        }
        if simple { return path.isEmpty ? key : path + "." + key }
        return path + "[" + key.debugDescription + "]"
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    var typeName: String { value.kindName }

    /// Parses a tokenizer file: Python's dialect (`NaN`, a byte-order mark), the last of two
    /// duplicate keys winning as in the `tokenizers` library; malformed bytes throw
    /// `TokenizerError.malformedJSON` with the byte, line and column.
    static func parse(_ data: Data, file: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(data, file: file, options: .python)
        } catch {
            throw TokenizerError.malformedJSON(file: file, path: error.position, reason: error.reason)
        }
    }

    func invalid(_ reason: String) -> TokenizerError {
        .invalidValue(file: file, path: displayPath, reason: reason)
    }

    func unsupported(_ feature: String) -> TokenizerError {
        .unsupported(file: file, path: displayPath, feature: feature)
    }

    /// The member `key`, or nil when absent or null.
    subscript(key: String) -> JSONNode? {
        guard let child = value[key] else { return nil }
        if case .null = child { return nil }
        return JSONNode(child, file: file, path: childPath(key))
    }

    /// The member `key`; throws `missingField` when absent or null.
    func required(_ key: String) throws -> JSONNode {
        if case .object = value {
            guard let child = self[key] else { throw TokenizerError.missingField(file: file, path: childPath(key)) }
            return child
        }
        throw invalid("expected an object, found \(typeName)")
    }

    func object() throws -> [(key: String, node: JSONNode)] {
        guard case let .object(members) = value else { throw invalid("expected an object, found \(typeName)") }
        return members.map { ($0.key, JSONNode($0.value, file: file, path: childPath($0.key))) }
    }

    func array() throws -> [JSONNode] {
        guard case let .array(elements) = value else { throw invalid("expected an array, found \(typeName)") }
        return elements.enumerated().map { JSONNode($0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    func string() throws -> String {
        guard case let .string(s) = value else { throw invalid("expected a string, found \(typeName)") }
        return s
    }

    func int() throws -> Int {
        guard let i = value.intValue else { throw invalid("expected an integer, found \(typeName)") }
        return i
    }

    func bool() throws -> Bool {
        guard case let .bool(b) = value else { throw invalid("expected a boolean, found \(typeName)") }
        return b
    }

    func double() throws -> Double {
        guard let d = value.doubleValue else { throw invalid("expected a number, found \(typeName)") }
        return d
    }

    // Optional members with defaults.
    func string(_ key: String, default fallback: String) throws -> String { try self[key]?.string() ?? fallback }
    func bool(_ key: String, default fallback: Bool) throws -> Bool { try self[key]?.bool() ?? fallback }
    func int(_ key: String, default fallback: Int) throws -> Int { try self[key]?.int() ?? fallback }
    func optionalString(_ key: String) throws -> String? { try self[key]?.string() }
    func optionalInt(_ key: String) throws -> Int? { try self[key]?.int() }
}

