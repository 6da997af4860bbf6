// One JSON value for the whole package: the reader (JSONParser.swift), the writer
// (JSONWriter.swift), typed access (JSONValue+Accessors.swift), the Codable and Foundation bridges
// and JSON Lines all work on it.
//
// Why our own and not `JSONSerialization` / `JSONDecoder`: Foundation keys objects by `String`,
// whose equality is canonical equivalence, so the vocabulary keys "à" (U+00E0) and "a\u{0300}"
// collide and one id silently vanishes; it loses member order, turns `2.0` into an integer, rounds
// integers beyond 64 bits and keeps one of two duplicate keys without a word. This value keeps
// members in file order with their exact scalars, integers exact, and the parser's options decide
// what a duplicate key or a deep nesting means for each file format.

/// A JSON value. Objects keep their members in order with the keys' exact scalars.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int)
    /// An integer written without fraction or exponent that does not fit in 64 bits, kept as its
    /// digits (with the sign) instead of being rounded; only produced by `exactIntegers` parsing or
    /// by an unsigned 64-bit value from Foundation.
    case bigInteger(String)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])
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
