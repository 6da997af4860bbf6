// Vocabulary keys are bytes, never `String` (docs/design/README.md, "House conventions"): `String` equality is canonical
// equivalence, so "à" (U+00E0) and "a\u{0300}" would be the same dictionary key.
import Foundation

/// The exact bytes of a token: the key type of every vocabulary in this module.
public struct TokenBytes: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The UTF-8 bytes of `string`, scalar for scalar (no normalisation).
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    public static func < (lhs: TokenBytes, rhs: TokenBytes) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The bytes as text, with invalid UTF-8 replaced by U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// GPT-2's reversible byte ↔ printable-character map ("byte-level" BPE).
///
/// Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` stand for themselves; the other 68 bytes are mapped, in
/// increasing order, to U+0100, U+0101, … (so a space is "Ġ" U+0120 and a newline "Ċ" U+010A).
/// Ref: openai/gpt-2 `encoder.py:bytes_to_unicode`, the same table as `tokenizers`' `ByteLevel`.
public enum ByteLevel {
    /// `scalars[b]` is the character that stands for byte `b`.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0 ..< 256 {
            let printable = (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalars`, indexed by scalar value (all are below 0x144); -1 where unmapped.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// UTF-8 of each byte's character, for fast encoding.
    static let utf8ForByte: [[UInt8]] = scalars.map { Array(String(Character($0)).utf8) }

    /// The byte-level string for `bytes` (as found in byte-level `vocab.json`/`tokenizer.json`).
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { out.append(contentsOf: utf8ForByte[Int(byte)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes that the byte-level string `text` stands for, or nil when some character is not
    /// one of the 256 byte characters.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count else { return nil }
            let byte = byteForScalar[value]
            guard byte >= 0 else { return nil }
            out.append(UInt8(byte))
        }
        return out
    }

    /// `decode(text)`, or the text's own UTF-8 when it is not a byte-level string. This is what
    /// `tokenizers`' ByteLevel decoder does per token (tokens such as "<|endoftext|>" pass through).
    public static func decodeOrUTF8(_ text: String) -> [UInt8] {
        decode(text) ?? Array(text.utf8)
    }
}
