// VADER's rules on hand-checked cases (committed excerpt lexicon), and parity with the Python
// vaderSentiment 3.3.2 on 51 sentences (full lexicon from .assets; fixture from generate_vader.py).
import Foundation
import Testing
@testable import Rewards

@Suite("SentimentAnalyzer (VADER rules)")
struct SentimentAnalyzerTests {
    let analyzer: SentimentAnalyzer

    init() throws { analyzer = SentimentAnalyzer(lexicon: try excerptLexicon()) }

    func valences(_ text: String) -> [Double] { analyzer.analyze(text).valences }

    @Test("a lexicon word alone: its valence, compound = x/√(x²+15)")
    func single() {
        let a = analyzer.analyze("The book was good.")
        #expect(a.words.map(\.text) == ["The", "book", "was", "good"])
        #expect(a.valences == [0, 0, 0, 1.9])
        #expect(close(a.compound, 1.9 / (1.9 * 1.9 + 15).squareRoot()))
        // pos/neg/neu: (1.9 + 1) / (2.9 + 3 neutral words).
        #expect(close(a.positive, 2.9 / 5.9) && close(a.neutral, 3 / 5.9) && a.negative == 0)
    }

    @Test("negation (× −0.74), including n't and up to three words back")
    func negation() {
        #expect(close(valences("not good")[1], 1.9 * -0.74))
        #expect(close(valences("isn't good")[1], 1.9 * -0.74))
        #expect(close(valences("never really good")[2], (1.9 + 0.293) * -0.74))
        #expect(close(valences("without doubt good")[2], 1.9), "\"without doubt\" is not a negation")
    }

    @Test("boosters add ±0.293 (damped 0.95, 0.9 by distance), sign-matched to the word")
    func boosters() {
        #expect(close(valences("very good")[1], 1.9 + 0.293))
        #expect(close(valences("very bad")[1], -2.5 - 0.293))
        #expect(close(valences("slightly good")[1], 1.9 - 0.293))
        #expect(close(valences("very very good")[2], 1.9 + 0.293 + 0.293 * 0.95))
        #expect(valences("very good")[0] == 0, "the booster itself has no valence")
        // "kind of" is a dampener bigram, applied through the idiom check three words on.
        #expect(close(valences("it was kind of good")[4], 1.9 - 0.293))
        #expect(valences("it was kind of good")[2] == 0, "\"kind\" before \"of\" is not the lexicon's \"kind\"")
    }

    @Test("ALL CAPS adds 0.733 only when the text mixes case")
    func caps() {
        #expect(close(valences("GOOD day")[0], 1.9 + 0.733))
        #expect(close(valences("BAD day")[0], -2.5 - 0.733))
        #expect(valences("GOOD DAY")[0] == 1.9)
        #expect(close(valences("VERY good day")[1], 1.9 + 0.293 + 0.733), "a capitalised booster")
    }

    @Test("\"!\" adds 0.292 each up to 4; \"?\" 0.18 each for 2–3, 0.96 for more")
    func punctuation() {
        let ex = analyzer.analyze("good!!!")
        #expect(ex.valences == [1.9])
        #expect(close(ex.punctuationEmphasis, 3 * 0.292))
        #expect(close(ex.compound, VADERRules.normalize(1.9 + 3 * 0.292)))
        #expect(close(analyzer.analyze("good!!!!!!!").punctuationEmphasis, 4 * 0.292))
        #expect(close(analyzer.analyze("good??").punctuationEmphasis, 0.36))
        #expect(close(analyzer.analyze("good????").punctuationEmphasis, 0.96))
        #expect(analyzer.analyze("good?").punctuationEmphasis == 0)
        // Emphasis pushes away from zero: subtracted from a negative sum.
        #expect(close(analyzer.analyze("bad!").sum, -2.5 - 0.292))
    }

    @Test("\"but\": before × 0.5, after × 1.5")
    func but() {
        #expect(valences("good but bad") == [0.95, 0, -3.75])
        #expect(close(valences("but good")[1], 1.9 * 1.5))
    }

    @Test("the released \"but\" rule's list.index quirk, and the positional rule")
    func butQuirk() {
        // kind 2.4 → 1.2, then ok 1.2 is looked up by value, finds kind's slot, halves it again.
        #expect(valences("She is kind and ok but dull.") == [0, 0, 0.6, 0, 1.2, 0, 0])
        let positional = SentimentAnalyzer(lexicon: analyzer.lexicon, butRule: .byPosition)
        #expect(positional.analyze("She is kind and ok but dull.").valences == [0, 0, 1.2, 0, 0.6, 0, 0])
    }

