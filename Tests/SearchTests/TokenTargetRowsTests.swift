// `TokenTargetRows.completionIDs`: an answer's tokens are the joint encoding after the prompt's
// tokens, and an answer whose first token merges with the prompt's last has none (its value / MRM
// targets could not be aligned with the completion the dataset encoder trains on).
import Search
import Testing
import Tokenizers

@Suite struct TokenTargetRowsTests {
    @Test func answersThatMergeWithThePromptHaveNoAlignedTokens() throws {
        // "=-" is frequent enough to become one token.
        let corpus = [String](repeating: "chain 7-5=-2 chain 3-4=-1 x=-y", count: 40) + ["chain 3*4=12;12+5=17"]
        let tokenizer = try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>"]).train(corpus)
        let prompt = "chain 7-5*5-3="
        let promptIDs = tokenizer.encode(prompt)
        #expect(tokenizer.encode(prompt + "-5").starts(with: promptIDs) == false, "the corpus should merge \"=-\"")
        #expect(TokenTargetRows.completionIDs("-5=2\n", after: prompt, promptIDs: promptIDs, tokenizer: tokenizer) == nil)
        let ids = try #require(TokenTargetRows.completionIDs("7-5=2\n", after: prompt, promptIDs: promptIDs, tokenizer: tokenizer))
        #expect(promptIDs + ids == tokenizer.encode(prompt + "7-5=2\n"))
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "7-5=2\n")
    }
}
