// `JSONValue` inside `Codable` types, and `Codable` values to and from `JSONValue` through
// Foundation's encoder and decoder (their key conventions and date handling stay theirs).
import Foundation

extension JSONValue: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    /// Objects decoded through a Swift `Decoder` are keyed by `String` and come out in sorted key
    /// order; use `JSONValue.parse` where the exact keys or their order matter.
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
        case .array(let elements):
            var c = encoder.unkeyedContainer()
            for element in elements { try c.encode(element) }
        case .object(let members):
            var c = encoder.container(keyedBy: Key.self)
            for member in members { try c.encode(member.value, forKey: Key(stringValue: member.key)) }
        default:
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .integer(let i): try c.encode(i)
            case .bigInteger(let digits): try c.encode(Decimal(string: digits) ?? 0)
            case .number(let d): try c.encode(d)
            case .string(let s): try c.encode(s)
            case .array, .object: break
            }
        }
    }

    /// `value` as `JSONEncoder` writes it, read back as a `JSONValue` (members in the encoder's order).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue.parse(try JSONEncoder().encode(value), file: "\(type(of: value))")
    }

    /// Decodes this value as `T` with `JSONDecoder`.
    public func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(try written(.line).utf8))
    }
}
