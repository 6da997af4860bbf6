// The one JSON writer: `JSONValue` → UTF-8 text under `JSONWriteOptions`. Numbers are written as
// the chosen dialect writes them (see JSONWriteOptions.swift), strings through the package's one
// escaper (`StringLiteral.json`) with Foundation's slash escaping as an option.

extension JSONValue {
    /// The value as JSON text. Throws `JSONWriteError` naming the first NaN or infinite number
    /// (in writing order) unless `options.style` is `.python`.
    public func written(_ options: JSONWriteOptions = .line) throws(JSONWriteError) -> String {
        var writer = JSONTextWriter(options: options)
        try writer.write(self, path: "", indent: 0)
        return writer.out
    }

    /// Python's `json.dumps(indent=2)` layout (or compact with `pretty: false`), insertion order:
    /// how tokenizer files are written. Never fails (Python writes `NaN` and `Infinity`).
    public func serialized(pretty: Bool = true) -> String {
        var options = JSONWriteOptions.pythonIndented
        options.pretty = pretty
        var writer = JSONTextWriter(options: options)
        do { try writer.write(self, path: "", indent: 0) } catch { assertionFailure("the Python style writes every number") }
        return writer.out
    }
}

private struct JSONTextWriter {
    let options: JSONWriteOptions
    var out = ""

    init(options: JSONWriteOptions) {
        self.options = options
        out.reserveCapacity(1024)
    }

    mutating func write(_ value: JSONValue, path: @autoclosure () -> String, indent: Int) throws(JSONWriteError) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .integer(i): out += String(i)
        case let .bigInteger(digits): out += digits
        case let .number(d): try writeNumber(d, path: path())
        case let .string(s): writeString(s)
        case let .array(elements): try writeArray(elements, path: path(), indent: indent)
        case let .object(members): try writeObject(members, path: path(), indent: indent)
        }
    }

    mutating func writeNumber(_ d: Double, path: String) throws(JSONWriteError) {
        guard d.isFinite else {
            guard options.style == .python else { throw JSONWriteError(path: path, value: d) }
            out += d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity")
            return
        }
        switch options.style {
        case .foundation:
            // Foundation writes `description` without a trailing ".0".
            var text = d.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            out += text
        case .python:
            // Python's repr writes integral values below 1e16 in full ("9990000000000000.0",
            // "-0.0"); Swift's description turns to an exponent from 2^53 and drops zero's sign
            // through `Int`.
            if d == d.rounded(), abs(d) < 1e16 {
                out += (d == 0 && d.sign == .minus ? "-" : "") + String(Int(d)) + ".0"
            } else {
                out += d.description
            }
        }
    }

    mutating func writeString(_ s: String) {
        let literal = StringLiteral.json(s, escapeDelete: options.escapeDelete)
        if options.escapeSlashes, literal.utf8.contains(UInt8(ascii: "/")) {
            out += literal.replacingOccurrences(of: "/", with: "\\/")
        } else {
            out += literal
        }
    }

    mutating func newline(_ indent: Int) {
        out += "\n"
        out += String(repeating: " ", count: indent)
    }

    static func isContainer(_ value: JSONValue) -> Bool {
        switch value {
        case .array, .object: return true
        default: return false
        }
    }

    mutating func writeArray(_ elements: [JSONValue], path: String, indent: Int) throws(JSONWriteError) {
        let pretty = options.pretty
        switch options.style {
        case .foundation:
            out += "["
            if pretty { out += "\n" }
            for (i, element) in elements.enumerated() {
                if i > 0 { out += pretty ? ",\n" : "," }
                if pretty { out += String(repeating: " ", count: indent + 2) }
                try write(element, path: "\(path)[\(i)]", indent: indent + 2)
            }
            if pretty { newline(indent) }
            out += "]"
        case .python:
            if elements.isEmpty {
                out += "[]"
                return
            }
            let nested = pretty && elements.contains(where: Self.isContainer)
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += pretty && !nested ? ", " : "," }
                if nested { newline(indent + 2) }
                try write(element, path: "\(path)[\(i)]", indent: indent + 2)
            }
            if nested { newline(indent) }
            out += "]"
        }
    }

    mutating func writeObject(_ members: [JSONMember], path: String, indent: Int) throws(JSONWriteError) {
        let ordered = options.sortedKeys ? JSONKeyOrder.sorted(members) : members
        let pretty = options.pretty
        if options.style == .python, ordered.isEmpty {
            out += "{}"
            return
        }
        out += "{"
        if pretty, options.style == .foundation {
            out += "\n"
            if !ordered.isEmpty { out += String(repeating: " ", count: indent + 2) }
        }
        for (i, member) in ordered.enumerated() {
            if i > 0 {
                out += ","
                if pretty, options.style == .foundation { newline(indent + 2) }
            }
            if pretty, options.style == .python { newline(indent + 2) }
            writeString(member.key)
            out += pretty ? (options.style == .foundation ? " : " : ": ") : ":"
            try write(member.value, path: path.isEmpty ? member.key : "\(path).\(member.key)", indent: indent + 2)
        }
        if pretty { newline(indent) }
        out += "}"
    }
}
