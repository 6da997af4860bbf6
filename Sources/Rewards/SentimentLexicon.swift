// The VADER sentiment lexicon (Hutto & Gilbert, "VADER: A Parsimonious Rule-based Model for
// Sentiment Analysis of Social Media Text", ICWSM 2014): ~7,500 words, emoticons and slang, each
// rated by ten human raters on −4 (extremely negative) … +4 (extremely positive).
//
// File format (vaderSentiment 3.3.2, `vaderSentiment/vader_lexicon.txt`, CRLF line ends), one
// entry per line, tab-separated:
//
//     good<TAB>1.9<TAB>0.9434<TAB>[2, 1, 1, 3, 2, 4, 2, 2, 1, 1]
//
// word, mean valence, standard deviation, and the ten raw ratings as a bracketed list. vaderSentiment
// itself reads only the first two fields (`make_lex_dict`); we parse all four so the ratings can
// serve as noisy annotators for simulated preference labels (docs/design/rewards.md §2.2), and reject malformed
// lines with their line number instead of skipping them silently.
import Foundation

/// The VADER lexicon: word → mean valence, with the raters' spread and raw ratings.
public struct SentimentLexicon: Sendable {
    /// One lexicon line.
    public struct Entry: Equatable, Sendable {
        /// The word as written in the file (lookups lower-case the text's word, as VADER does).
        public var word: String
        /// Mean of the ratings: the word's valence, −4 … +4.
        public var valence: Double
        /// Standard deviation of the ratings.
        public var standardDeviation: Double
        /// The raw ratings (ten integers in −4 … 4 in vaderSentiment 3.3.2).
        public var ratings: [Int]

        public init(word: String, valence: Double, standardDeviation: Double, ratings: [Int]) {
            self.word = word
            self.valence = valence
            self.standardDeviation = standardDeviation
            self.ratings = ratings
        }
    }

    /// Entries keyed by the word as written. A word listed twice keeps its last line (as Python's
    /// `dict` assignment in `make_lex_dict` does).
    public private(set) var entries: [String: Entry]

    /// The number of raw ratings each line must carry.
    public static let ratingsPerWord = 10

    public init(entries: [Entry]) {
        var d: [String: Entry] = [:]
        for e in entries { d[e.word] = e }
        self.entries = d
    }

    /// Reads a lexicon file (e.g. `.assets/vader/vader_lexicon.txt`).
    public init(contentsOf url: URL) throws(RewardsError) {
        try self.init(parsing: try readUTF8File(url), file: url.path)
    }

    /// Parses lexicon text. Blank lines are skipped; any other line must have the four fields.
    /// - Parameter file: the name used in error messages.
    public init(parsing text: String, file: String = "vader_lexicon.txt") throws(RewardsError) {
        var list: [Entry] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {  // "\r\n" is one Character
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            list.append(try Self.parseLine(line, file: file, line: lineNumber))
        }
        guard !list.isEmpty else { throw .empty(file: file, expected: "word<TAB>mean<TAB>std<TAB>[ratings] lines") }
        self.init(entries: list)
    }

    static func parseLine(_ line: String, file: String, line n: Int) throws(RewardsError) -> Entry {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4 else {
            throw .malformedLine(file: file, line: n, expected: "4 tab-separated fields (word, mean, std, [ratings])",
                                 found: "\(fields.count) field(s): \(Self.excerpt(line))")
        }
        let word = fields[0]
        guard !word.isEmpty else {
            throw .malformedLine(file: file, line: n, expected: "a word in field 1", found: "an empty field")
        }
        guard let mean = Double(fields[1]), mean.isFinite else {
            throw .malformedLine(file: file, line: n, expected: "a number (mean valence) in field 2", found: Self.excerpt(fields[1]))
        }
        guard let std = Double(fields[2]), std.isFinite, std >= 0 else {
            throw .malformedLine(file: file, line: n, expected: "a non-negative number (standard deviation) in field 3",
                                 found: Self.excerpt(fields[2]))
        }
        let list = fields[3].trimmingCharacters(in: .whitespaces)
        guard list.hasPrefix("["), list.hasSuffix("]") else {
            throw .malformedLine(file: file, line: n, expected: "a bracketed list of ratings in field 4", found: Self.excerpt(list))
        }
        let body = list.dropFirst().dropLast()
        var ratings: [Int] = []
        for item in body.split(separator: ",") {
            guard let r = Int(item.trimmingCharacters(in: .whitespaces)) else {
                throw .malformedLine(file: file, line: n, expected: "integer ratings in field 4", found: Self.excerpt(String(item)))
            }
            ratings.append(r)
        }
        guard ratings.count == ratingsPerWord else {
            throw .malformedLine(file: file, line: n, expected: "\(ratingsPerWord) ratings in field 4", found: "\(ratings.count)")
        }
        return Entry(word: word, valence: mean, standardDeviation: std, ratings: ratings)
    }

    static func excerpt(_ s: String) -> String {
        let e = s.count > 60 ? String(s.prefix(60)) + "…" : s
        return "\"\(e)\""
    }

    /// The lexicon as one simulated annotator would have written it: every word's valence replaced
    /// by its `index`-th raw rating (0 ..< `ratingsPerWord`). VADER's raters were crowd workers
    /// rating each word independently, so "rater k" is not one person across words; it is one draw
    /// of a human rating per word, which is what a noise ceiling needs: how well does a single
    /// human rating rank words against the ten-rater mean?
    /// - Parameter leaveOut: instead, the mean of the other ratings (the index-th left out): the
    ///   truth a single rater is compared against without their own vote.
    public func rater(_ index: Int, leaveOut: Bool = false) throws(RewardsError) -> SentimentLexicon {
        guard (0 ..< Self.ratingsPerWord).contains(index) else {
            throw .invalidArgument("rater index \(index) is outside 0 ..< \(Self.ratingsPerWord)")
        }
        var copy = self
        for (word, e) in entries {
            guard e.ratings.count == Self.ratingsPerWord else {
                throw .invalidArgument("lexicon word \"\(word)\" has \(e.ratings.count) ratings, expected \(Self.ratingsPerWord)")
            }
            var rated = e
            if leaveOut {
                let others = e.ratings.enumerated().filter { $0.offset != index }.map(\.element)
                rated.valence = Double(others.reduce(0, +)) / Double(others.count)
            } else {
                rated.valence = Double(e.ratings[index])
            }
            copy.entries[word] = rated
        }
        return copy
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// The mean valence of `word` as written in the file (callers lower-case first, as VADER does).
    public func valence(of word: String) -> Double? { entries[word]?.valence }

    /// Whether `word` is a lexicon entry (VADER's rules test this for neighbours of a word).
    public func contains(_ word: String) -> Bool { entries[word] != nil }
}
