// Escaping for text placed in HTML/SVG, so that token text (which can be any bytes a tokenizer
// produced: "<", "&", quotes, control characters) never breaks a report.

enum Escape {
    static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" {
                    out += "&#x\(String(ch.value, radix: 16));"
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out
    }
}

/// A fixed-precision number for reports (no locale, no exponent for ordinary magnitudes).
func fmt(_ x: Double, _ digits: Int = 3) -> String {
    guard x.isFinite else { return x.isNaN ? "–" : (x > 0 ? "∞" : "−∞") }
    var p = 1.0
    for _ in 0 ..< digits { p *= 10 }
    let r = (x * p).rounded() / p
    var s = "\(r)"
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}
