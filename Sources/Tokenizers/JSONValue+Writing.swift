// Writing `JSONValue` as text, pretty (Python's `json.dumps(indent=2)` layout) or compact.
import Support

extension JSONValue {
    /// Serialises the value. With `pretty`, objects and arrays of containers are indented by two
    /// spaces, like Python's `json.dumps(indent=2)`; arrays of scalars stay on one line.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(1024)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .integer(value): out += String(value)
        case let .number(value):
            if value.isNaN {
                out += "NaN"
            } else if value.isInfinite {
                out += value < 0 ? "-Infinity" : "Infinity"
            } else if value == value.rounded(), abs(value) < 1e15 {
                out += String(Int(value)) + ".0"
            } else {
                out += "\(value)"
            }
        case let .string(value): JSONValue.writeString(value, to: &out)
        case let .array(elements):
            if elements.isEmpty {
                out += "[]"
                return
            }
            let nested = pretty && elements.contains { $0.isContainer }
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += pretty && !nested ? ", " : "," }
                if nested { JSONValue.newline(&out, indent + 2) }
                element.write(to: &out, pretty: pretty, indent: indent + 2)
            }
            if nested { JSONValue.newline(&out, indent) }
            out += "]"
        case let .object(members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                if pretty { JSONValue.newline(&out, indent + 2) }
                JSONValue.writeString(member.key, to: &out)
                out += pretty ? ": " : ":"
                member.value.write(to: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { JSONValue.newline(&out, indent) }
            out += "}"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private static func newline(_ out: inout String, _ indent: Int) {
        out += "\n"
        out += String(repeating: " ", count: indent)
    }

    /// Writes `value` as a JSON string literal. Non-ASCII scalars are written as themselves (as
    /// serde_json does); quotes, backslashes and control characters are escaped.
    static func writeString(_ value: String, to out: inout String) {
        out += StringLiteral.json(value, escapeDelete: true)
    }
}

