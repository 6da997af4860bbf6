// A profanity penalty from the better-profanity 0.7.0 word list (`better_profanity/
// profanity_wordlist.txt`, MIT; 916 entries, some multi-word like "two girls one cup", some with
// inner punctuation like "f_u_c_k" or trailing punctuation like "s.o.b."): a toxicity term for the
// sentiment experiment, so that a policy chasing positive valence does not drift into slurs and swearing
// (several VADER boosters are themselves profane).
//
// Matching is whole-word and case-insensitive: an entry matches where the text has the same
// characters (any run of whitespace standing for an entry's space), with no letter or digit just
// before an entry that starts with one, nor just after one that ends with one — regex `\b`
// semantics. better-profanity also expands each entry into look-alike spellings ("@" for "a", "$"
// for "s", …) and censors across separators; that is a censoring heuristic, left out here so that
// the penalty is exactly "this listed word occurred", which is what a reward should count.
import Foundation
import Tokenizers

/// A matched entry of the word list.
public struct ProfanityMatch: Equatable, Sendable {
    /// The entry as listed (lower-cased).
    public var entry: String
    /// The UTF-8 byte range of the matched text.
    public var bytes: Range<Int>
}

/// The word list, indexed for matching.
public struct ProfanityList: Sendable {
    /// Lower-cased entries, whitespace runs collapsed to one space.
    public let entries: [String]
    let scalarsByFirst: [Unicode.Scalar: [[Unicode.Scalar]]]

    public init(words: [String]) {
        var seen = Set<String>()
        var list: [String] = []
        var index: [Unicode.Scalar: [[Unicode.Scalar]]] = [:]
        for w in words {
            let parts = w.split(whereSeparator: { $0.isWhitespace })
            guard !parts.isEmpty else { continue }
            var scalars: [Unicode.Scalar] = []
            for (k, part) in parts.enumerated() {
                if k > 0 { scalars.append(" ") }
                scalars.append(contentsOf: part.unicodeScalars.map(Self.lowercased))
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            let entry = String(view)
            guard seen.insert(entry).inserted, let first = scalars.first else { continue }
            list.append(entry)
            index[first, default: []].append(scalars)
        }
        // Longest first, so at one position a multi-word entry wins over its first word.
        for key in index.keys { index[key]?.sort { $0.count > $1.count } }
        entries = list
        scalarsByFirst = index
    }

    /// Reads a word list (one entry per line, blank lines skipped, as better-profanity's
    /// `read_wordlist`).
    public init(contentsOf url: URL) throws(RewardsError) {
        let text = try readUTF8File(url)
        let words = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !words.isEmpty else { throw .empty(file: url.path, expected: "one word per line") }
        self.init(words: words)
    }

    public var count: Int { entries.count }

    static func lowercased(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII {
            return (0x41 ... 0x5A).contains(s.value) ? Unicode.Scalar(UInt8(s.value + 32)) : s
        }
        let m = s.properties.lowercaseMapping.unicodeScalars
        return m.count == 1 ? m.first ?? s : s
    }

    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Non-overlapping whole-word matches, left to right (the longest entry at each position).
    public func matches(in text: String) -> [ProfanityMatch] { matches(utf8: Array(text.utf8)) }

    /// `matches(in:)` on UTF-8 bytes (invalid bytes read as U+FFFD; ranges refer to `bytes`).
    public func matches(utf8 bytes: [UInt8]) -> [ProfanityMatch] {
        let spans = ScalarSpans.decode(bytes)
        let text = spans.map { Self.lowercased($0.scalar) }
        let n = text.count
        var out: [ProfanityMatch] = []
        var p = 0
        while p < n {
            var matchedEnd: Int? = nil
            var matchedEntry: [Unicode.Scalar] = []
            if let candidates = scalarsByFirst[text[p]] {
                for entry in candidates {
                    if let end = match(entry, in: text, at: p) {
                        matchedEnd = end
                        matchedEntry = entry
                        break
                    }
                }
            }
            if let end = matchedEnd {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: matchedEntry)
                out.append(ProfanityMatch(entry: String(view), bytes: spans[p].bytes.lowerBound ..< spans[end - 1].bytes.upperBound))
                p = end
            } else {
                p += 1
            }
        }
        return out
    }

    /// The end (exclusive scalar index) of `entry` matched at `p`, or nil.
    func match(_ entry: [Unicode.Scalar], in text: [Unicode.Scalar], at p: Int) -> Int? {
        guard let first = entry.first, let last = entry.last else { return nil }
        if Self.isWordScalar(first), p > 0, Self.isWordScalar(text[p - 1]) { return nil }
        var q = p
        for e in entry {
            if e == " " {
                guard q < text.count, ScalarSpans.isPythonWhitespace(text[q]) else { return nil }
                while q < text.count, ScalarSpans.isPythonWhitespace(text[q]) { q += 1 }
            } else {
                guard q < text.count, text[q] == e else { return nil }
                q += 1
            }
        }
        if Self.isWordScalar(last), q < text.count, Self.isWordScalar(text[q]) { return nil }
        return q
    }
}

/// Profanity as a (negative) token-level reward.
public struct ProfanityPenalty: TokenLevelScorer {
    public var list: ProfanityList
    /// Penalty per matched entry (a positive magnitude; rewards are −penalty).
    public var penalty: Double
    /// How a match's −penalty is placed on its tokens. Default `.spread`: every token of the word
    /// is penalised and the token rewards add up to the sequence score.
    public var placement: SubwordPlacement

    public init(list: ProfanityList, penalty: Double = 1, placement: SubwordPlacement = .spread) {
        precondition(penalty.isFinite && penalty >= 0, "ProfanityPenalty: penalty must be a finite magnitude ≥ 0, got \(penalty)")
        self.list = list
        self.penalty = penalty
        self.placement = placement
    }

    /// Loads the word list (`.assets/profanity/profanity_wordlist.txt`).
    public init(wordListFile: URL, penalty: Double = 1, placement: SubwordPlacement = .spread) throws(RewardsError) {
        self.init(list: try ProfanityList(contentsOf: wordListFile), penalty: penalty, placement: placement)
    }

    /// The sequence reward: −penalty × number of matches.
    public func sequenceScore(_ text: String) -> Double { -penalty * Double(list.matches(in: text).count) }

    /// The core of `TokenLevelScorer`: each match's −penalty on its tokens.
    public func score(utf8 bytes: [UInt8], offsets: [Range<Int>], specialTokensMask: [Bool]?) -> TokenLevelScore {
        let found = list.matches(utf8: bytes)
        let spans = found.map { SpanValue(bytes: $0.bytes, value: -penalty) }
        let rewards = TokenSpanAlignment.distribute(spans, offsets: offsets, excluded: specialTokensMask, placement: placement)
        return TokenLevelScore(tokenRewards: rewards, sequenceScore: -penalty * Double(found.count), spans: spans)
    }
}
