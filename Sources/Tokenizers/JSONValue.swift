// A JSON value that keeps object members in file order with their exact key scalars; the reader,
// the writer, typed access and Codable live in JSONValue+Parsing, JSONValue+Writing, JSONNode and
// JSONValue+Codable.
//
// Why not `JSONDecoder`: Foundation keys JSON objects by `String`, and `String` equality is
// canonical equivalence, so the vocabulary keys "à" (U+00E0) and "a\u{0300}" would collide and one
// id would silently vanish (vocabularies are keyed by bytes; swift-transformers hit the same problem and switched to
// `NSString` keys). This reader keeps every object member, in file order, with its exact scalars,
// and tracks JSON paths so that errors name the field (errors caused by data say where they are).
import Foundation

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

