// Jinja's filters that chat templates use, with transformers' `tojson` (json.dumps without HTML
// escaping, with `indent`, `separators`, `sort_keys`). Unknown filters are refused by name.
import Foundation

/// An indent width a template asks for (`tojson(indent=n)`, `indent(n)`): at most 1024 spaces, so
/// that a nested value does not repeat a huge indent once per level before the output bound is
/// checked.
private func indentWidth(_ n: Int) throws -> Int {
    guard n <= 1024 else { throw TemplateFailure.limit("an indent of \(n) spaces (at most 1024)") }
    return Swift.max(0, n)
}

extension TemplateRenderer {

    mutating func applyFilter(_ name: String, _ input: TemplateValue, _ positional: [TemplateValue],
                              _ keyword: [(String, TemplateValue)], line: Int) throws -> TemplateValue
    {
        // Filters other than these see a Markup string as a plain one (and return plain strings).
        switch name {
        case "safe": return input.isUndefined ? .markup("") : .markup(input.pythonString)
        case "escape", "e":
            if case .markup = input { return input }
            return .markup(input.isUndefined ? "" : TemplateValue.htmlEscaped(input.pythonString))
        default: break
        }
        let value = input.plain
        let args = CallArguments(what: "filter '\(name)'", positional: positional, keyword: keyword)
        switch name {
        case "trim":
            try args.check(maxPositional: 1, allowed: ["chars"])
            return .string(TemplateStrings.strip(value.pythonString, chars: try args.string(0, "chars")))
        case "tojson":
            try args.check(maxPositional: 1, allowed: ["indent", "separators", "sort_keys", "ensure_ascii"])
            var indent: String?
            switch args.optional(0, "indent") {
            case nil: indent = nil
            case let .string(s)?: indent = s
            case let v?:
                guard let n = v.integer else { throw TemplateFailure.type("tojson: indent must be an integer or a string") }
                indent = String(repeating: " ", count: try indentWidth(n))
            }
            var separators: (String, String)?
            if let given = args.optional(99, "separators") {
                guard case let .array(pair) = given, pair.count == 2, case let .string(item) = pair[0], case let .string(key) = pair[1] else {
                    throw TemplateFailure.type("tojson: separators must be a pair of strings")
                }
                separators = (item, key)
            }
            var style = JSONStyle(indent: indent, separators: separators, sortKeys: args.bool(99, "sort_keys", default: false))
            style.asciiOnly = args.bool(99, "ensure_ascii", default: false)
            return .string(try value.json(style))
        case "length", "count":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .array(a): return .int(a.count)
            case let .dict(d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw TemplateFailure.type("object of type '\(value.typeName)' has no len()")
            }
        case "first", "last":
            let items = try iterate(value, line: line)
            return (name == "first" ? items.first : items.last) ?? .undefined(hint: "the sequence is empty")
        case "join":
            try args.check(maxPositional: 2, allowed: ["d", "attribute"])
            var items = try iterate(value, line: line)
            if let attribute = try args.string(1, "attribute") { items = try items.map { try member($0, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: try args.string(0, "d") ?? ""))
        case "default", "d":
            let value = input
            try args.check(maxPositional: 2, allowed: ["default_value", "boolean"])
            let fallback = positional.first ?? keyword.first { $0.0 == "default_value" }?.1 ?? .string("")
            let useFallback = value.isUndefined || (args.bool(1, "boolean", default: false) && !value.isTruthy)
            return useFallback ? fallback : value
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(TemplateStrings.capitalize(value.pythonString))
        case "title": return .string(TemplateStrings.title(value.pythonString))
        case "replace":
            try args.check(maxPositional: 3, allowed: ["count"])
            return .string(TemplateStrings.replace(value.pythonString, try args.requiredString(0, "old"), try args.requiredString(1, "new"),
                                                   count: try args.int(2, "count") ?? -1))
        case "list":
            return .array(try iterate(value, line: line))
        case "items":
            switch value {
            case let .dict(pairs): return .array(pairs.map { .array([.string($0.key), $0.value]) })
            case .undefined: return .array([])
            default: throw TemplateFailure.type("filter 'items' needs a mapping, not \(value.typeName)")
            }
        case "reverse":
            if case let .string(s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try iterate(value, line: line).reversed())
        case "string": return .string(value.pythonString)
        case "dictsort":
            try args.check(maxPositional: 3, allowed: ["case_sensitive", "by", "reverse"])
            guard case let .dict(pairs) = value else { throw TemplateFailure.type("dictsort needs a mapping, not \(value.typeName)") }
            let caseSensitive = args.bool(0, "case_sensitive", default: false)
            let byValue = try args.string(1, "by") == "value"
            func key(_ pair: (key: String, value: TemplateValue)) -> TemplateValue {
                let k = byValue ? pair.value : .string(pair.key)
                if !caseSensitive, case let .string(s) = k { return .string(s.lowercased()) }
                return k
            }
            var failure: Error?
            var sorted = pairs.sorted { a, b in
                do { return try compare(key(a), key(b), "<") < 0 } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            if args.bool(2, "reverse", default: false) { sorted.reverse() }
            return .array(sorted.map { .array([.string($0.key), $0.value]) })
        case "int":
            try args.check(maxPositional: 2, allowed: ["default", "base"])
            let fallback = try args.int(0, "default") ?? 0
            switch value {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d): return .int(d.isFinite && abs(d) < 9e18 ? Int(d) : fallback)
            case let .string(s):
                let t = TemplateStrings.strip(s, chars: nil)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
                return .int(fallback)
            default: return .int(fallback)
            }
        case "float":
            switch value {
            case let .string(s): return .double(Double(TemplateStrings.strip(s, chars: nil)) ?? 0)
            default: return .double(value.numeric ?? 0)
            }
        case "abs":
            switch value {
            case let .int(i): return .int(i == .min ? i : abs(i))
            case let .double(d): return .double(abs(d))
            default: throw TemplateFailure.type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "indent":
            try args.check(maxPositional: 3, allowed: ["width", "first", "blank"])
            let width: String
            switch args.optional(0, "width") {
            case let .string(s)?: width = s
            case let v?: width = String(repeating: " ", count: try indentWidth(v.integer ?? 4))
            case nil: width = "    "
            }
            return .string(indent(value.pythonString, width, first: args.bool(1, "first", default: false), blank: args.bool(2, "blank", default: false)))
        case "map":
            if !value.isTruthy { return .array([]) }
            let items = try iterate(value, line: line)
            if let attribute = try args.string(99, "attribute") {
                let fallback = args.optional(99, "default")
                return .array(try items.map { item in
                    let v = try member(item, attribute)
                    return v.isUndefined ? fallback ?? v : v
                })
            }
            guard case let .string(filter)? = positional.first else { throw TemplateFailure.type("map needs a filter name or attribute=") }
            var out: [TemplateValue] = []
            for item in items { out.append(try applyFilter(filter, item, Array(positional.dropFirst()), [], line: line)) }
            return .array(out)
        case "select", "reject", "selectattr", "rejectattr":
            // Jinja skips a false sequence (None, empty) without iterating it.
            if !value.isTruthy { return .array([]) }
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = positional
            var attribute: String?
            if byAttribute {
                guard case let .string(a)? = rest.first else { throw TemplateFailure.type("\(name) needs an attribute name") }
                attribute = a
                rest.removeFirst()
            }
            var test: String?
            if !rest.isEmpty {
                guard case let .string(t) = rest.removeFirst() else { throw TemplateFailure.type("\(name): the test name must be a string") }
                test = t
            }
            var out: [TemplateValue] = []
            for item in try iterate(value, line: line) {
                let subject = try attribute.map { try member(item, $0) } ?? item
                let passed = try test.map { try applyTest($0, subject, rest) } ?? subject.isTruthy
                if passed == keep { out.append(item) }
            }
            return .array(out)
        case "sort":
            try args.check(maxPositional: 3, allowed: ["reverse", "case_sensitive", "attribute"])
            let attribute = try args.string(2, "attribute")
            let keys = try iterate(value, line: line).map { item in (item, try attribute.map { try member(item, $0) } ?? item) }
            var failure: Error?
            var sorted = keys.sorted { a, b in
                do { return try compare(a.1, b.1, "<") < 0 } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            if args.bool(0, "reverse", default: false) { sorted.reverse() }
            return .array(sorted.map(\.0))
        case "unique":
            var out: [TemplateValue] = []
            for item in try iterate(value, line: line) where !out.contains(where: { $0.pythonEquals(item) }) { out.append(item) }
            return .array(out)
        case "sum":
            try args.check(maxPositional: 2, allowed: ["attribute", "start"])
            var total = args.optional(1, "start") ?? .int(0)
            let attribute = try args.string(0, "attribute")
            for item in try iterate(value, line: line) { total = try arithmetic("+", total, try attribute.map { try member(item, $0) } ?? item) }
            return total
        case "min", "max":
            let items = try iterate(value, line: line)
            guard var best = items.first else { return .undefined(hint: "\(name) of an empty sequence") }
            for item in items.dropFirst() {
                let order = try compare(item, best, "<")
                if name == "min" ? order < 0 : order > 0 { best = item }
            }
            return best
        default:
            throw TemplateFailure.unsupported("the filter '\(name)'")
        }
    }

    /// Jinja's `indent`: every line after the first (and the first with `first`) gets `width`; blank lines only with `blank`.
    private func indent(_ text: String, _ width: String, first: Bool, blank: Bool) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for (i, line) in lines.enumerated() {
            let pad = (i > 0 || first) && (blank || !line.allSatisfy(\.isPythonSpace))
            out.append(pad ? width + line : String(line))
        }
        return out.joined(separator: "\n")
    }

    /// Jinja's tests (`is defined`, `is string`, `is equalto x`…).
    func applyTest(_ name: String, _ value: TemplateValue, _ args: [TemplateValue]) throws -> Bool {
        func argument() throws -> TemplateValue {
            guard let a = args.first else { throw TemplateFailure.type("test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value == .none && !value.isUndefined
        case "string": if case .string = value { return true } else { return false }
        case "number": if case .int = value { return true } else if case .double = value { return true } else if case .bool = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": return value == .bool(true) && { if case .bool = value { return true } else { return false } }()
        case "false": return value == .bool(false) && { if case .bool = value { return true } else { return false } }()
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .string, .array, .dict: return true
            default: return false
            }
        case "callable":
            switch value {
            case .macro, .function: return true
            default: return false
            }
        case "odd", "even":
            guard let i = value.integer else { throw TemplateFailure.type("test '\(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.integer, let d = try argument().integer, d != 0 else { throw TemplateFailure.type("divisibleby needs non-zero integers") }
            return i.remainderReportingOverflow(dividingBy: d).partialValue == 0  // Int.min % -1 overflows; it divides
        case "equalto", "eq", "==", "sameas": return value.pythonEquals(try argument())
        case "ne", "!=": return !value.pythonEquals(try argument())
        case "lt", "<": return try compare(value, try argument(), "<") < 0
        case "le", "<=": return try compare(value, try argument(), "<=") <= 0
        case "gt", ">": return try compare(value, try argument(), ">") > 0
        case "ge", ">=": return try compare(value, try argument(), ">=") >= 0
        case "in": return try contains(try argument(), value)
        case "lower": return value.pythonString.lowercased() == value.pythonString
        case "upper": return value.pythonString.uppercased() == value.pythonString
        default: throw TemplateFailure.unsupported("the test '\(name)'")
        }
    }
}
