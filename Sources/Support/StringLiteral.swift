// String literals as Python writes them: `repr(str)` for printed containers and `json.dumps`
// strings for `tojson`. The one string escaper of the package: chat templates, the tokenizer JSON
// writer and the safetensors header writer all call it, each with its table.
import Foundation

public enum StringLiteral {
    /// A JSON string literal: `"`, `\` and control characters escaped (`\n \r \t \b \f`, else
    /// `\u00XX`), other characters as themselves — Python's `json.dumps(s, ensure_ascii=False)`.
    /// `asciiOnly` writes everything outside printable ASCII as `\uXXXX` (UTF-16 units, as
    /// `ensure_ascii=True`); `escapeDelete` also escapes U+007F.
    public static func json(_ s: String, asciiOnly: Bool = false, escapeDelete: Bool = false) -> String {
        quoted(s, quote: "\"", named: ["\u{08}": "\\b", "\u{0C}": "\\f"]) { scalar in
            if scalar.value < 0x20 || (escapeDelete && scalar.value == 0x7F) || (asciiOnly && scalar.value > 0x7E) {
                return String(scalar).utf16.map { "\\u" + hex($0, width: 4) }.joined()
            }
            return nil
        }
    }

    /// Python's `repr(s)`: single quotes unless the text holds a single quote and no double quote;
    /// other control characters as `\xXX`.
    public static func python(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        return quoted(s, quote: quote, named: [:]) { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F ? "\\x" + hex(UInt16(scalar.value), width: 2) : nil
        }
    }

    /// `s` between `quote`s with `quote`, `\`, `\n`, `\r`, `\t` and the `named` scalars escaped, and
    /// `other` deciding the rest (nil: written as is).
    private static func quoted(_ s: String, quote: Unicode.Scalar, named: [Unicode.Scalar: String],
                               other: (Unicode.Scalar) -> String?) -> String
    {
        var out = String.UnicodeScalarView()
        out.append(quote)
        for scalar in s.unicodeScalars {
            let escape: String?
            switch scalar {
            case quote: escape = "\\" + String(quote)
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            default: escape = named[scalar] ?? other(scalar)
            }
            if let escape { out.append(contentsOf: escape.unicodeScalars) } else { out.append(scalar) }
        }
        out.append(quote)
        return String(out)
    }

    private static func hex(_ value: UInt16, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
