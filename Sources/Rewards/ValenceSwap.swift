// TLDR's synthetic hard negatives for sentiment text (arXiv 2410.04734, text-only analogue): one
// word of a response that the VADER lexicon rates clearly positive or negative is swapped for a
// lexicon word of the opposite valence and about the same strength, so the negative differs from the
// good response in exactly one word — the one span labelled bad (`rejected_error_spans`).
//
// Only alphabetic lexicon words with |valence| ≥ `minimumStrength` take part (VADER's emoticons and
// slang fragments would not read as a word swap). The replacement is drawn with the row's seed
// among the opposite-sign words whose strength is within `strengthTolerance` of the original's,
// from a list sorted by word (the lexicon is a dictionary, so its order is not stable); when none
// is that close, the opposite-sign word of nearest strength is used. A capitalised word gets a
// capitalised replacement.
import Support

/// One swapped word.
public struct ValenceSwap: Equatable, Sendable {
    /// The perturbed text.
    public var text: String
    /// The replaced word's place in the perturbed text, in Unicode scalars.
    public var span: Range<Int>
    public var original: String
    public var replacement: String
}

public struct ValenceSwapper: Sendable {
    public var minimumStrength: Double
    public var strengthTolerance: Double
    /// Alphabetic words by sign, sorted by word: (word, valence).
    let positive: [(word: String, valence: Double)]
    let negative: [(word: String, valence: Double)]
    let lexicon: SentimentLexicon

    public init(lexicon: SentimentLexicon, minimumStrength: Double = 1, strengthTolerance: Double = 0.5) {
        self.lexicon = lexicon
        self.minimumStrength = minimumStrength
        self.strengthTolerance = strengthTolerance
        let words = lexicon.entries.values
            .filter { abs($0.valence) >= minimumStrength && !$0.word.isEmpty && $0.word.unicodeScalars.allSatisfy { $0.properties.isAlphabetic } }
            .map { (word: $0.word, valence: $0.valence) }
            .sorted { $0.word < $1.word }
        positive = words.filter { $0.valence > 0 }
        negative = words.filter { $0.valence < 0 }
    }

    /// The text with one rated word swapped for one of opposite valence (the word and its
    /// replacement drawn with `seed`), or nil when the text has no word the swap applies to.
    public func swap(_ text: String, seed: UInt64) -> ValenceSwap? {
        let scalars = Array(text.unicodeScalars)
        // Maximal alphabetic runs whose lower-cased form is a rated word.
        var candidates: [(range: Range<Int>, word: String, valence: Double)] = []
        var i = 0
        while i < scalars.count {
            guard scalars[i].properties.isAlphabetic else { i += 1; continue }
            var j = i
            while j < scalars.count, scalars[j].properties.isAlphabetic { j += 1 }
            let word = String(String.UnicodeScalarView(scalars[i ..< j])).lowercased()
            if let v = lexicon.valence(of: word), abs(v) >= minimumStrength { candidates.append((i ..< j, word, v)) }
            i = j
        }
        guard !candidates.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        let pick = candidates[Int(rng.next() % UInt64(candidates.count))]
        let pool = pick.valence > 0 ? negative : positive
        guard !pool.isEmpty else { return nil }
        let strength = abs(pick.valence)
        let close = pool.filter { abs(abs($0.valence) - strength) <= strengthTolerance }
        var replacement: String
        if close.isEmpty {
            replacement = pool.min { abs(abs($0.valence) - strength) < abs(abs($1.valence) - strength) }?.word ?? pool[0].word
        } else {
            replacement = close[Int(rng.next() % UInt64(close.count))].word
        }
        if let first = scalars[pick.range.lowerBound].properties.isUppercase ? replacement.first : nil {
            replacement = first.uppercased() + replacement.dropFirst()
        }
        let before = String(String.UnicodeScalarView(scalars[..<pick.range.lowerBound]))
        let after = String(String.UnicodeScalarView(scalars[pick.range.upperBound...]))
        let start = pick.range.lowerBound
        return ValenceSwap(text: before + replacement + after, span: start ..< start + replacement.unicodeScalars.count,
                           original: String(String.UnicodeScalarView(scalars[pick.range])), replacement: replacement)
    }

    /// A TLDR pair row from a good response: chosen = `response`, rejected = its swap, the swapped
    /// word as the one error span; nil when no word can be swapped.
    public func tldrRow(prompt: String, response: String, seed: UInt64) -> [String: Any]? {
        guard let s = swap(response, seed: seed) else { return nil }
        return ["prompt": prompt, "chosen": response, "rejected": s.text, "rejected_error_kind": "valence-swap",
                "rejected_error_spans": [["start": s.span.lowerBound, "end": s.span.upperBound, "severity": "major"] as [String: Any]],
                "swapped": [s.original, s.replacement]]
    }
}
