// Word → token alignment of the lexicon reward on tricky cases: punctuation attached to words,
// case, words split into several BPE tokens, runs of spaces, apostrophes ("don't"), special
// tokens, and ids whose bytes split a UTF-8 character. An in-test BPE tokenizer runs always; the
// GPT-2 tokenizer from .assets runs when present.
import Foundation
import Testing
import Tokenizers
@testable import Rewards

/// The text a token covers.
func tokenText(_ text: String, _ range: Range<Int>) -> String {
    String(decoding: Array(text.utf8)[range], as: UTF8.self)
}

/// Checks the invariants of a scored text and returns, per word, the tokens it overlaps.
func checkAlignment(_ reward: LexiconReward, text: String, encoding: Encoding,
                    sourceLocation: SourceLocation = #_sourceLocation) -> [(word: SentimentWord, tokens: [Int])] {
    let analysis = reward.analyzer.analyze(text)
    let score = reward.score(text: text, encoding: encoding)
    #expect(score.tokenRewards.count == encoding.count, sourceLocation: sourceLocation)
    #expect(score.sequenceScore == analysis.compound, sourceLocation: sourceLocation)
    // Rewards sum to the word valences (nothing lost, nothing doubled).
    let total = score.tokenRewards.reduce(0, +)
    #expect(abs(total - analysis.valences.reduce(0, +)) < 1e-9, "\(text.debugDescription)", sourceLocation: sourceLocation)
    // A token whose text has no letter (punctuation, spaces) never carries a word's reward here.
    for (t, r) in encoding.offsets.enumerated() where !tokenText(text, r).unicodeScalars.contains(where: { $0.properties.isAlphabetic }) {
        #expect(score.tokenRewards[t] == 0, "token \(t) \(tokenText(text, r).debugDescription)", sourceLocation: sourceLocation)
    }
    var out: [(word: SentimentWord, tokens: [Int])] = []
    for w in analysis.words {
        let toks = TokenSpanAlignment.tokens(overlapping: w.bytes, offsets: encoding.offsets)
        #expect(!toks.isEmpty, "word \(w.text) has tokens", sourceLocation: sourceLocation)
        // The tokens, minus leading whitespace, spell the word (plus at most attached punctuation).
        let spelled = toks.map { tokenText(text, encoding.offsets[$0]) }.joined().trimmingCharacters(in: .whitespaces)
        #expect(spelled.contains(w.text), "\(spelled.debugDescription) ⊇ \(w.text.debugDescription)", sourceLocation: sourceLocation)
        if w.valence != 0, let last = toks.last {
            // With .lastToken the word's valence sits on its last token, and no other token of it.
            #expect(abs(score.tokenRewards[last] - w.valence) < 1e-12, "\(w.text)", sourceLocation: sourceLocation)
            for t in toks.dropLast() { #expect(score.tokenRewards[t] == 0, sourceLocation: sourceLocation) }
        }
        out.append((w, toks))
    }
    return out
}

/// Scores `text` and checks that `word` spans several tokens and that its valence sits on its last
/// token and no other. Returns the word's token indices and the encoding.
@discardableResult
func expectSplitWord(_ word: String, valence: Double, in text: String, reward: LexiconReward, tokenizer: Tokenizer,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> (tokens: [Int], encoding: Encoding) {
    let enc = tokenizer.encodeWithOffsets(text)
    let aligned = checkAlignment(reward, text: text, encoding: enc, sourceLocation: sourceLocation)
    let found = try #require(aligned.first { $0.word.text == word }, sourceLocation: sourceLocation)
    #expect(found.tokens.count >= 2, "\(word) splits: \(found.tokens.map { tokenText(text, enc.offsets[$0]) })", sourceLocation: sourceLocation)
    let rewards = reward.score(text: text, encoding: enc).tokenRewards
    let last = try #require(found.tokens.last, sourceLocation: sourceLocation)
    #expect(abs(rewards[last] - valence) < 1e-12, "\(word): \(rewards[last])", sourceLocation: sourceLocation)
    #expect(found.tokens.dropLast().allSatisfy { rewards[$0] == 0 }, sourceLocation: sourceLocation)
    return (found.tokens, enc)
}

/// `checkAlignment` on each text, and scoring the ids equals scoring the text.
func checkTexts(_ texts: [String], reward: LexiconReward, tokenizer: Tokenizer, sourceLocation: SourceLocation = #_sourceLocation) {
    for text in texts {
        let enc = tokenizer.encodeWithOffsets(text)
        _ = checkAlignment(reward, text: text, encoding: enc, sourceLocation: sourceLocation)
        #expect(reward.score(tokenIDs: enc.ids, tokenizer: tokenizer) == reward.score(text: text, encoding: enc), "\(text)",
                sourceLocation: sourceLocation)
    }
}

@Suite("LexiconReward alignment (in-test BPE tokenizer)")
struct LexiconRewardTinyTests {
    let reward: LexiconReward
    let tokenizer: Tokenizer

    init() throws {
        reward = LexiconReward(lexicon: try excerptLexicon())
        tokenizer = try #require(TinyTokenizer.shared)
    }

    static let trickyTexts = [
        "I don't love it, but it's GOOD!!  Really    wonderful.",
        "\"Wonderful!\" she said -- (truly) lovely...",
        "no joy,no hope; NO LOVE.",
        "It was heartbreaking. Truly HEARTBREAKING, and unhappy.",
        "   leading spaces, then good\tand\nbad",
    ]

    @Test("tricky texts: rewards on the right tokens, punctuation and spaces get 0", arguments: trickyTexts)
    func tricky(_ text: String) {
        _ = checkAlignment(reward, text: text, encoding: tokenizer.encodeWithOffsets(text))
    }

    @Test("a word split into several tokens: last token (default) or spread evenly")
    func multiToken() throws {
        let text = "It was heartbreaking."
        let (heart, enc) = try expectSplitWord("heartbreaking", valence: -2.0, in: text, reward: reward, tokenizer: tokenizer)
        var spread = reward
        spread.placement = .spread
        let s = spread.score(text: text, encoding: enc).tokenRewards
        for t in heart { #expect(abs(s[t] - -2.0 / Double(heart.count)) < 1e-12) }
        #expect(abs(s.reduce(0, +) - -2.0) < 1e-12)
        var every = reward
        every.placement = .everyToken
        let e = every.score(text: text, encoding: enc).tokenRewards
        for t in heart { #expect(e[t] == -2.0) }
    }

    @Test("apostrophes: \"don't\" spans its pieces and negates the next word")
    func apostrophe() throws {
        let text = "I don't love it"
        let enc = tokenizer.encodeWithOffsets(text)
        let aligned = checkAlignment(reward, text: text, encoding: enc)
        let dont = try #require(aligned.first { $0.word.text == "don't" })
        #expect(dont.tokens.count >= 2, "the GPT-2 pattern splits off 't")
        let love = try #require(aligned.first { $0.word.text == "love" })
        #expect(abs(reward.score(text: text, encoding: enc).tokenRewards[love.tokens.last!] - 3.2 * -0.74) < 1e-12)
    }

    @Test("case: GOOD and good are both scored (caps emphasis only where the text mixes case)")
    func caseHandling() {
        let text = "good GOOD Good"
        let enc = tokenizer.encodeWithOffsets(text)
        let aligned = checkAlignment(reward, text: text, encoding: enc)
        #expect(aligned.map(\.word.valence) == [1.9, 1.9 + 0.733, 1.9])
    }

    @Test("scoring ids directly equals scoring the text they encode; special tokens get 0 and separate words")
    func tokenIDs() throws {
        for text in Self.trickyTexts {
            let enc = tokenizer.encodeWithOffsets(text)
            #expect(reward.score(tokenIDs: enc.ids, tokenizer: tokenizer) == reward.score(text: text, encoding: enc))
        }
        let eos = try #require(tokenizer.tokenToID("<|endoftext|>"))
        let ids = tokenizer.encode("it's good") + [eos] + tokenizer.encode("bad")
        let s = reward.score(tokenIDs: ids, tokenizer: tokenizer)
        #expect(s.tokenRewards[ids.count - 1 - tokenizer.encode("bad").count] == 0)
        #expect(s.spans.map(\.value).filter { $0 != 0 } == [1.9, -2.5], "\"good\" and \"bad\" stay two words")
    }

    @Test("ids whose bytes split a UTF-8 character keep exact offsets")
    func splitCharacter() throws {
        // "café" with "é" (C3 A9) as two byte tokens, then a lone C3 byte before " lovely".
        let c3 = try #require(tokenizer.tokenToID(bytes: [0xC3]))
        let a9 = try #require(tokenizer.tokenToID(bytes: [0xA9]))
        let ids = tokenizer.encode("a caf") + [c3, a9] + tokenizer.encode(" is") + [c3] + tokenizer.encode(" lovely")
        let t = TokenizedText(tokenIDs: ids, tokenizer: tokenizer)
        #expect(t.bytes.count == t.offsets.last?.upperBound)
        let s = reward.score(tokenIDs: ids, tokenizer: tokenizer)
        #expect(s.tokenRewards[ids.count - 1] == 2.8)
        #expect(String(decoding: t.bytes, as: UTF8.self) == "a café is\u{FFFD} lovely")
        #expect(abs(s.tokenRewards.reduce(0, +) - 2.8) < 1e-12)
        #expect(s.tokenRewards.dropLast().allSatisfy { $0 == 0 })
    }

    @Test("sentiment − 2·profanity: weightedSum combines token rewards and sequence scores")
    func combined() throws {
        let text = "a darn good day"
        let enc = tokenizer.encodeWithOffsets(text)
        let sentiment = reward.score(text: text, encoding: enc)
        let profanity = ProfanityPenalty(list: ProfanityList(words: ["darn"])).score(text: text, encoding: enc)
        let both = TokenLevelScore.weightedSum([sentiment, profanity], weights: [1, 2])
        #expect(both.tokenRewards.count == enc.count)
        for t in 0 ..< enc.count {
            #expect(abs(both.tokenRewards[t] - (sentiment.tokenRewards[t] + 2 * profanity.tokenRewards[t])) < 1e-12)
        }
        #expect(abs(both.sequenceScore - (sentiment.sequenceScore - 2)) < 1e-12)
        #expect(both.spans.count == sentiment.spans.count + 1)
    }

    @Test("scale and targetNegative")
    func scaleAndSign() {
        let text = "good and bad"
        let enc = tokenizer.encodeWithOffsets(text)
        let base = reward.score(text: text, encoding: enc)
        let neg = LexiconReward(analyzer: reward.analyzer, scale: 0.25, targetNegative: true).score(text: text, encoding: enc)
        #expect(zip(base.tokenRewards, neg.tokenRewards).allSatisfy { abs($0 * -0.25 - $1) < 1e-12 })
        #expect(neg.sequenceScore == -base.sequenceScore)
    }
}

@Suite("LexiconReward alignment (GPT-2 tokenizer)", .enabled(if: gpt2AssetPresent && vaderAssetPresent, Comment(rawValue: fetchAssetsHint)))
struct LexiconRewardGPT2Tests {
    @Test("tricky texts with the real GPT-2 BPE and the full lexicon")
    func tricky() throws {
        let tokenizer = try gpt2Tokenizer()
        let reward = LexiconReward(lexicon: try fullLexicon())
        let texts = LexiconRewardTinyTests.trickyTexts + [
            "The plot was good, but the characters are uncompelling and the dialog is not great.",
            "Thou art a villain, and a most wicked one; yet I love thee.",
            "A café worth visiting: naïve but charming.",
        ]
        checkTexts(texts, reward: reward, tokenizer: tokenizer)
    }

    @Test("\"uncompelling\" is several GPT-2 tokens; its valence lands on the last one")
    func multiToken() throws {
        let tokenizer = try gpt2Tokenizer()
        let reward = LexiconReward(lexicon: try fullLexicon())
        let text = "The characters are uncompelling."
        let (word, enc) = try expectSplitWord("uncompelling", valence: -0.9, in: text, reward: reward, tokenizer: tokenizer)
        let after = try #require(word.last) + 1
        #expect(tokenText(text, enc.offsets[after]) == ".")
        #expect(reward.score(text: text, encoding: enc).tokenRewards[after] == 0)
    }
}
