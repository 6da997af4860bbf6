// Unicode scalars with the UTF-8 byte range each came from. Rewards are computed on words and then
// moved onto tokens through byte ranges (`Encoding.offsets` are UTF-8 byte ranges), so every word
// must know its bytes exactly. Text rebuilt from generated token ids may be invalid UTF-8 (a token
// can end in the middle of a multi-byte character); `String(decoding:)` would replace such bytes by
// U+FFFD and shift every later offset, so this decoder keeps the original byte positions instead.

/// One Unicode scalar and the bytes of the input it was decoded from.
struct ScalarSpan: Equatable, Sendable {
    var scalar: Unicode.Scalar
    var bytes: Range<Int>
}

enum ScalarSpans {
    /// Decodes `bytes` as UTF-8. Each byte of an invalid or truncated sequence becomes one U+FFFD
    /// covering just that byte, so the ranges always partition `0 ..< bytes.count`.
    static func decode(_ bytes: [UInt8]) -> [ScalarSpan] {
        var out: [ScalarSpan] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            var length = 0
            var value: UInt32 = 0
            var minimum: UInt32 = 0
            switch b0 {
            case 0x00 ... 0x7F: length = 1; value = UInt32(b0)
            case 0xC2 ... 0xDF: length = 2; value = UInt32(b0 & 0x1F); minimum = 0x80
            case 0xE0 ... 0xEF: length = 3; value = UInt32(b0 & 0x0F); minimum = 0x800
            case 0xF0 ... 0xF4: length = 4; value = UInt32(b0 & 0x07); minimum = 0x10000
            default: length = 0
            }
            var valid = length > 0 && i + length <= n
            if valid && length > 1 {
                for k in 1 ..< length {
                    let b = bytes[i + k]
                    if b & 0xC0 != 0x80 { valid = false; break }
                    value = (value << 6) | UInt32(b & 0x3F)
                }
                if value < minimum || value > 0x10FFFF || (0xD800 ... 0xDFFF).contains(value) { valid = false }
            }
            if valid, let scalar = Unicode.Scalar(value) {
                out.append(ScalarSpan(scalar: scalar, bytes: i ..< i + length))
                i += length
            } else {
                out.append(ScalarSpan(scalar: "\u{FFFD}", bytes: i ..< i + 1))
                i += 1
            }
        }
        return out
    }

    /// Python's `str.isspace()`: Unicode White_Space plus the information separators U+001C–U+001F
    /// (CPython's `_PyUnicode_IsWhitespace` treats them as whitespace; `str.split()` splits on them).
    static func isPythonWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C ... 0x1F).contains(s.value)
    }

    /// Python's `str.split()` with no argument: maximal runs of non-whitespace scalars, as index
    /// ranges into `scalars`.
    static func splitOnWhitespace(_ scalars: [ScalarSpan]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int? = nil
        for (k, s) in scalars.enumerated() {
            if isPythonWhitespace(s.scalar) {
                if let st = start { out.append(st ..< k); start = nil }
            } else if start == nil {
                start = k
            }
        }
        if let st = start { out.append(st ..< scalars.count) }
        return out
    }

    /// Python's `str.isupper()`: at least one cased character and no lowercase or titlecase one.
    static func isPythonUpper<S: Sequence>(_ scalars: S) -> Bool where S.Element == Unicode.Scalar {
        var cased = false
        for s in scalars {
            let p = s.properties
            if p.isLowercase || p.generalCategory == .titlecaseLetter { return false }
            if p.isUppercase { cased = true }
        }
        return cased
    }
}
