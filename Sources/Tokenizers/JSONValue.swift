// A small JSON reader and writer used for tokenizer files.
//
// Why not `JSONDecoder`: Foundation keys JSON objects by `String`, and `String` equality is
// canonical equivalence, so the vocabulary keys "à" (U+00E0) and "a\u{0300}" would collide and one
// id would silently vanish (vocabularies are keyed by bytes; swift-transformers hit the same problem and switched to
// `NSString` keys). This reader keeps every object member, in file order, with its exact scalars,
// and tracks JSON paths so that errors name the field (errors caused by data say where they are).
import Foundation
import Support

/// A parsed JSON value. Objects keep their members in file order with the keys' exact scalars.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of the first member named `key` (compared by exact UTF-8 bytes), if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        let wanted = Array(key.utf8)
        return members.first { $0.key.utf8.elementsEqual(wanted) }?.value
    }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

// MARK: - Parsing

extension JSONValue {
    /// Parses `bytes` as one JSON document. `file` only labels errors.
    public static func parse(_ bytes: [UInt8], file: String = "JSON") throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, file: file)
        return try parser.parseDocument()
    }

    /// Parses UTF-8 `data` as one JSON document. `file` only labels errors.
    public static func parse(_ data: Data, file: String = "JSON") throws -> JSONValue {
        try parse([UInt8](data), file: file)
    }

    /// Parses `text` as one JSON document. `file` only labels errors.
    public static func parse(_ text: String, file: String = "JSON") throws -> JSONValue {
        try parse(Array(text.utf8), file: file)
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let file: String
    var index = 0
    var depth = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func error(_ reason: String, at position: Int? = nil) -> TokenizerError {
        let position = min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[0 ..< position] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return .malformedJSON(file: file, path: "byte \(position) (line \(line), column \(column))", reason: reason)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte-order mark
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count { throw error("unexpected trailing characters") }
        return value
    }

    mutating func parseValue() throws -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        // Python's json module writes these for non-finite floats; accept them like Python does.
        case UInt8(ascii: "N"): try expectLiteral("NaN"); return .number(.nan)
        case UInt8(ascii: "I"): try expectLiteral("Infinity"); return .number(.infinity)
        default: throw error("unexpected character \(describe(bytes[index]))")
        }
    }

    func describe(_ byte: UInt8) -> String {
        (0x21 ... 0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    mutating func expectLiteral(_ literal: String) throws {
        let utf8 = Array(literal.utf8)
        guard index + utf8.count <= bytes.count, bytes[index ..< index + utf8.count].elementsEqual(utf8) else {
            throw error("invalid literal (expected \(literal))")
        }
        index += utf8.count
    }

    mutating func enter() throws {
        depth += 1
        if depth > 512 { throw error("nesting deeper than 512 levels") }
    }

    mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // {
        var members: [JSONMember] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONMember(key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            } else {
                throw error("expected ',' or '}' in object")
            }
        }
    }

    mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            } else {
                throw error("expected ',' or ']' in array")
            }
        }
    }

    mutating func parseString() throws -> String {
        let start = index
        index += 1  // opening quote
        let contentStart = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[contentStart ..< index]
                index += 1
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in string") }
            index += 1
        }
        // Slow path with escapes.
        var out = [UInt8](bytes[contentStart ..< index])
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard let string = String(validating: out, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800 ..< 0xDC00).contains(code) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        let save = index
                        index += 2
                        let low = try parseHex4()
                        if (0xDC00 ..< 0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                            code = 0xFFFD
                        }
                    } else {
                        code = 0xFFFD
                    }
                } else if (0xDC00 ..< 0xE000).contains(code) {
                    code = 0xFFFD  // lone low surrogate
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("invalid escape \\\(describe(escape))", at: index - 2)
            }
        }
        throw error("unterminated string", at: start)
    }

    mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .number(-.infinity)
            }
        }
        var isInteger = true
        var sawDigit = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                sawDigit = true
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            {
                isInteger = false
            } else {
                break
            }
            index += 1
        }
        guard sawDigit, let text = String(validating: bytes[start ..< index], as: UTF8.self) else {
            throw error("invalid number", at: start)
        }
        if isInteger, let value = Int(text) { return .integer(value) }
        guard let value = Double(text) else { throw error("invalid number \(text)", at: start) }
        return .number(value)
    }
}

