// Word-level scorers on the token-reward contract (docs/design/rewards.md §2.7): an episode's ids
// are scored in context and the response's tokens get exactly the scorer's rewards; sources of any
// kind compose with `Sum` and `PlacedReward`.
import Testing
import Tokenizers
@testable import Rewards

@Suite("Word-level scorers as token-reward sources")
struct ScorerSourceTests {
    let reward: LexiconReward
    let tokenizer: Tokenizer

    init() throws {
        reward = LexiconReward(lexicon: try excerptLexicon())
        tokenizer = try #require(TinyTokenizer.shared)
    }

    @Test("an episode is scored in context; the response's tokens get the scorer's rewards")
    func lexiconSourceScoresInContext() throws {
        let prompt = tokenizer.encode("I do not"), response = tokenizer.encode(" love it, but it's good")
        let e = Episode(prompt: prompt, response: response)
        let source = reward.tokenRewardSource(tokenizer: tokenizer)
        let r = source.tokenRewards(e)
        let whole = reward.score(tokenIDs: prompt + response, tokenizer: tokenizer)
        #expect(r.values == whole.tokenRewards[prompt.count...].map { Float($0) })
        #expect(r.source == "lexicon" && source.name == "lexicon")
        #expect(r.sequenceReward == Float(reward.sequenceScore(" love it, but it's good")))
        // The prompt's negation flips "love": in context the rewards differ from the response alone.
        let alone = reward.score(tokenIDs: response, tokenizer: tokenizer).tokenRewards.map { Float($0) }
        #expect(r.values != alone)
        #expect(r.values.min() ?? 0 < 0, "\"not love\" is negative")
        // An EOS at the end gets 0 and leaves the sequence reward unchanged.
        let eos = try #require(tokenizer.tokenToID("<|endoftext|>"))
        let withEOS = source.tokenRewards(Episode(prompt: prompt, response: response + [eos]))
        #expect(withEOS.values == r.values + [0] && withEOS.sequenceReward == r.sequenceReward)
        // The contract's form of a `TokenLevelScore`.
        let converted = whole.tokenRewards(source: "x")
        #expect(converted.values == whole.tokenRewards.map { Float($0) } && converted.sequenceReward == Float(whole.sequenceScore))
    }

    @Test("sentiment − 2·profanity as a Sum of sources matches weightedSum")
    func sumOfScorerSources() {
        let profanity = ProfanityPenalty(list: ProfanityList(words: ["darn"]))
        let e = Episode(prompt: tokenizer.encode("a"), response: tokenizer.encode(" darn good day"))
        let sum = Sum([reward.tokenRewardSource(tokenizer: tokenizer), profanity.tokenRewardSource(tokenizer: tokenizer)], weights: [1, 2])
        let r = sum.tokenRewards(e)
        let ids = (e.prompt + e.response).map { Int($0) }
        let both = TokenLevelScore.weightedSum([reward.score(tokenIDs: ids, tokenizer: tokenizer),
                                                profanity.score(tokenIDs: ids, tokenizer: tokenizer)], weights: [1, 2])
        #expect(r.values.count == e.response.count)
        for (t, v) in r.values.enumerated() { #expect(abs(Double(v) - both.tokenRewards[e.prompt.count + t]) < 1e-6) }
        #expect(r.values.contains { $0 < 0 } && r.values.contains { $0 > 0 })
        #expect(r.source == "lexicon + 2.0·profanity")
        let expected = reward.sequenceScore(" darn good day") - 2
        #expect(r.sequenceReward.map { abs(Double($0) - expected) < 1e-6 } == true)
        // The compound score, spread over the response.
        let spread = PlacedReward(sequenceRewardOf: reward.tokenRewardSource(tokenizer: tokenizer), placement: .spread).tokenRewards(e)
        let compound = Float(reward.sequenceScore(" darn good day"))
        #expect(spread.values.allSatisfy { $0 == compound / Float(e.response.count) })
    }
}
