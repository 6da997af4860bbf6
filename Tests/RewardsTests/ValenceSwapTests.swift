// TLDR's sentiment hard negatives: one rated word swapped for a word of opposite valence and
// similar strength, the swapped word the only error span, seeded and reproducible.
import Rewards
import Testing

@Suite struct ValenceSwapTests {
    static let lexicon = SentimentLexicon(entries: [
        ("good", 1.9), ("great", 3.1), ("happy", 2.7), ("bad", -2.5), ("awful", -2.0), ("sad", -2.1),
        ("terrible", -3.1), ("meh", -0.3), (":)", 2.0),
    ].map { SentimentLexicon.Entry(word: $0.0, valence: $0.1, standardDeviation: 0, ratings: []) })

    @Test func swapsOneRatedWordForOneOfOppositeValence() throws {
        let swapper = ValenceSwapper(lexicon: Self.lexicon)
        let text = "What a Great day, meh :)"
        for seed in UInt64(0) ..< 20 {
            let s = try #require(swapper.swap(text, seed: seed))
            // Only "Great" is rated ≥ 1 and alphabetic; its replacement is negative, of strength within 0.5 of 3.1.
            #expect(s.original == "Great")
            #expect(["Terrible"].contains(s.replacement), "\(s.replacement)")
            let scalars = Array(s.text.unicodeScalars)
            #expect(String(String.UnicodeScalarView(scalars[s.span])) == s.replacement)
            #expect(s.text == "What a \(s.replacement) day, meh :)")
            #expect(swapper.swap(text, seed: seed) == s)
        }
        // A negative word becomes a positive one; the nearest strength when none is within tolerance.
        let neg = try #require(ValenceSwapper(lexicon: Self.lexicon, strengthTolerance: 0.1).swap("so sad", seed: 1))
        #expect(neg.original == "sad" && neg.replacement == "good")  // |1.9 − 2.1| = 0.2 is the nearest
        #expect(swapper.swap("nothing rated here", seed: 0) == nil)
    }

    @Test func tldrRowLabelsOnlyTheSwappedWord() throws {
        let row = try #require(ValenceSwapper(lexicon: Self.lexicon).tldrRow(prompt: "Say:", response: " I am happy now", seed: 3))
        #expect(row["chosen"] as? String == " I am happy now")
        let rejected = try #require(row["rejected"] as? String)
        let spans = try #require(row["rejected_error_spans"] as? [[String: Any]])
        #expect(spans.count == 1)
        let start = try #require(spans[0]["start"] as? Int), end = try #require(spans[0]["end"] as? Int)
        let word = String(String.UnicodeScalarView(Array(rejected.unicodeScalars)[start ..< end]))
        #expect(["bad", "sad", "terrible", "awful"].contains(word) && rejected == " I am \(word) now", "\(rejected)")
    }
}
