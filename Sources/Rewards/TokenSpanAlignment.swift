// Moving word-level values onto tokens. A reward defined on words (a lexicon valence, a profanity
// hit) becomes a per-token reward through byte ranges: each word has the UTF-8 byte range of its
// text, each token has the byte range it covers (`Tokenizer.encodeWithOffsets`, or the bytes of
// generated ids laid end to end), and a word's value goes to the tokens whose ranges overlap it.
import Tokenizers

/// Where a word's value goes when the word spans several tokens.
public enum SubwordPlacement: String, Sendable, CaseIterable, Codable {
    /// All of it on the word's last token. The word (and so its valence) is only determined once
    /// its last piece is emitted: " un" + "happy" is neutral until "happy" arrives. Credit at
    /// the completing token is what an autoregressive policy can act on, and it keeps each word's
    /// reward in a single place (so a per-token reward is exactly a per-word reward).
    case lastToken
    /// Split evenly over the word's tokens (each gets value / count). Denser credit: every piece
    /// of a sentiment word is rewarded, which helps when the policy must commit to a word early;
    /// the sum over the word's tokens is unchanged.
    case spread
    /// The full value on every token of the word (a penalty that discourages starting the word at
    /// all; the sum over tokens is count × value).
    case everyToken
}

/// A value attached to a byte range of a text (a word, a matched phrase).
public struct SpanValue: Equatable, Sendable {
    /// UTF-8 byte range in the text.
    public var bytes: Range<Int>
    public var value: Double

    public init(bytes: Range<Int>, value: Double) {
        self.bytes = bytes
        self.value = value
    }
}

/// Word → token alignment by byte ranges.
public enum TokenSpanAlignment {
    /// Indices of the tokens whose byte range overlaps `span`. Tokens with an empty range (BOS/EOS
    /// added by a post-processor) never overlap; tokens marked in `excluded` (special tokens) are
    /// skipped. A token that covers leading whitespace and a word (" good") overlaps that word; a
    /// separate punctuation token (",") does not.
    public static func tokens(overlapping span: Range<Int>, offsets: [Range<Int>], excluded: [Bool]? = nil) -> [Int] {
        guard !span.isEmpty else { return [] }
        var out: [Int] = []
        for (t, r) in offsets.enumerated() where !r.isEmpty && r.lowerBound < span.upperBound && span.lowerBound < r.upperBound {
            if let ex = excluded, t < ex.count, ex[t] { continue }
            out.append(t)
        }
        return out
    }

    /// Per-token values: each span's value placed on its overlapping tokens by `placement`. A
    /// token that overlaps several spans (possible with tokenizers that merge across whitespace)
    /// receives the sum. A span that overlaps no token (it lies inside an excluded token) is dropped.
    public static func distribute(_ spans: [SpanValue], offsets: [Range<Int>], excluded: [Bool]? = nil,
                                  placement: SubwordPlacement) -> [Double] {
        var out = [Double](repeating: 0, count: offsets.count)
        for span in spans where span.value != 0 {
            let toks = tokens(overlapping: span.bytes, offsets: offsets, excluded: excluded)
            guard let last = toks.last else { continue }
            switch placement {
            case .lastToken:
                out[last] += span.value
            case .spread:
                let share = span.value / Double(toks.count)
                for t in toks { out[t] += share }
            case .everyToken:
                for t in toks { out[t] += span.value }
            }
        }
        return out
    }
}

/// The bytes of a sequence of token ids laid end to end, with each token's byte range: how a
/// generated response (in token space) is turned into text for a word-level reward without a
/// decode/re-encode round trip (which need not give the same tokens back).
public struct TokenizedText: Equatable, Sendable {
    /// The concatenated bytes (possibly invalid UTF-8 if a token splits a character).
    public var bytes: [UInt8]
    /// For each token, its byte range in `bytes`.
    public var offsets: [Range<Int>]
    /// For each token, whether it is a special token. Special tokens contribute one space (so the
    /// words on either side stay apart) and never receive a word's reward.
    public var specialTokensMask: [Bool]

    public init(tokenIDs: [Int], tokenizer: Tokenizer) {
        var bytes: [UInt8] = []
        var offsets: [Range<Int>] = []
        var mask: [Bool] = []
        offsets.reserveCapacity(tokenIDs.count)
        mask.reserveCapacity(tokenIDs.count)
        for id in tokenIDs {
            let start = bytes.count
            if tokenizer.isSpecialToken(id) {
                bytes.append(0x20)
                mask.append(true)
            } else {
                // An id outside the vocabulary contributes nothing (an empty range, reward 0).
                bytes.append(contentsOf: tokenizer.tokenBytes(for: id) ?? [])
                mask.append(false)
            }
            offsets.append(start ..< bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
        self.specialTokensMask = mask
    }

    /// The text, with invalid UTF-8 replaced by U+FFFD (for display only: offsets refer to `bytes`).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
