// What every word-level reward (lexicon valence, profanity) has in common: it reads UTF-8 text,
// finds scored byte spans, and places their values on the tokens whose byte ranges overlap them.
// The scorer implements that one core; the ways of handing it a tokenisation (a text with offsets,
// an `Encoding`, or generated token ids laid end to end) are shared here, so every reward scores
// generated ids exactly as it scores text.
import Tokenizers

/// A reward that scores a text per token and as a whole.
public protocol TokenLevelScorer: Sendable {
    /// The core: UTF-8 bytes and the tokens' byte ranges into them; tokens flagged in
    /// `specialTokensMask` get 0.
    func score(utf8 bytes: [UInt8], offsets: [Range<Int>], specialTokensMask: [Bool]?) -> TokenLevelScore
    /// The sequence score of a whole text.
    func sequenceScore(_ text: String) -> Double
}

extension TokenLevelScorer {
    /// Per-token rewards for a tokenisation of `text`: `offsets` are the tokens' UTF-8 byte ranges
    /// in `text` (`Tokenizer.encodeWithOffsets(text).offsets`).
    public func score(text: String, offsets: [Range<Int>], specialTokensMask: [Bool]? = nil) -> TokenLevelScore {
        score(utf8: Array(text.utf8), offsets: offsets, specialTokensMask: specialTokensMask)
    }

    /// `score(text:offsets:)` for an `Encoding` of `text`.
    public func score(text: String, encoding: Encoding) -> TokenLevelScore {
        score(text: text, offsets: encoding.offsets, specialTokensMask: encoding.specialTokensMask)
    }

    /// Scores a token sequence (e.g. a generated response) directly: the tokens' bytes are laid end
    /// to end (no decode/re-encode round trip, see `TokenizedText`), so the rewards line up with
    /// exactly these ids.
    public func score(tokenIDs: [Int], tokenizer: Tokenizer) -> TokenLevelScore {
        let t = TokenizedText(tokenIDs: tokenIDs, tokenizer: tokenizer)
        return score(utf8: t.bytes, offsets: t.offsets, specialTokensMask: t.specialTokensMask)
    }

    /// The core without a special-tokens mask.
    public func score(utf8 bytes: [UInt8], offsets: [Range<Int>]) -> TokenLevelScore {
        score(utf8: bytes, offsets: offsets, specialTokensMask: nil)
    }
}
