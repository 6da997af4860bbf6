// Model configurations as JSON: a `Codable` configuration as the Foundation dictionary the models
// amend, that dictionary written as config.json, and the short value text the configuration audit
// quotes in its messages.
import Foundation
import Support

/// A JSON null for `[String: Any]` configuration dictionaries.
enum NSNullValue { static let null = NSNull() }

/// Encodes a Codable value into a JSON object dictionary.
func jsonObject<T: Encodable>(_ value: T) throws -> [String: Any] {
    try JSONValue(encoding: value).foundationObject as? [String: Any] ?? [:]
}

/// A configuration dictionary as config.json has always been written (Foundation's pretty layout,
/// sorted keys). An integral double is written as `3`, and transformers' strictly typed
/// configuration classes refuse an int for a float field (Gemma2Config's
/// `final_logit_softcapping: float | None`), so the integral values of `floatKeys` are written `3.0`.
func configurationText(_ json: [String: Any], floatKeys: [String] = []) throws -> Data {
    let text = try JSONValue(foundation: json).written(.prettySorted)
    return forcingFloatLiterals(Data(text.utf8), keys: floatKeys)
}

/// Rewrites `"key" : 3` as `"key" : 3.0` for `keys`.
func forcingFloatLiterals(_ data: Data, keys: [String]) -> Data {
    guard !keys.isEmpty, let text = String(data: data, encoding: .utf8),
          let pattern = try? NSRegularExpression(pattern: "(\"(?:\(keys.joined(separator: "|")))\"\\s*:\\s*)(-?[0-9]+)(?=\\s*[,}\\n])")
    else { return data }
    let range = NSRange(text.startIndex..., in: text)
    return Data(pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "$1$2.0").utf8)
}

extension JSONValue {
    /// Compact JSON-like text for the audit's messages (integral numbers without `.0`, keys sorted).
    var auditText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .bigInteger(let digits): return digits
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.auditText).joined(separator: ", ") + "]"
        case .object:
            let o = objectValue ?? [:]
            return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]?.auditText ?? "null")" }.joined(separator: ", ") + "}"
        }
    }

    /// As `auditText`, but a string without quotes (for quoting a single value in a message).
    var plain: String { stringValue ?? auditText }
}