// MARK: - Writing

extension JSONValue {
    /// Serialises the value. With `pretty`, objects and arrays of containers are indented by two
    /// spaces, like Python's `json.dumps(indent=2)`; arrays of scalars stay on one line.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(1024)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .integer(value): out += String(value)
        case let .number(value):
            if value.isNaN {
                out += "NaN"
            } else if value.isInfinite {
                out += value < 0 ? "-Infinity" : "Infinity"
            } else if value == value.rounded(), abs(value) < 1e15 {
                out += String(Int(value)) + ".0"
            } else {
                out += "\(value)"
            }
        case let .string(value): JSONValue.writeString(value, to: &out)
        case let .array(elements):
            if elements.isEmpty {
                out += "[]"
                return
            }
            let nested = pretty && elements.contains { $0.isContainer }
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += pretty && !nested ? ", " : "," }
                if nested { JSONValue.newline(&out, indent + 2) }
                element.write(to: &out, pretty: pretty, indent: indent + 2)
            }
            if nested { JSONValue.newline(&out, indent) }
            out += "]"
        case let .object(members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                if pretty { JSONValue.newline(&out, indent + 2) }
                JSONValue.writeString(member.key, to: &out)
                out += pretty ? ": " : ":"
                member.value.write(to: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { JSONValue.newline(&out, indent) }
            out += "}"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private static func newline(_ out: inout String, _ indent: Int) {
        out += "\n"
        out += String(repeating: " ", count: indent)
    }

    /// Writes `value` as a JSON string literal. Non-ASCII scalars are written as themselves (as
    /// serde_json does); quotes, backslashes and control characters are escaped.
    static func writeString(_ value: String, to out: inout String) {
        out += StringLiteral.json(value, escapeDelete: true)
    }
}

// MARK: - Typed access with JSON paths

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

    var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
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
        switch value {
        case let .integer(i): return i
        case let .number(d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: throw invalid("expected an integer, found \(typeName)")
        }
    }

    func bool() throws -> Bool {
        guard case let .bool(b) = value else { throw invalid("expected a boolean, found \(typeName)") }
        return b
    }

    func double() throws -> Double {
        switch value {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        default: throw invalid("expected a number, found \(typeName)")
        }
    }

    // Optional members with defaults.
    func string(_ key: String, default fallback: String) throws -> String { try self[key]?.string() ?? fallback }
    func bool(_ key: String, default fallback: Bool) throws -> Bool { try self[key]?.bool() ?? fallback }
    func int(_ key: String, default fallback: Int) throws -> Int { try self[key]?.int() ?? fallback }
    func optionalString(_ key: String) throws -> String? { try self[key]?.string() }
    func optionalInt(_ key: String) throws -> Int? { try self[key]?.int() }
}

// MARK: - Codable

/// `JSONValue` can be embedded in any `Codable` configuration. (Objects decoded through a Swift
/// `Decoder` are keyed by `String`, so use `JSONValue.parse` for vocabularies.)
extension JSONValue: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self) {
            self = .object(try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                JSONMember($0.stringValue, try container.decode(JSONValue.self, forKey: $0))
            })
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !container.isAtEnd { elements.append(try container.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case let .bool(b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case let .integer(i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case let .number(d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case let .string(s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case let .array(elements):
            var c = encoder.unkeyedContainer()
            for element in elements { try c.encode(element) }
        case let .object(members):
            var c = encoder.container(keyedBy: Key.self)
            for member in members { try c.encode(member.value, forKey: Key(stringValue: member.key)) }
        }
    }
}
