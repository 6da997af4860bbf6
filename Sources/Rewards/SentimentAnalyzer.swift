// VADER sentiment scoring (Hutto & Gilbert, ICWSM 2014) with the valence of every word kept, so
// it can serve as a per-word (and then per-token) reward.
//
// This ports the rules of vaderSentiment 3.3.2 (`SentimentIntensityAnalyzer.polarity_scores` and
// its helpers in `vaderSentiment/vaderSentiment.py`, MIT): the same word split, the same order of
// rule applications and the same constants (`VADERRules`), written afresh. A committed fixture made
// with the Python package (Tests/Fixtures/rewards/generate_vader.py) checks compound scores and
// per-word valences to 1e-4.
//
// Differences from the Python package, on purpose:
//  * Emoji are not translated into their descriptions (`emoji_utf8_lexicon.txt`); an emoji is an
//    ordinary (unknown, neutral) word. LM generations here are emoji-free English.
//  * Each word carries the UTF-8 byte range of its text, so valences can be moved onto tokens.
//  * `ButRule.byPosition` offers the evidently intended "but" rule (see `ButRule`).

/// How the contrastive-conjunction rule ("X, but Y": X × 0.5, Y × 1.5) picks the words it scales.
public enum ButRule: String, Sendable, CaseIterable, Codable {
    /// As released in vaderSentiment 3.3.2: `_but_check` finds each sentiment's position with
    /// `list.index(value)`, the *first* position holding an equal value, so when two words share a
    /// valence the first one can be scaled twice and the second not at all. Matches the Python scores.
    case asReleased
    /// Every word before the first "but" × 0.5, every word after it × 1.5 (the rule as the paper
    /// describes it).
    case byPosition
}

/// One word as VADER sees it: a whitespace-separated piece of the text with leading and trailing
/// ASCII punctuation removed, unless that leaves two characters or fewer (then the piece is kept
/// whole, so emoticons like ":)" survive) — `SentiText._strip_punc_if_word`.
public struct SentimentWord: Equatable, Sendable {
    /// The word's text (punctuation stripped as above; case kept).
    public var text: String
    /// The UTF-8 byte range of `text` in the analysed text.
    public var bytes: Range<Int>
    /// The word's valence after all rules (0 for words outside the lexicon).
    public var valence: Double

    public init(text: String, bytes: Range<Int>, valence: Double) {
        self.text = text
        self.bytes = bytes
        self.valence = valence
    }
}

/// The analysis of one text.
public struct SentimentAnalysis: Equatable, Sendable {
    /// The words in order, with their valences after all rules.
    public var words: [SentimentWord]
    /// Emphasis from "!" and "?" added to (subtracted from) a positive (negative) sum.
    public var punctuationEmphasis: Double
    /// Sum of the word valences plus punctuation emphasis in the direction of the sum: the
    /// unnormalised score.
    public var sum: Double
    /// VADER's compound score: `sum` normalised by x/√(x²+15) into [−1, 1], unrounded (the Python
    /// package rounds to 4 decimals).
    public var compound: Double
    /// VADER's pos/neg/neu proportions, unrounded (the Python package rounds to 3 decimals).
    public var positive: Double
    public var negative: Double
    public var neutral: Double

    /// Per-word valences (in word order).
    public var valences: [Double] { words.map(\.valence) }
}

/// VADER: a lexicon plus rules.
public struct SentimentAnalyzer: Sendable {
    public var lexicon: SentimentLexicon
    public var butRule: ButRule

    public init(lexicon: SentimentLexicon, butRule: ButRule = .asReleased) {
        self.lexicon = lexicon
        self.butRule = butRule
    }

    /// Analyses `text` as one unit (VADER is designed for sentences; a multi-sentence text is scored
    /// as the Python package would score it when given the whole text).
    public func analyze(_ text: String) -> SentimentAnalysis {
        analyze(utf8: Array(text.utf8))
    }

