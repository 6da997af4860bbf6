// The one JSON reader: bytes → `JSONValue`, under `JSONParseOptions`. It reads from a raw buffer
// (a mapped safetensors header, a file's bytes) and bounds-checks every read explicitly, so it
// stays safe in modules built with `-Ounchecked`. Errors name the byte, line and column.
import Foundation

extension JSONValue {
    /// Parses `bytes` as one JSON document. `file` only labels errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String = "JSON",
                             options: JSONParseOptions = .standard) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, file: file, options: options)
        return try parser.parseDocument()
    }

    /// Parses `bytes` as one JSON document. `file` only labels errors.
    public static func parse(_ bytes: [UInt8], file: String = "JSON",
                             options: JSONParseOptions = .standard) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, file: file, options: options) }
        }
        return try result.get()
    }

    /// Parses UTF-8 `data` as one JSON document. `file` only labels errors.
    public static func parse(_ data: Data, file: String = "JSON",
                             options: JSONParseOptions = .standard) throws(JSONParseError) -> JSONValue {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, file: file, options: options) }
        }
        return try result.get()
    }

    /// Parses `text` as one JSON document. `file` only labels errors.
    public static func parse(_ text: String, file: String = "JSON",
                             options: JSONParseOptions = .standard) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), file: file, options: options)
    }
}

private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let file: String
    let options: JSONParseOptions
    var index = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, file: String, options: JSONParseOptions) {
        self.bytes = bytes
        self.file = file
        self.options = options
    }

    func error(_ reason: String, at position: Int? = nil) -> JSONParseError {
        let position = max(0, min(position ?? index, bytes.count))
        var line = 1
        var column = 1
        for i in 0 ..< position {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONParseError(file: file, offset: position, line: line, column: column, reason: reason)
    }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if let cap = options.maxBytes, bytes.count > cap {
            throw error("the document is \(bytes.count) bytes, more than the \(cap) allowed", at: 0)
        }
        if options.byteOrderMark, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count { throw error("unexpected characters after the JSON value") }
        return value
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard let byte = peek() else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "N") where options.nonFiniteLiterals: try expectLiteral("NaN"); return .number(.nan)
        case UInt8(ascii: "I") where options.nonFiniteLiterals: try expectLiteral("Infinity"); return .number(.infinity)
        default: throw error("unexpected character \(describe(byte))")
        }
    }

    func describe(_ byte: UInt8) -> String {
        (0x21 ... 0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("invalid literal (expected \(literal))") }
        for i in 0 ..< count where bytes[index + i] != literal.utf8Start[i] {
            throw error("invalid literal (expected \(literal))")
        }
        index += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > options.maxDepth { throw error("nested more than \(options.maxDepth) levels deep") }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard peek() == byte else { throw error("expected \(what)") }
        index += 1
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        var members: [JSONMember] = []
        var keys = JSONKeyIndex()
        guard try open(close: UInt8(ascii: "}")) else { return .object(members) }
        defer { depth -= 1 }
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyStart = index
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipWhitespace()
            let value = try parseValue()
            if let previous = keys.existing(key, in: members) {
                guard options.duplicateKeys == .lastWins else { throw error("duplicate key \"\(key)\"", at: keyStart) }
                members[previous].value = value
            } else {
                members.append(JSONMember(key, value))
            }
        } while try !closes(UInt8(ascii: "}"), in: "an object")
        return .object(members)
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        var elements: [JSONValue] = []
        guard try open(close: UInt8(ascii: "]")) else { return .array(elements) }
        defer { depth -= 1 }
        repeat {
            skipWhitespace()
            elements.append(try parseValue())
        } while try !closes(UInt8(ascii: "]"), in: "an array")
        return .array(elements)
    }

    /// Consumes an opening bracket; false (and the container consumed) when it is empty, true with
    /// one more level of depth when elements follow.
    mutating func open(close: UInt8) throws(JSONParseError) -> Bool {
        try enter()
        index += 1
        skipWhitespace()
        guard peek() == close else { return true }
        index += 1
        depth -= 1
        return false
    }

    /// After an element: true when `close` ends the container, false after a comma (both consumed).
    mutating func closes(_ close: UInt8, in container: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard let next = peek() else { throw error("unterminated \(container.split(separator: " ").last ?? "")") }
        if next == close {
            index += 1
            return true
        }
        guard next == UInt8(ascii: ",") else { throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)") }
        index += 1
        return false
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1  // opening quote
        let contentStart = index
        // Fast path: a run without escapes, validated in place.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[contentStart ..< index])
                index += 1
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            index += 1
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[contentStart ..< index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard let string = String(validating: out, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            index += 1
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                continue
            }
            guard let escape = peek() else { break }
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800 ..< 0xDC00).contains(code) {
                    // A UTF-16 high surrogate must be followed by an escaped low surrogate.
                    let save = index
                    var low: UInt32 = 0
                    if bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        low = try parseHex4()
                    }
                    if (0xDC00 ..< 0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        guard options.replaceLoneSurrogates else { throw error("unpaired surrogate \\u\(String(code, radix: 16))", at: save - 6) }
                        index = save
                        code = 0xFFFD
                    }
                } else if (0xDC00 ..< 0xE000).contains(code) {
                    guard options.replaceLoneSurrogates else { throw error("unpaired surrogate \\u\(String(code, radix: 16))", at: index - 6) }
                    code = 0xFFFD
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                UTF8.encode(scalar) { out.append($0) }
            default:
                throw error("invalid escape \\\(describe(escape))", at: index - 2)
            }
        }
        throw error("unterminated string", at: start)
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }

    /// RFC 8259 grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") {
            index += 1
            if options.nonFiniteLiterals, peek() == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .number(-.infinity)
            }
        }
        if peek() == UInt8(ascii: "0") {
            index += 1
            if isDigit(peek()) { throw error("a number may not have a leading zero", at: start) }
        } else if isDigit(peek()) {
            while isDigit(peek()) { index += 1 }
        } else {
            throw error("invalid number", at: start)
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(peek()) else { throw error("invalid number: no digit after '.'", at: start) }
            while isDigit(peek()) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { throw error("invalid number: no digit in the exponent", at: start) }
            while isDigit(peek()) { index += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
        if isInteger {
            if text == "-0" { return .number(-0.0) }  // keeps its sign, as a double
            if let value = Int(text) { return .integer(value) }
            if options.exactIntegers { return .bigInteger(text) }
        }
        guard let value = Double(text) else { throw error("invalid number \(text)", at: start) }
        return .number(value)
    }
}
