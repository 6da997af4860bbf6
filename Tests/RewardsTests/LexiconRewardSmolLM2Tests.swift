// Word → token alignment with the tokenizer the sentiment experiment actually uses: SmolLM2-135M's,
// built from the GGUF file's metadata (byte-level BPE, 49,152 tokens, ChatML special tokens).
// Runs when .assets has the model and the lexicon (scripts/fetch-assets.sh).
import Checkpoints
import Foundation
import Models
import Testing
import Tokenizers
@testable import Rewards

let smolLM2AssetPresent = RewardsPaths.assetExists("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

/// SmolLM2's tokenizer from the GGUF metadata alone (no weights are dequantised).
func smolLM2Tokenizer() throws -> Tokenizer {
    let url = RewardsPaths.asset("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    return try Tokenizer(gguf: try PretrainedModel.ggufTokenizerMetadata(try GGUFFile(url: url)), file: url.lastPathComponent)
}

@Suite("LexiconReward alignment (SmolLM2 GGUF tokenizer)",
       .enabled(if: smolLM2AssetPresent && vaderAssetPresent, Comment(rawValue: fetchAssetsHint)))
struct LexiconRewardSmolLM2Tests {
    let tokenizer: Tokenizer
    let reward: LexiconReward

    init() throws {
        tokenizer = try smolLM2Tokenizer()
        reward = LexiconReward(lexicon: try fullLexicon())
    }

    @Test("tricky texts and Shakespeare-style lines: rewards on the right tokens; ids and text agree")
    func tricky() throws {
        #expect(tokenizer.vocabularySize == 49152)
        let texts = LexiconRewardTinyTests.trickyTexts + [
            "To be, or not to be: that is the question, and a GOOD one!",
            "O villain, villain, smiling, damned villain!",
            "Thou art a villain, and a most wicked one; yet I love thee.",
            "My lord,  I'm not sad — merely   unhappy… and 'tis heartbreaking.",
            "A café worth visiting: naïve but charming.",
        ]
        checkTexts(texts, reward: reward, tokenizer: tokenizer)
    }

    @Test("a lexicon word SmolLM2 splits into several tokens carries its valence on the last one")
    func multiToken() throws {
        try expectSplitWord("uncompelling", valence: -0.9, in: "The characters are uncompelling.", reward: reward, tokenizer: tokenizer)
    }

    @Test("emoticons are lexicon words without letters: \":)\" carries its valence on its last token")
    func emoticon() throws {
        let text = "naïve but charming. 10/10 :)"
        let enc = tokenizer.encodeWithOffsets(text)
        let s = reward.score(text: text, encoding: enc)
        let words = reward.analyzer.analyze(text).words
        let smiley = try #require(words.first { $0.text == ":)" })
        let toks = TokenSpanAlignment.tokens(overlapping: smiley.bytes, offsets: enc.offsets)
        #expect(!toks.isEmpty)
        let onLast = s.tokenRewards[toks.last!]
        #expect(abs(onLast - smiley.valence) < 1e-12, "\(s.tokenRewards)")
        #expect(smiley.valence > 2.0, "after \"but\", × 1.5: \(smiley.valence)")
        let total: Double = s.tokenRewards.reduce(0, +), valences: Double = words.map(\.valence).reduce(0, +)
        #expect(abs(total - valences) < 1e-9)
    }

    @Test("ChatML special tokens get 0 and separate the words around them")
    func specialTokens() throws {
        let end = try #require(tokenizer.tokenToID("<|im_end|>"))
        let start = try #require(tokenizer.tokenToID("<|im_start|>"))
        let ids = [start] + tokenizer.encode("user\nit is good") + [end] + tokenizer.encode("bad day")
        let s = reward.score(tokenIDs: ids, tokenizer: tokenizer)
        #expect(s.tokenRewards[0] == 0)
        #expect(s.tokenRewards[ids.firstIndex(of: end)!] == 0)
        let nonzero = s.tokenRewards.filter { $0 != 0 }
        #expect(nonzero.count == 2, "\"good\" and \"bad\" only: \(s.tokenRewards)")
        #expect(nonzero == [1.9, -2.5], "\"good<|im_end|>bad\" is not read as one word")
    }

    @Test("a generated continuation scored as ids, laid end to end after its prompt, equals scoring the decoded text")
    func continuationIDs() throws {
        let prompt = tokenizer.encode("Why, I can smile")
        // A continuation starting inside a word: "s" completes "smiles" only when read with the prompt.
        let continuation = tokenizer.encode("s, and murder whiles I smile; happy and glad")
        let whole = TokenizedText(tokenIDs: prompt + continuation, tokenizer: tokenizer)
        let text = String(decoding: whole.bytes, as: UTF8.self)
        let fromIDs = reward.score(tokenIDs: prompt + continuation, tokenizer: tokenizer)
        let fromText = reward.score(text: text, offsets: whole.offsets, specialTokensMask: whole.specialTokensMask)
        #expect(fromIDs == fromText)
        #expect(fromIDs.tokenRewards.count == prompt.count + continuation.count)
        let words = reward.analyzer.analyze(text).words.map(\.text)
        #expect(words.contains("smiles"), "the join is read as one word: \(words)")
        // "smiles" (2.1) ends on the continuation's first token, so the continuation is credited with it.
        #expect(tokenizer.decode([continuation[0]]) == "s")
        #expect(abs(fromIDs.tokenRewards[prompt.count] - 2.1) < 1e-12)
        #expect(prompt.indices.allSatisfy { fromIDs.tokenRewards[$0] == 0 }, "the prompt's \"smile\" is not a word of its own here")
        let rest = fromIDs.tokenRewards.suffix(continuation.count - 1).filter { $0 != 0 }
        #expect(rest.count == 4, "murder, smile, happy, glad: \(rest)")
    }
}
