// Precompiled regular expressions over UTF-8 bytes.
//
// The pre-tokenizer patterns need Unicode classes (\p{L}, \p{N}), case-insensitive groups and
// lookahead (`\s+(?!\S)`). NSRegularExpression (ICU) supports all of them and matches by code
// point, as the Oniguruma engine used by `tokenizers` does; Swift `Regex` matches by grapheme
// cluster by default, which splits differently, and was about 5x slower on a 1.3 MB text.
// Patterns are compiled once, when a tokenizer is built (swift-transformers learned this too).
import Foundation

final class CompiledRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable and documented as thread-safe.
    let pattern: String
    private let regex: NSRegularExpression

    init(pattern: String) throws {
        self.pattern = pattern
        self.regex = try NSRegularExpression(pattern: pattern, options: [])
    }

    /// A regex that matches `literal` exactly.
    convenience init(literal: String) throws {
        try self.init(pattern: NSRegularExpression.escapedPattern(for: literal))
    }

    /// Non-overlapping matches, leftmost first, as byte ranges into `bytes` (valid UTF-8).
    /// Empty matches are dropped (`tokenizers` drops the empty pieces they would produce).
    func matches(in bytes: [UInt8]) -> [Range<Int>] {
        if bytes.isEmpty { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        var isASCII = true
        for byte in bytes where byte >= 0x80 {
            isASCII = false
            break
        }
        // UTF-16 offset → UTF-8 offset table (only needed for non-ASCII text).
        var utf16ToUTF8: [Int32] = []
        var utf16Count = bytes.count
        if !isASCII {
            utf16ToUTF8.reserveCapacity(bytes.count + 1)
            var i = 0
            while i < bytes.count {
                let length = min(utf8SequenceLength(bytes[i]), bytes.count - i)
                utf16ToUTF8.append(Int32(i))
                if length == 4 { utf16ToUTF8.append(Int32(i)) }  // surrogate pair
                i += length
            }
            utf16Count = utf16ToUTF8.count
            utf16ToUTF8.append(Int32(bytes.count))
        }
        var result: [Range<Int>] = []
        let found = regex.matches(in: text, options: [], range: NSRange(location: 0, length: utf16Count))
        result.reserveCapacity(found.count)
        for match in found {
            let range = match.range
            guard range.location != NSNotFound, range.length > 0 else { continue }
            if isASCII {
                result.append(range.location ..< range.location + range.length)
            } else {
                let lower = Int(utf16ToUTF8[range.location])
                let upper = Int(utf16ToUTF8[range.location + range.length])
                if upper > lower { result.append(lower ..< upper) }
            }
        }
        return result
    }
}

/// How the pieces matched by a pattern relate to the text around them
/// (`tokenizers`' `SplitDelimiterBehavior`).
public enum SplitBehavior: String, Sendable, Equatable, CaseIterable {
    /// Matches are dropped.
    case removed = "Removed"
    /// Each match is its own piece.
    case isolated = "Isolated"
    /// A match is glued to the end of the piece before it.
    case mergedWithPrevious = "MergedWithPrevious"
    /// A match is glued to the start of the piece after it.
    case mergedWithNext = "MergedWithNext"
    /// Runs of consecutive matches (and of non-matches) become single pieces.
    case contiguous = "Contiguous"
}

/// The full partition of `0 ..< count` into gaps (false) and matches (true), as `tokenizers`'
/// `Pattern::find_matches` returns it.
func partition(matches: [Range<Int>], count: Int) -> [(range: Range<Int>, isMatch: Bool)] {
    var parts: [(range: Range<Int>, isMatch: Bool)] = []
    parts.reserveCapacity(matches.count * 2 + 1)
    var previous = 0
    for match in matches {
        if match.lowerBound > previous { parts.append((previous ..< match.lowerBound, false)) }
        parts.append((match, true))
        previous = match.upperBound
    }
    if previous < count { parts.append((previous ..< count, false)) }
    return parts
}

/// The pieces to keep, per `tokenizers`' `NormalizedString::split` (ref: tokenizers/src/tokenizer/
/// normalizer.rs, `split`): behaviour semantics including its edge cases; empty pieces are dropped.
func splitRanges(_ parts: [(range: Range<Int>, isMatch: Bool)], behavior: SplitBehavior, invert: Bool) -> [Range<Int>] {
    let parts = invert ? parts.map { ($0.range, !$0.isMatch) } : parts
    var pieces: [Range<Int>] = []
    pieces.reserveCapacity(parts.count)
    switch behavior {
    case .isolated:
        pieces = parts.map(\.range)
    case .removed:
        pieces = parts.filter { !$0.isMatch }.map(\.range)
    case .mergedWithPrevious:
        var previousMatch = false
        for (range, isMatch) in parts {
            if isMatch && !previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound ..< range.upperBound
            } else {
                pieces.append(range)
            }
            previousMatch = isMatch
        }
    case .mergedWithNext:
        var previousMatch = false
        var reversed: [Range<Int>] = []
        for (range, isMatch) in parts.reversed() {
            if isMatch && !previousMatch, let last = reversed.last {
                reversed[reversed.count - 1] = range.lowerBound ..< last.upperBound
            } else {
                reversed.append(range)
            }
            previousMatch = isMatch
        }
        pieces = reversed.reversed()
    case .contiguous:
        var previousMatch = false
        for (range, isMatch) in parts {
            if isMatch == previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound ..< range.upperBound
            } else {
                pieces.append(range)
            }
            previousMatch = isMatch
        }
    }
    return pieces.filter { !$0.isEmpty }
}

/// Matches of single scalars satisfying `predicate`, one match per scalar.
func scalarMatches(in bytes: [UInt8], where predicate: (Unicode.Scalar) -> Bool) -> [Range<Int>] {
    var result: [Range<Int>] = []
    forEachScalar(in: bytes) { scalar, range in
        if predicate(scalar) { result.append(range) }
    }
    return result
}

extension Unicode.Scalar {
    /// Rust's `char::is_numeric`: general category Nd, Nl or No (the same set as `\p{N}`).
    var isNumericCategory: Bool {
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Rust's `char::is_whitespace`: the Unicode White_Space property.
    var isWhitespaceProperty: Bool { properties.isWhitespace }

    /// Rust's `char::is_alphanumeric`: Alphabetic or Numeric.
    var isAlphanumericRust: Bool { properties.isAlphabetic || isNumericCategory }

    /// `tokenizers`' `is_punc`: ASCII punctuation or any Unicode P* category.
    var isPunctuationCategory: Bool {
        if isASCII {
            let v = value
            return (0x21 ... 0x2F).contains(v) || (0x3A ... 0x40).contains(v) || (0x5B ... 0x60).contains(v)
                || (0x7B ... 0x7E).contains(v)
        }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }
}
