// A per-token sentiment reward from the VADER lexicon (Hutto & Gilbert, ICWSM 2014): the classic
// controlled-sentiment setting of DPO/TDPO-style experiments, with a reward whose token-level
// ground truth is known (each word's valence, after VADER's negation/booster/"but"/caps rules).
//
// text → VADER words with byte ranges → per-word valence → per-token rewards (each word's valence on
// the tokens whose byte ranges overlap it, placed by `SubwordPlacement`) plus the sequence score
// (VADER's compound). Sums: the token rewards of a text add up to the sum of its word valences, VADER's
// raw score before punctuation emphasis and normalisation (with `.lastToken` or `.spread`).
import Foundation
import Tokenizers

/// The VADER lexicon as a token-level reward.
public struct LexiconReward: TokenLevelScorer {
    public var analyzer: SentimentAnalyzer
    /// Where a word split into several tokens puts its valence (default: its last token).
    public var placement: SubwordPlacement
    /// Multiplies every per-token reward (e.g. 0.25 to bring valences from −4…4 into about −1…1).
    /// The sequence score (compound) is not scaled.
    public var scale: Double
    /// Reward for negative rather than positive sentiment (both token rewards and the sequence
    /// score change sign): the "negative" direction of a controlled-sentiment experiment.
    public var targetNegative: Bool

    public init(analyzer: SentimentAnalyzer, placement: SubwordPlacement = .lastToken, scale: Double = 1,
                targetNegative: Bool = false) {
        self.analyzer = analyzer
        self.placement = placement
        self.scale = scale
        self.targetNegative = targetNegative
    }

    public init(lexicon: SentimentLexicon, placement: SubwordPlacement = .lastToken, scale: Double = 1,
                targetNegative: Bool = false) {
        self.init(analyzer: SentimentAnalyzer(lexicon: lexicon), placement: placement, scale: scale, targetNegative: targetNegative)
    }

    /// Loads the lexicon file (`.assets/vader/vader_lexicon.txt`).
    public init(lexiconFile: URL, placement: SubwordPlacement = .lastToken, scale: Double = 1,
                targetNegative: Bool = false) throws(RewardsError) {
        self.init(lexicon: try SentimentLexicon(contentsOf: lexiconFile), placement: placement, scale: scale,
                  targetNegative: targetNegative)
    }

    var sign: Double { targetNegative ? -1 : 1 }

    /// The sequence score of `text`: VADER's compound in [−1, 1] (negated with `targetNegative`).
    public func sequenceScore(_ text: String) -> Double { sign * analyzer.analyze(text).compound }

    /// The core: UTF-8 bytes and token byte ranges into them.
    public func score(utf8 bytes: [UInt8], offsets: [Range<Int>], specialTokensMask: [Bool]?) -> TokenLevelScore {
        let analysis = analyzer.analyze(utf8: bytes)
        let spans = analysis.words.map { SpanValue(bytes: $0.bytes, value: sign * scale * $0.valence) }
        let rewards = TokenSpanAlignment.distribute(spans, offsets: offsets, excluded: specialTokensMask, placement: placement)
        return TokenLevelScore(tokenRewards: rewards, sequenceScore: sign * analysis.compound, spans: spans)
    }
}