    /// Analyses UTF-8 bytes (possibly invalid: each bad byte reads as U+FFFD, offsets stay exact).
    public func analyze(utf8 bytes: [UInt8]) -> SentimentAnalysis {
        let scalars = ScalarSpans.decode(bytes)
        let pieces = words(in: scalars)
        let texts = pieces.map(\.text)
        let valences = self.valences(words: texts)

        var exclamations = 0, questions = 0
        for s in scalars {
            if s.scalar == "!" { exclamations += 1 } else if s.scalar == "?" { questions += 1 }
        }
        let emphasis = VADERRules.punctuationEmphasis(exclamations: exclamations, questions: questions)

        var result = SentimentAnalysis(
            words: zip(pieces, valences).map { SentimentWord(text: $0.text, bytes: $0.bytes, valence: $1) },
            punctuationEmphasis: emphasis, sum: 0, compound: 0, positive: 0, negative: 0, neutral: 0)
        guard !valences.isEmpty else { return result }

        // ref: def score_valence(self, sentiments, text)
        var sum = valences.reduce(0, +)
        if sum > 0 { sum += emphasis } else if sum < 0 { sum -= emphasis }
        result.sum = sum
        result.compound = VADERRules.normalize(sum)

        // ref: def _sift_sentiment_scores(sentiments) — +1/−1 "compensates for neutral words"
        var posSum = 0.0, negSum = 0.0, neuCount = 0
        for v in valences {
            if v > 0 { posSum += v + 1 }
            if v < 0 { negSum += v - 1 }
            if v == 0 { neuCount += 1 }
        }
        if posSum > abs(negSum) { posSum += emphasis } else if posSum < abs(negSum) { negSum -= emphasis }
        let total = posSum + abs(negSum) + Double(neuCount)
        result.positive = abs(posSum / total)
        result.negative = abs(negSum / total)
        result.neutral = abs(Double(neuCount) / total)
        return result
    }

    /// VADER's compound score for `text`, in [−1, 1].
    public func compound(_ text: String) -> Double { analyze(text).compound }

    // MARK: Words

    /// ref: `SentiText._words_and_emoticons`: `text.split()`, then strip ASCII punctuation from
    /// both ends unless that leaves ≤ 2 characters.
    func words(in scalars: [ScalarSpan]) -> [(text: String, bytes: Range<Int>)] {
        var out: [(text: String, bytes: Range<Int>)] = []
        for piece in ScalarSpans.splitOnWhitespace(scalars) {
            var lo = piece.lowerBound, hi = piece.upperBound
            while lo < hi, Self.isASCIIPunctuation(scalars[lo].scalar) { lo += 1 }
            while hi > lo, Self.isASCIIPunctuation(scalars[hi - 1].scalar) { hi -= 1 }
            if hi - lo <= 2 { lo = piece.lowerBound; hi = piece.upperBound }
            var text = String.UnicodeScalarView()
            for k in lo ..< hi { text.append(scalars[k].scalar) }
            out.append((String(text), scalars[lo].bytes.lowerBound ..< scalars[hi - 1].bytes.upperBound))
        }
        return out
    }

