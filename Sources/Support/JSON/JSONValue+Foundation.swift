// `JSONValue` to and from the Foundation object graph (`[String: Any]`, `[Any]`, `NSNumber`,
// `String`, `NSNull`) that the dataset rows, model configurations and CLI tables are built from.
// The numbers keep the types Foundation's own reader gave them (`NSNumber` for numbers and
// booleans), so code that reads a row with `as? Int`, `as? Double` or `as? [Int]` sees what it
// always saw.
import Foundation

/// A value in a Foundation object graph that JSON cannot represent (a `Date`, a custom type…).
public struct JSONBridgeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var typeName: String
    public var description: String { "field '\(path.isEmpty ? "(root)" : path)' holds a \(typeName), which is not a JSON value" }
}

extension JSONValue {
    /// The Foundation object for this value: `[String: Any]` (a later duplicate key wins), `[Any]`,
    /// `String`, `NSNumber` (numbers and booleans), `NSNull`. A big integer becomes the nearest
    /// double, as Foundation's reader would give it as a decimal number.
    public var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case let .bool(b): return NSNumber(value: b)
        case let .integer(i): return NSNumber(value: i)
        case let .bigInteger(digits): return NSNumber(value: Double(digits) ?? .nan)
        case let .number(d): return NSNumber(value: d)
        case let .string(s): return s
        case let .array(elements): return elements.map(\.foundationObject)
        case let .object(members):
            var out: [String: Any] = [:]
            out.reserveCapacity(members.count)
            for member in members { out[member.key] = member.value.foundationObject }
            return out
        }
    }

    /// The JSON value of a Foundation object graph (dictionary members in the dictionary's order;
    /// write with `sortedKeys` for a stable text). A `Float` keeps its own shortest digits, as
    /// Foundation writes it (values at or beyond 2^24 in magnitude are then laid out as a double,
    /// `100000000` for Foundation's `1e+08`: the same number).
    public init(foundation object: Any, path: String = "") throws(JSONBridgeError) {
        if let number = object as? NSNumber, type(of: object) is NSNumber.Type {
            self = JSONValue.number(number)
            return
        }
        switch object {
        case let b as Bool where type(of: object) == Bool.self: self = .bool(b)
        case let s as String: self = .string(s)
        case let d as Double where type(of: object) == Double.self: self = .number(d)
        case let f as Float where type(of: object) == Float.self: self = .number(f.isFinite ? Double(f.description) ?? Double(f) : Double(f))
        case let i as any BinaryInteger:
            if let exact = Int(exactly: i) { self = .integer(exact) } else { self = .bigInteger(String(describing: i)) }
        case is NSNull: self = .null
        case let dictionary as [String: Any]:
            var members: [JSONMember] = []
            members.reserveCapacity(dictionary.count)
            for (key, value) in dictionary {
                members.append(JSONMember(key, try JSONValue(foundation: value, path: path.isEmpty ? key : "\(path).\(key)")))
            }
            self = .object(members)
        case let array as [Any]:
            var elements: [JSONValue] = []
            elements.reserveCapacity(array.count)
            for (i, element) in array.enumerated() { elements.append(try JSONValue(foundation: element, path: "\(path)[\(i)]")) }
            self = .array(elements)
        default:
            let mirror = Mirror(reflecting: object)
            if mirror.displayStyle == .optional {
                if let wrapped = mirror.children.first?.value { self = try JSONValue(foundation: wrapped, path: path) } else { self = .null }
                return
            }
            throw JSONBridgeError(path: path, typeName: "\(type(of: object))")
        }
    }

    /// An `NSNumber` as Foundation's writer reads it: booleans, doubles, floats and integers.
    private static func number(_ n: NSNumber) -> JSONValue {
        switch String(cString: n.objCType) {
        case "c", "B": return .bool(n.boolValue)
        case "d": return .number(n.doubleValue)
        case "f": return .number(n.floatValue.isFinite ? Double(n.floatValue.description) ?? n.doubleValue : n.doubleValue)
        case "Q", "L", "I", "S", "C":
            let u = n.uint64Value
            return u <= UInt64(Int.max) ? .integer(Int(u)) : .bigInteger(String(u))
        default: return .integer(n.intValue)
        }
    }
}
