// Parsing vader_lexicon.txt: fields, CRLF, duplicates, and typed errors that name file:line.
import Foundation
import Testing
@testable import Rewards

@Suite("SentimentLexicon")
struct SentimentLexiconTests {
    @Test("the committed excerpt parses: 27 lines, 26 words (\"ok\" twice, last line wins), all four fields")
    func excerpt() throws {
        let lex = try excerptLexicon()
        #expect(lex.count == 26)
        let good = try #require(lex.entries["good"])
        #expect(good.valence == 1.9)
        #expect(good.standardDeviation == 0.9434)
        #expect(good.ratings == [2, 1, 1, 3, 2, 4, 2, 2, 1, 1])
        // vaderSentiment's make_lex_dict assigns line by line: the second "ok" (1.2) replaces 1.6.
        #expect(lex.valence(of: "ok") == 1.2)
        #expect(lex.valence(of: "heartbreaking") == -2.0)
        #expect(lex.valence(of: "Good") == nil, "lookups are by the word as written; callers lower-case")
    }

    @Test("the full lexicon from .assets parses (7,520 lines, 7,506 distinct words)", .enabled(if: vaderAssetPresent, Comment(rawValue: fetchAssetsHint)))
    func full() throws {
        let lex = try fullLexicon()
        #expect(lex.count == 7506)
        #expect(lex.valence(of: "love") == 3.2)
        #expect(lex.valence(of: ":)") == 2.0)
        #expect(lex.entries.values.allSatisfy { $0.ratings.count == 10 && $0.ratings.allSatisfy { (-4 ... 4).contains($0) } })
    }

    @Test("LF and CRLF line ends and blank lines are accepted")
    func lineEnds() throws {
        let a = try SentimentLexicon(parsing: "good\t1.9\t0.9\t[2, 1, 1, 3, 2, 4, 2, 2, 1, 1]\n\nbad\t-2.5\t0.6\t[-3, -2, -4, -3, -2, -2, -3, -2, -2, -2]")
        let b = try SentimentLexicon(parsing: "good\t1.9\t0.9\t[2, 1, 1, 3, 2, 4, 2, 2, 1, 1]\r\n\r\nbad\t-2.5\t0.6\t[-3, -2, -4, -3, -2, -2, -3, -2, -2, -2]\r\n")
        #expect(a.entries == b.entries)
        #expect(a.valence(of: "bad") == -2.5)
    }

    static let ratings = "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"

    @Test("malformed lines are typed errors naming file:line and what was expected", arguments: [
        ("good\t1.9\t0.9", "4 tab-separated fields"),
        ("good\tx\t0.9\t\(ratings)", "a number (mean valence) in field 2"),
        ("good\t1.9\t-1\t\(ratings)", "a non-negative number (standard deviation) in field 3"),
        ("good\t1.9\t0.9\t1, 1", "a bracketed list of ratings in field 4"),
        ("good\t1.9\t0.9\t[1, 1, one]", "integer ratings in field 4"),
        ("good\t1.9\t0.9\t[1, 1]", "10 ratings in field 4"),
        // Lines are trimmed first (Python's `line.strip()`), so a missing word is a missing field.
        ("\t1.9\t0.9\t\(ratings)", "4 tab-separated fields"),
    ])
    func malformed(line: String, expected: String) {
        let text = "fine\t0.8\t0.6\t\(Self.ratings)\r\n\r\n\(line)\r\n"
        do {
            _ = try SentimentLexicon(parsing: text, file: "lex.txt")
            Issue.record("expected an error for \(line.debugDescription)")
        } catch {
            guard case let .malformedLine(file, lineNumber, exp, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(file == "lex.txt")
            #expect(lineNumber == 3)
            #expect(exp.hasPrefix(expected))
            #expect(error.description.hasPrefix("lex.txt:3: expected \(expected)"))
        }
    }

    @Test("an empty file and a missing file are typed errors")
    func emptyAndMissing() {
        #expect(throws: RewardsError.empty(file: "e.txt", expected: "word<TAB>mean<TAB>std<TAB>[ratings] lines")) {
            _ = try SentimentLexicon(parsing: "\n\r\n", file: "e.txt")
        }
        do {
            _ = try SentimentLexicon(contentsOf: URL(fileURLWithPath: "/nonexistent/vader_lexicon.txt"))
            Issue.record("expected cannotRead")
        } catch {
            guard case let .cannotRead(file, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == "/nonexistent/vader_lexicon.txt")
        }
    }
}

@Suite("SentimentLexicon raters (simulated annotators)")
struct SentimentLexiconRaterTests {
    @Test("rater k: every word's valence is its k-th rating; the mean of the ten raters is the lexicon mean")
    func raters() throws {
        let lex = try excerptLexicon()
        let raters = try (0 ..< SentimentLexicon.ratingsPerWord).map { try lex.rater($0) }
        for (word, e) in lex.entries {
            for (k, r) in raters.enumerated() {
                #expect(r.valence(of: word) == Double(e.ratings[k]), "\(word) rater \(k)")
                #expect(r.entries[word]?.ratings == e.ratings, "the raw ratings are kept")
            }
            let mean = raters.map { $0.valence(of: word)! }.reduce(0, +) / 10
            // The file's means are rounded to one decimal.
            #expect(abs(mean - e.valence) <= 0.05 + 1e-12, "\(word): \(mean) vs \(e.valence)")
        }
        #expect(raters[0].valence(of: "good") == 2)
        #expect(raters[5].valence(of: "good") == 4)
        #expect(raters.allSatisfy { $0.count == lex.count })
    }

    @Test("leave-one-out: the mean of the other nine ratings")
    func leaveOneOut() throws {
        let lex = try excerptLexicon()
        // good: [2, 1, 1, 3, 2, 4, 2, 2, 1, 1], sum 19.
        #expect(try lex.rater(5, leaveOut: true).valence(of: "good") == 15.0 / 9)
        #expect(try lex.rater(0, leaveOut: true).valence(of: "good") == 17.0 / 9)
    }

    @Test("a rater index outside 0..<10, or an entry without ten ratings, is an error that says so")
    func errors() throws {
        let lex = try excerptLexicon()
        #expect(throws: RewardsError.invalidArgument("rater index 10 is outside 0 ..< 10")) { try lex.rater(10) }
        #expect(throws: RewardsError.self) { try lex.rater(-1) }
        let short = SentimentLexicon(entries: [.init(word: "meh", valence: -0.5, standardDeviation: 0, ratings: [-1, 0])])
        #expect(throws: RewardsError.invalidArgument("lexicon word \"meh\" has 2 ratings, expected 10")) { try short.rater(0) }
    }
}