    /// Python's `string.punctuation`: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
    static func isASCIIPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x21 ... 0x2F, 0x3A ... 0x40, 0x5B ... 0x60, 0x7B ... 0x7E: return true
        default: return false
        }
    }

    // MARK: Rules

    /// Per-word valences after every rule, for VADER words (as produced by `words(in:)`).
    /// ref: `polarity_scores` (loop), `sentiment_valence`, `_but_check`.
    public func valences(words: [String]) -> [Double] {
        let n = words.count
        let lower = words.map { $0.lowercased() }
        let upper = words.map { ScalarSpans.isPythonUpper($0.unicodeScalars) }
        // ref: allcap_differential — some, but not all, words are ALL CAPS.
        let allCaps = upper.filter { $0 }.count
        let capDifferential = n - allCaps > 0 && n - allCaps < n

        var sentiments: [Double] = []
        sentiments.reserveCapacity(n)
        for i in 0 ..< n {
            // Boosters and "kind of" carry no valence of their own; they modify their neighbours.
            if VADERRules.boosters[lower[i]] != nil { sentiments.append(0); continue }
            if i < n - 1, lower[i] == "kind", lower[i + 1] == "of" { sentiments.append(0); continue }
            sentiments.append(valence(at: i, lower: lower, upper: upper, capDifferential: capDifferential))
        }
        applyBut(lower: lower, sentiments: &sentiments)
        return sentiments
    }

    /// ref: `sentiment_valence` for the word at `i`.
    func valence(at i: Int, lower: [String], upper: [Bool], capDifferential: Bool) -> Double {
        let n = lower.count
        guard let base = lexicon.valence(of: lower[i]) else { return 0 }
        var v = base
        // "no" before a lexicon word negates that word instead of counting on its own.
        if lower[i] == "no", i != n - 1, lexicon.contains(lower[i + 1]) { v = 0 }
        if (i > 0 && lower[i - 1] == "no") || (i > 1 && lower[i - 2] == "no")
            || (i > 2 && lower[i - 3] == "no" && (lower[i - 1] == "or" || lower[i - 1] == "nor"))
        {
            v = base * VADERRules.negationScalar
        }
        // ALL CAPS emphasis (only when the text mixes case).
        if upper[i] && capDifferential {
            if v > 0 { v += VADERRules.capsIncrement } else { v -= VADERRules.capsIncrement }
        }
        // The three preceding words: boosters (damped by distance), negations, idioms.
        for startI in 0 ..< 3 {
            let j = i - (startI + 1)
            guard i > startI, !lexicon.contains(lower[j]) else { continue }
            var s = boosterScalar(lower: lower[j], isUpper: upper[j], valence: v, capDifferential: capDifferential)
            if startI > 0 && s != 0 { s = s * VADERRules.boosterDistanceDamping[startI] }
            v = v + s
            v = negationCheck(v, lower: lower, startI: startI, i: i)
            if startI == 2 { v = specialIdiomsCheck(v, lower: lower, i: i) }
        }
        return leastCheck(v, lower: lower, i: i)
    }

    /// ref: `scalar_inc_dec`.
    func boosterScalar(lower: String, isUpper: Bool, valence: Double, capDifferential: Bool) -> Double {
        guard var scalar = VADERRules.boosters[lower] else { return 0 }
        if valence < 0 { scalar *= -1 }
        if isUpper && capDifferential {
            if valence > 0 { scalar += VADERRules.capsIncrement } else { scalar -= VADERRules.capsIncrement }
        }
        return scalar
    }

    /// ref: `_negation_check`. Python's `a and (b or c) or (d or e)` at distance 3 groups as
    /// `(a and (b or c)) or (d or e)`: a directly preceding "so"/"this" also gives × 1.25.
    func negationCheck(_ valence: Double, lower w: [String], startI: Int, i: Int) -> Double {
        var v = valence
        switch startI {
        case 0:
            if VADERRules.isNegation(w[i - 1]) { v = v * VADERRules.negationScalar }
        case 1:
            if w[i - 2] == "never" && (w[i - 1] == "so" || w[i - 1] == "this") {
                v = v * VADERRules.neverSoScalar
            } else if w[i - 2] == "without" && w[i - 1] == "doubt" {
                // "without doubt" is not a negation.
            } else if VADERRules.isNegation(w[i - 2]) {
                v = v * VADERRules.negationScalar
            }
        default:
            if (w[i - 3] == "never" && (w[i - 2] == "so" || w[i - 2] == "this")) || (w[i - 1] == "so" || w[i - 1] == "this") {
                v = v * VADERRules.neverSoScalar
            } else if w[i - 3] == "without" && (w[i - 2] == "doubt" || w[i - 1] == "doubt") {
                // unchanged
            } else if VADERRules.isNegation(w[i - 3]) {
                v = v * VADERRules.negationScalar
            }
        }
        return v
    }

    /// ref: `_special_idioms_check` (only reached with i ≥ 3).
    func specialIdiomsCheck(_ valence: Double, lower w: [String], i: Int) -> Double {
        var v = valence
        let oneZero = "\(w[i - 1]) \(w[i])"
        let twoOneZero = "\(w[i - 2]) \(w[i - 1]) \(w[i])"
        let twoOne = "\(w[i - 2]) \(w[i - 1])"
        let threeTwoOne = "\(w[i - 3]) \(w[i - 2]) \(w[i - 1])"
        let threeTwo = "\(w[i - 3]) \(w[i - 2])"
        for seq in [oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo] {
            if let special = VADERRules.specialCases[seq] { v = special; break }
        }
        if w.count - 1 > i, let special = VADERRules.specialCases["\(w[i]) \(w[i + 1])"] { v = special }
        if w.count - 1 > i + 1, let special = VADERRules.specialCases["\(w[i]) \(w[i + 1]) \(w[i + 2])"] { v = special }
        // Multi-word boosters/dampeners ("kind of", "sort of", "just enough"), added without a sign flip.
        for nGram in [threeTwoOne, threeTwo, twoOne] {
            if let b = VADERRules.boosters[nGram] { v = v + b }
        }
        return v
    }

    /// ref: `_least_check`: "least good" negates, "at least" / "very least" do not.
    func leastCheck(_ valence: Double, lower w: [String], i: Int) -> Double {
        if i > 1, !lexicon.contains(w[i - 1]), w[i - 1] == "least" {
            if w[i - 2] != "at" && w[i - 2] != "very" { return valence * VADERRules.negationScalar }
        } else if i > 0, !lexicon.contains(w[i - 1]), w[i - 1] == "least" {
            return valence * VADERRules.negationScalar
        }
        return valence
    }

    /// ref: `_but_check`.
    func applyBut(lower: [String], sentiments: inout [Double]) {
        guard let bi = lower.firstIndex(of: "but") else { return }
        switch butRule {
        case .byPosition:
            for k in sentiments.indices where k != bi {
                sentiments[k] = sentiments[k] * (k < bi ? VADERRules.beforeBut : VADERRules.afterBut)
            }
        case .asReleased:
            // Python iterates over the list while replacing, and looks each value up by equality.
            for k in sentiments.indices {
                let sentiment = sentiments[k]
                guard let si = sentiments.firstIndex(of: sentiment) else { continue }
                if si < bi {
                    sentiments[si] = sentiment * VADERRules.beforeBut
                } else if si > bi {
                    sentiments[si] = sentiment * VADERRules.afterBut
                }
            }
        }
    }
}
