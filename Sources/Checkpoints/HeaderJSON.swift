// A small strict JSON parser for safetensors headers.
//
// The format defines its JSON dialect as what `serde_json` accepts (README, "Format", notes) and
// forbids duplicate keys. Foundation's decoders are more lenient in ways that matter for
// validation: they accept trailing commas, silently keep one of two duplicate keys (the aliasing
// trick a malicious header could use) and turn `2.0` into an integer. Parsing ourselves also keeps
// integers exact (a shape or offset is either an `Int` or it is rejected) and reads straight from
// the mapped header bytes. Nesting is capped so that a hostile header cannot exhaust the stack.

/// A JSON value as written in a safetensors header.
enum HeaderJSON: Equatable {
    case object([String: HeaderJSON])
    case array([HeaderJSON])
    case string(String)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, kept as written.
    case number(String)
    case bool(Bool)
    case null

    /// A short description for error messages ("an array", "the string \"F32\"").
    var summary: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string(let s): "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .integer(let n): "the number \(n)"
        case .number(let text): "the number \(text)"
        case .bool(let b): "\(b)"
        case .null: "null"
        }
    }
}

/// Parses one JSON document from raw bytes. Every read is bounds-checked explicitly: the package is
/// built with `-Ounchecked`, so nothing here may rely on the standard library trapping.
struct HeaderJSONParser {
    struct Failure: Error {
        var message: String
    }

    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The value in `bytes`, which must hold exactly one JSON document (plus whitespace).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> HeaderJSON {
        var parser = HeaderJSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected characters after the JSON value") }
        return value
    }

    // MARK: - Scanning

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private func failure(_ message: String) -> Failure { Failure(message: "\(message) at byte \(position)") }

    /// A byte for a message: the character if printable ASCII, else its hex value.
    private static func describe(_ byte: UInt8) -> String {
        (0x21 ... 0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else { throw failure("expected \(Self.describe(byte))") }
        position += 1
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(Failure) -> HeaderJSON {
        guard let b = peek() else { throw failure("unexpected end of header") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected \(Self.describe(b))")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels deep") }
        try expect(UInt8(ascii: "{"))
        var members: [String: HeaderJSON] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let keyStart = position
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else {
                position = keyStart
                throw failure("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard let b = peek() else { throw failure("unterminated object") }
            position += 1
            if b == UInt8(ascii: "}") { return .object(members) }
            guard b == UInt8(ascii: ",") else { position -= 1; throw failure("expected ',' or '}'") }
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels deep") }
        try expect(UInt8(ascii: "["))
        var elements: [HeaderJSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard let b = peek() else { throw failure("unterminated array") }
            position += 1
            if b == UInt8(ascii: "]") { return .array(elements) }
            guard b == UInt8(ascii: ",") else { position -= 1; throw failure("expected ',' or ']'") }
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw failure("invalid literal") }
        for i in 0 ..< count where bytes[position + i] != word.utf8Start[i] {
            throw failure("invalid literal")
        }
        position += count
    }

    /// JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func parseNumber() throws(Failure) -> HeaderJSON {
        let start = position
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        if peek() == UInt8(ascii: "-") { position += 1 }
        if peek() == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(peek()) {
            while isDigit(peek()) { position += 1 }
        } else {
            throw failure("invalid number")
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard isDigit(peek()) else { throw failure("invalid number") }
            while isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard isDigit(peek()) else { throw failure("invalid number") }
            while isDigit(peek()) { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< position]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        return .number(text)
    }

    private mutating func parseString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        var utf8: [UInt8] = []
        while true {
            // Copy the run of plain characters up to the next quote, backslash or end.
            let runStart = position
            while let b = peek(), b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b >= 0x20 { position += 1 }
            utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart ..< position]))
            guard let b = peek() else { throw failure("unterminated string") }
            if b == UInt8(ascii: "\"") {
                position += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw failure("string is not valid UTF-8")
                }
                return string
            }
            guard b == UInt8(ascii: "\\") else { throw failure("unescaped control character in string") }
            position += 1
            guard let escape = peek() else { throw failure("unterminated string") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800 ..< 0xDC00).contains(scalar) {
                    // A UTF-16 high surrogate must be followed by an escaped low surrogate.
                    guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else { throw failure("unpaired surrogate") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00 ..< 0xE000).contains(low) else { throw failure("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("unpaired surrogate") }
                UTF8.encode(unicode) { utf8.append($0) }
            default:
                throw failure("invalid escape")
            }
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
