// How values become text: Python's `str()` for `{{ }}` output and `~`, `repr()` inside containers,
// and `json.dumps(…, ensure_ascii=False)` for the `tojson` filter as transformers defines it.
import Foundation
import Support

extension TemplateValue {
    /// Python's `str(value)`; `Undefined` prints as the empty string.
    public var pythonString: String {
        switch self {
        case .undefined: return ""
        case let .string(s), let .markup(s): return s
        default: return pythonRepr
        }
    }

    /// Python's `repr(value)` (what `str()` of a list or dict shows for its elements).
    var pythonRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(v): return v ? "True" : "False"
        case let .int(v): return String(v)
        case let .double(v): return TemplateValue.pythonFloat(v)
        case let .string(s), let .markup(s): return TemplateValue.pythonQuoted(s)
        case let .array(items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case let .dict(pairs):
            return "{" + pairs.map { TemplateValue.pythonQuoted($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .macro: return "<Macro>"
        case let .function(name): return "<function \(name)>"
        }
    }

    /// Python's float repr: shortest round-tripping digits, always with a `.0` or exponent.
    static func pythonFloat(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        var text = "\(v)"
        if let e = text.firstIndex(of: "e") {
            // Swift writes 1e-05 as "1e-05"; Python also uses a two-digit exponent.
            let mantissa = text[..<e]
            var exponent = String(text[text.index(after: e)...])
            let sign = exponent.hasPrefix("-") ? "-" : "+"
            exponent = String(exponent.drop { $0 == "-" || $0 == "+" })
            if exponent.count < 2 { exponent = "0" + exponent }
            text = mantissa + "e" + sign + exponent
        }
        return text
    }

    /// Python's `repr` of a string.
    static func pythonQuoted(_ s: String) -> String { StringLiteral.python(s) }
}

/// `json.dumps` options the `tojson` filter takes.
struct JSONStyle {
    /// `indent`: nil for one line; otherwise the text repeated per nesting level.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool
    /// `ensure_ascii=True`: non-ASCII characters written as `\uXXXX` (UTF-16 surrogate pairs above the BMP).
    var asciiOnly = false

    init(indent: String?, separators: (String, String)?, sortKeys: Bool) {
        self.indent = indent
        // Python's defaults: ", " on one line, "," when indenting (no trailing spaces), ": " always.
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }
}

extension TemplateValue {
    /// `json.dumps(self, ensure_ascii=False, …)`. Fails for values JSON cannot hold (undefined, macros).
    func json(_ style: JSONStyle, level: Int = 0) throws -> String {
        switch self {
        case .none: return "null"
        case let .bool(v): return v ? "true" : "false"
        case let .int(v): return String(v)
        case let .double(v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
            return TemplateValue.pythonFloat(v)
        case let .string(s), let .markup(s): return TemplateValue.jsonQuoted(s, asciiOnly: style.asciiOnly)
        case let .array(items):
            if items.isEmpty { return "[]" }
            var parts: [String] = []
            for item in items { parts.append(try item.json(style, level: level + 1)) }
            return wrap("[", parts, "]", style, level)
        case let .dict(pairs):
            if pairs.isEmpty { return "{}" }
            let ordered = style.sortKeys
                ? pairs.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } : pairs
            var parts: [String] = []
            for pair in ordered {
                parts.append(TemplateValue.jsonQuoted(pair.key, asciiOnly: style.asciiOnly) + style.keySeparator + (try pair.value.json(style, level: level + 1)))
            }
            return wrap("{", parts, "}", style, level)
        case .undefined, .namespace, .macro, .function:
            throw TemplateFailure.type("Object of type \(typeName) is not JSON serializable")
        }
    }

    private func wrap(_ open: String, _ parts: [String], _ close: String, _ style: JSONStyle, _ level: Int) -> String {
        guard let indent = style.indent else { return open + parts.joined(separator: style.itemSeparator) + close }
        let inner = "\n" + String(repeating: indent, count: level + 1)
        let outer = "\n" + String(repeating: indent, count: level)
        return open + inner + parts.joined(separator: style.itemSeparator + inner) + outer + close
    }

    /// Jinja's `escape` (markupsafe): the five HTML-special characters as entities.
    static func htmlEscaped(_ s: String) -> String {
        let entities: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&#34;", "'": "&#39;"]
        return s.reduce(into: "") { out, ch in out += entities[ch] ?? String(ch) }
    }

    static func jsonQuoted(_ s: String, asciiOnly: Bool = false) -> String { StringLiteral.json(s, asciiOnly: asciiOnly) }
}
