// The constants and word lists of VADER's rules (Hutto & Gilbert, ICWSM 2014, §"Heuristics"), as
// released in vaderSentiment 3.3.2 (`vaderSentiment/vaderSentiment.py`, MIT). The numbers are the
// paper's empirically derived intensity changes and carry over unchanged; the code that applies them
// is `SentimentAnalyzer`.

/// VADER's rule constants and word lists.
public enum VADERRules {
    /// Intensity added by a booster ("very good") — `B_INCR`.
    public static let boosterIncrement = 0.293
    /// Intensity removed by a dampener ("slightly good") — `B_DECR`.
    public static let boosterDecrement = -0.293
    /// Intensity added by writing a sentiment word in ALL CAPS while other words are not — `C_INCR`.
    public static let capsIncrement = 0.733
    /// Factor applied to a negated word's valence ("not good") — `N_SCALAR`.
    public static let negationScalar = -0.74
    /// Intensity per exclamation mark, counted up to `maxExclamations` (`_amplify_ep`).
    public static let exclamationIncrement = 0.292
    public static let maxExclamations = 4
    /// Intensity per question mark when there are 2 or 3 (`_amplify_qm`); 4 or more give `questionCap`.
    public static let questionIncrement = 0.18
    public static let questionCap = 0.96
    /// Weight of sentiment before / after the first "but" (`_but_check`).
    public static let beforeBut = 0.5
    public static let afterBut = 1.5
    /// Damping of a booster two / three words before the sentiment word.
    public static let boosterDistanceDamping: [Double] = [1.0, 0.95, 0.9]
    /// Factor for "never so/this good" (`_negation_check`).
    public static let neverSoScalar = 1.25
    /// The α of the compound normalisation x / √(x² + α), "approximating the max expected value".
    public static let normalizationAlpha = 15.0

    /// Negation words (`NEGATE`). Any word containing "n't" also negates.
    public static let negations: Set<String> = [
        "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
        "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
        "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
        "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
        "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
        "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
        "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
        "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite",
    ]

    /// Degree adverbs (`BOOSTER_DICT`): boosters +0.293, dampeners −0.293. The multi-word entries
    /// only act through the n-gram check that follows the special-case idioms.
    public static let boosters: [String: Double] = {
        let up = ["absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
                  "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
                  "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping",
                  "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
                  "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
                  "incredible", "incredibly", "intensely", "major", "majorly", "more", "most",
                  "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
                  "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
                  "unusually", "utter", "utterly", "very"]
        let down = ["almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of",
                    "less", "little", "marginal", "marginally", "occasional", "occasionally", "partly",
                    "scarce", "scarcely", "slight", "slightly", "somewhat", "sort of", "sorta", "sortof",
                    "sort-of"]
        var d: [String: Double] = [:]
        for w in up { d[w] = boosterIncrement }
        for w in down { d[w] = boosterDecrement }
        return d
    }()

    /// Idioms whose valence replaces the word's (`SPECIAL_CASES`).
    public static let specialCases: [String: Double] = [
        "the shit": 3, "the bomb": 3, "bad ass": 1.5, "badass": 1.5, "bus stop": 0.0,
        "yeah right": -2, "kiss of death": -1.5, "to die for": 3, "beating heart": 3.5,
    ]

    /// Whether a (lower-cased) word negates what follows (`negated([word])`).
    public static func isNegation(_ lowercasedWord: String) -> Bool {
        negations.contains(lowercasedWord) || lowercasedWord.contains("n't")
    }

    /// VADER's compound normalisation: x / √(x² + α), clamped to [−1, 1].
    public static func normalize(_ score: Double, alpha: Double = normalizationAlpha) -> Double {
        let n = score / (score * score + alpha).squareRoot()
        return min(1, max(-1, n))
    }

    /// Emphasis from "!" (0.292 each, at most 4) and "?" (0.18 each for 2–3, 0.96 for 4 or more),
    /// counted over the whole text (`_punctuation_emphasis`).
    public static func punctuationEmphasis(exclamations: Int, questions: Int) -> Double {
        let ep = Double(min(exclamations, maxExclamations)) * exclamationIncrement
        var qm = 0.0
        if questions > 1 { qm = questions <= 3 ? Double(questions) * questionIncrement : questionCap }
        return ep + qm
    }
}