    @Test("\"no\": negates the next lexicon word (and up to three on), and loses its own valence")
    func no() {
        #expect(valences("no joy") == [0, 2.8 * -0.74])
        #expect(valences("no") == [-1.2])
        #expect(close(valences("no hope or love")[3], 3.2 * -0.74))
    }

    @Test("\"least\" negates, \"at least\" and \"very least\" do not")
    func least() {
        #expect(close(valences("least good")[1], 1.9 * -0.74))
        #expect(close(valences("the least good")[2], 1.9 * -0.74))
        #expect(valences("at least good")[2] == 1.9)
    }

    @Test("words: whitespace split, ASCII punctuation stripped unless ≤ 2 characters remain; byte ranges")
    func words() {
        let text = "\"Wonderful!\" she said -- (truly) lovely...  ok! café\tnice"
        let a = analyzer.analyze(text)
        #expect(a.words.map(\.text) == ["Wonderful", "she", "said", "--", "truly", "lovely", "ok!", "café", "nice"])
        let bytes = Array(text.utf8)
        for w in a.words {
            #expect(String(decoding: bytes[w.bytes], as: UTF8.self) == w.text)
        }
        #expect(a.words[0].bytes == 1 ..< 10)
        #expect(a.words[6].valence == 0, "\"ok!\" keeps its \"!\" (stripping would leave 2 characters) and is not a lexicon word")
    }

    @Test("an empty or blank text scores 0")
    func empty() {
        for t in ["", "   \n\t"] {
            let a = analyzer.analyze(t)
            #expect(a.words.isEmpty && a.compound == 0 && a.positive == 0 && a.neutral == 0)
        }
    }

    @Test("invalid UTF-8 reads as U+FFFD without shifting byte ranges")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("caf".utf8) + [0xC3] + Array(" good".utf8)
        let a = analyzer.analyze(utf8: bytes)
        #expect(a.words.map(\.text) == ["caf\u{FFFD}", "good"])
        #expect(a.words[1].bytes == 5 ..< 9)
        #expect(a.valences == [0, 1.9])
    }
}

// MARK: - Parity with Python vaderSentiment 3.3.2

struct VADERReference: Decodable {
    struct Case: Decodable {
        var text: String
        var words: [String]
        var valences: [Double]
        var compound: Double
        var pos: Double
        var neg: Double
        var neu: Double
    }
    var reference: String
    var cases: [Case]
}

@Suite("VADER parity with vaderSentiment 3.3.2", .enabled(if: vaderAssetPresent, Comment(rawValue: fetchAssetsHint)))
struct VADERParityTests {
    @Test("51 sentences: words, per-word valences, compound and pos/neg/neu within 1e-4")
    func parity() throws {
        let data = try Data(contentsOf: RewardsPaths.fixture("vader_reference.json"))
        let reference = try JSONDecoder().decode(VADERReference.self, from: data)
        #expect(reference.reference.hasPrefix("vaderSentiment 3.3.2"))
        #expect(reference.cases.count == 51)
        let analyzer = SentimentAnalyzer(lexicon: try fullLexicon())
        var worst = 0.0
        for c in reference.cases {
            let a = analyzer.analyze(c.text)
            #expect(a.words.map(\.text) == c.words, "\(c.text.debugDescription)")
            guard a.words.count == c.words.count else { continue }
            for (k, (mine, theirs)) in zip(a.valences, c.valences).enumerated() {
                worst = max(worst, abs(mine - theirs))
                #expect(abs(mine - theirs) <= 1e-4, "\(c.text.debugDescription) word \(k) \(c.words[k]): \(mine) vs \(theirs)")
            }
            for (name, mine, theirs) in [("compound", a.compound, c.compound), ("pos", a.positive, c.pos),
                                         ("neg", a.negative, c.neg), ("neu", a.neutral, c.neu)] {
                worst = max(worst, abs(mine - theirs))
                #expect(abs(mine - theirs) <= 1e-4, "\(c.text.debugDescription) \(name): \(mine) vs \(theirs)")
            }
        }
        #expect(worst <= 1e-4)
    }

    @Test("the positional \"but\" rule differs from the released one only where values repeat")
    func butRules() throws {
        let lex = try fullLexicon()
        let released = SentimentAnalyzer(lexicon: lex)
        let positional = SentimentAnalyzer(lexicon: lex, butRule: .byPosition)
        #expect(released.analyze("The plot was good, but the characters are uncompelling").valences
            == positional.analyze("The plot was good, but the characters are uncompelling").valences)
        #expect(released.analyze("She is kind and ok but dull.").valences
            != positional.analyze("She is kind and ok but dull.").valences)
    }
}
