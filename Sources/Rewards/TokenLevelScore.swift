// The result type shared by the word-level rewards (lexicon valence, profanity), and how several
// are combined into one reward (e.g. sentiment − λ·profanity for the controlled-sentiment demo).

/// Per-token rewards and the sequence score for one text.
public struct TokenLevelScore: Equatable, Sendable {
    /// One reward per token (0 for tokens that carry no scored word, e.g. punctuation, BOS/EOS).
    public var tokenRewards: [Double]
    /// The sequence-level score (compound sentiment, or the profanity penalty).
    public var sequenceScore: Double
    /// The word-level values that were placed on the tokens, with their byte ranges.
    public var spans: [SpanValue]

    public init(tokenRewards: [Double], sequenceScore: Double, spans: [SpanValue]) {
        self.tokenRewards = tokenRewards
        self.sequenceScore = sequenceScore
        self.spans = spans
    }
}

extension TokenLevelScore {
    /// Σ_i w_i · score_i, token by token and for the sequence score (FGRLHF-style multi-stream
    /// rewards). All scores must come from the same tokenization; `spans` are concatenated with
    /// their values weighted.
    public static func weightedSum(_ scores: [TokenLevelScore], weights: [Double]) -> TokenLevelScore {
        precondition(scores.count == weights.count, "weightedSum: \(scores.count) scores but \(weights.count) weights")
        guard let n = scores.first?.tokenRewards.count else { return TokenLevelScore(tokenRewards: [], sequenceScore: 0, spans: []) }
        precondition(scores.allSatisfy { $0.tokenRewards.count == n },
                     "weightedSum: token counts differ: \(scores.map(\.tokenRewards.count))")
        var out = TokenLevelScore(tokenRewards: [Double](repeating: 0, count: n), sequenceScore: 0, spans: [])
        for (s, w) in zip(scores, weights) {
            for t in 0 ..< n { out.tokenRewards[t] += w * s.tokenRewards[t] }
            out.sequenceScore += w * s.sequenceScore
            out.spans += s.spans.map { SpanValue(bytes: $0.bytes, value: w * $0.value) }
        }
        return out
    }
}
