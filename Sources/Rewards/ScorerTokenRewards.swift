// Word-level scorers on the token-reward contract: a `TokenLevelScorer` (lexicon valence,
// profanity) reads text, so it becomes a `TokenRewardSource` once bound to the tokenizer that
// turns an episode's ids back into bytes (docs/design/rewards.md §2.7).
import Tokenizers

extension TokenLevelScore {
    /// The contract's form of this score: token rewards as Float, the sequence score as the
    /// sequence reward, and the source's name.
    public func tokenRewards(source: String) -> TokenRewards {
        TokenRewards(values: tokenRewards.map { Float($0) }, sequenceReward: Float(sequenceScore), source: source)
    }
}

/// A word-level scorer read on token ids. The prompt's and the response's ids are laid end to end
/// (`TokenizedText`: no decode/re-encode round trip) and scored together, so words are read in
/// context (a negation in the prompt still flips a word of the response, as in the sentiment
/// demo's pairs); the rewards of the response's tokens are returned, and the sequence reward is the
/// scorer's sequence score of the response's text alone (what the sentiment evaluation scores).
public struct ScorerTokenRewards<Scorer: TokenLevelScorer>: TokenRewardSource {
    public var scorer: Scorer
    public var tokenizer: Tokenizer
    public var name: String

    public init(_ scorer: Scorer, tokenizer: Tokenizer, name: String) {
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 0) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        let P = e.prompt.count
        let laid = TokenizedText(tokenIDs: (e.prompt + e.response).map { Int($0) }, tokenizer: tokenizer)
        let score = scorer.score(utf8: laid.bytes, offsets: laid.offsets, specialTokensMask: laid.specialTokensMask)
        // The response's text: its tokens' bytes, special tokens (laid out as one space) left out.
        var responseBytes: [UInt8] = []
        for t in P ..< laid.offsets.count where !laid.specialTokensMask[t] { responseBytes += laid.bytes[laid.offsets[t]] }
        let text = String(decoding: responseBytes, as: UTF8.self)
        return TokenRewards(values: score.tokenRewards[P...].map { Float($0) }, sequenceReward: Float(scorer.sequenceScore(text)),
                            source: name)
    }
}

extension TokenLevelScorer {
    /// This scorer as a token-reward source over `tokenizer`'s ids.
    public func tokenRewardSource(tokenizer: Tokenizer, name: String) -> ScorerTokenRewards<Self> {
        ScorerTokenRewards(self, tokenizer: tokenizer, name: name)
    }
}

extension LexiconReward {
    /// The VADER lexicon as a token-reward source ("lexicon").
    public func tokenRewardSource(tokenizer: Tokenizer) -> ScorerTokenRewards<LexiconReward> {
        tokenRewardSource(tokenizer: tokenizer, name: "lexicon")
    }
}

extension ProfanityPenalty {
    /// The profanity penalty as a token-reward source ("profanity").
    public func tokenRewardSource(tokenizer: Tokenizer) -> ScorerTokenRewards<ProfanityPenalty> {
        tokenRewardSource(tokenizer: tokenizer, name: "profanity")
    }
}
