// The values a chat template computes with: Python's data model as Jinja exposes it (None, bools,
// ints, floats, strings, lists, string-keyed dicts in insertion order), plus Jinja's `Undefined`
// and two handles into the renderer's state (namespaces, macros) so that `Value` stays a value type.
import Foundation

/// One value seen by a template.
public enum TemplateValue: Sendable, Equatable {
    /// A name or member that does not exist: prints as "", is false, iterates as empty, and fails
    /// when its members are read (Jinja's default `Undefined`). `hint` says what was looked up.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// A Markup string (`|safe`, `|escape`): a string, except that a plain string joined to it with
    /// `+` is HTML-escaped first, as Jinja's `Markup.__add__` does.
    case markup(String)
    case array([TemplateValue])
    /// A dict with string keys, in insertion order (Python 3.7+ dicts keep it; `tojson` and `items()` show it).
    case dict([(key: String, value: TemplateValue)])
    /// A `namespace()` object, by index into the render's namespace table (attributes can be reassigned).
    case namespace(Int)
    /// A macro defined by `{% macro %}`, by index into the render's macro table.
    case macro(Int)
    /// A global function (`raise_exception`, `strftime_now`, `namespace`, `dict`, `range`), so that
    /// `strftime_now is defined` holds as it does under transformers.
    case function(String)

    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool { lhs.pythonEquals(rhs) }

    /// Builds a dict from `pairs` in order.
    public static func object(_ pairs: [(String, TemplateValue)]) -> TemplateValue {
        .dict(pairs.map { (key: $0.0, value: $0.1) })
    }

    /// The value of `key` if this is a dict holding it (keys compared by exact scalars).
    public subscript(key: String) -> TemplateValue? {
        guard case let .dict(pairs) = self else { return nil }
        return pairs.first { TemplateValue.sameScalars($0.key, key) }?.value
    }

    /// Python's `==`: numbers compare by value across int/float/bool, strings by code points, lists
    /// element-wise, dicts regardless of order; `Undefined` only equals `Undefined`.
    func pythonEquals(_ other: TemplateValue) -> Bool {
        switch (self.plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return TemplateValue.sameScalars(a, b)
        case let (.array(a), .array(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case let (.dict(a), .dict(b)):
            return a.count == b.count && a.allSatisfy { pair in other[pair.key].map { pair.value.pythonEquals($0) } ?? false }
        case let (.namespace(a), .namespace(b)): return a == b
        case let (.macro(a), .macro(b)): return a == b
        case let (.function(a), .function(b)): return a == b
        default:
            if let a = numeric, let b = other.numeric { return a == b }
            return false
        }
    }

    /// Ints, bools and floats as a number (Python's bool is an int).
    var numeric: Double? {
        switch self {
        case let .int(v): return Double(v)
        case let .double(v): return v
        case let .bool(v): return v ? 1 : 0
        default: return nil
        }
    }

    /// Python truthiness; `Undefined` is false.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(v): return v
        case let .int(v): return v != 0
        case let .double(v): return v != 0
        case let .string(v), let .markup(v): return !v.isEmpty
        case let .array(v): return !v.isEmpty
        case let .dict(v): return !v.isEmpty
        case .namespace, .macro, .function: return true
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .array: return "list"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function: return "function"
        }
    }

    /// A Markup string as a plain string (every operation but `+` treats them alike).
    var plain: TemplateValue {
        if case let .markup(s) = self { return .string(s) }
        return self
    }

    static func sameScalars(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }
}
