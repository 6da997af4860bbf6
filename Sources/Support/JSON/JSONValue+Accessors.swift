// Typed, optional access to a `JSONValue`: members by exact key, payloads by kind, and short
// descriptions for error messages. Callers that must say *where* a value is wrong wrap these
// (the tokenizer reader's `JSONNode`, the safetensors header checks).

extension JSONValue {
    /// The value of the member named `key` (compared by exact UTF-8 bytes), if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }

    public var isNull: Bool { self == .null }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    public var members: [JSONMember]? { if case let .object(m) = self { return m }; return nil }

    /// The members as a dictionary (a later duplicate key wins), if this is an object.
    public var objectValue: [String: JSONValue]? {
        guard case let .object(members) = self else { return nil }
        var out: [String: JSONValue] = [:]
        out.reserveCapacity(members.count)
        for member in members { out[member.key] = member.value }
        return out
    }

    /// An integer, or a double with an integral value that fits in 64 bits exactly.
    public var intValue: Int? {
        switch self {
        case let .integer(i): return i
        case let .number(d): return d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
        default: return nil
        }
    }

    /// Any number as a double (a big integer rounded).
    public var doubleValue: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        case let .bigInteger(digits): return Double(digits)
        default: return nil
        }
    }

    /// "an object", "a string"… for messages that say what was found instead.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .bigInteger, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A short description for error messages ("an array", "the string \"F32\"", "the number 2.5").
    public var summary: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case let .string(s): "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case let .integer(n): "the number \(n)"
        case let .bigInteger(digits): "the number \(digits)"
        case let .number(d): "the number \(d)"
        case let .bool(b): "\(b)"
        case .null: "null"
        }
    }
}
