import Foundation

/// A JSON null for `[String: Any]` dictionaries written with JSONSerialization.
enum NSNullValue { static let null = NSNull() }

/// Encodes a Codable value into a JSON object dictionary.
func jsonObject<T: Encodable>(_ value: T) throws -> [String: Any] {
    let data = try JSONEncoder().encode(value)
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return obj
}

/// Any JSON value, decoded without loss, so the configuration audit can read and quote fields that
/// the typed configurations do not model (e.g. `quantization_config`, `attn_logit_softcapping`).
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Compact JSON-like text for error messages.
    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]?.description ?? "null")" }.joined(separator: ", ") + "}"
        }
    }

    /// As `description`, but a string without quotes (for quoting a single value in a message).
    var plain: String { string ?? description }
    var isNull: Bool { self == .null }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var number: Double? { if case .number(let d) = self { return d }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}

/// JSONSerialization writes an integral floating-point value as `3`, and transformers' strictly
/// typed configuration classes refuse an int for a float field (Gemma2Config's
/// `final_logit_softcapping: float | None`). Rewrites `"key" : 3` as `"key" : 3.0` for `keys`.
func forcingFloatLiterals(_ data: Data, keys: [String]) -> Data {
    guard !keys.isEmpty, let text = String(data: data, encoding: .utf8),
          let pattern = try? NSRegularExpression(pattern: "(\"(?:\(keys.joined(separator: "|")))\"\\s*:\\s*)(-?[0-9]+)(?=\\s*[,}\\n])")
    else { return data }
    let range = NSRange(text.startIndex..., in: text)
    return Data(pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "$1$2.0").utf8)
}
