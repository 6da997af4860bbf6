import Foundation

/// A JSON null for `[String: Any]` dictionaries written with JSONSerialization.
enum NSNullValue { static let null = NSNull() }

/// Encodes a Codable value into a JSON object dictionary.
func jsonObject<T: Encodable>(_ value: T) throws -> [String: Any] {
    let data = try JSONEncoder().encode(value)
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return obj
}
