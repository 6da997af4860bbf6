// The verifier on the token-reward contract (docs/design/rewards.md §3.5): its rewards mark exactly
// the token `TokenCredit` finds as the first error.
import CreditBench
import Rewards
import Testing
import Tokenizers

@Suite struct VerifierSourceTests {
    @Test("−1 on TokenCredit's first-error token (the EOS when text is missing), 0 elsewhere; sequence reward 1 or 0",
          arguments: CreditTaskName.allCases)
    func marksTheFirstErrorToken(_ name: CreditTaskName) throws {
        let tok = try trainedDigitTokenizer()
        let eos = try #require(tok.tokenToID("<|endoftext|>"))
        let task = try name.task()
        let source = VerifierTokenRewards(task: task, tokenizer: tok)
        var missingAtTheEnd = 0
        for (i, ex) in task.examples(16, seed: 5).enumerated() {
            let injected = task.injectedError(for: ex, seed: 5, index: i).response
            let short = String(ex.completion.dropLast())  // no terminator: the error is the EOS
            for response in [injected, short, ex.completion] {
                // As the demo tokenises a row: prompt + response together, EOS appended.
                let credit = TokenCredit(task: task, example: ex, response: response, tokenizer: tok)
                let full = tok.encode(ex.prompt + response, addSpecialTokens: false, parseSpecialTokens: false)
                let prompt = Array(full.prefix(full.count - credit.ids.count))
                #expect(tok.decode(prompt) == ex.prompt)
                let r = source.tokenRewards(Episode(prompt: prompt, response: credit.ids + [eos]))
                #expect(r.source == "creditbench-verifier")
                var expected = [Float](repeating: 0, count: credit.ids.count + 1)
                if let first = credit.firstErrorToken {
                    expected[first] = -1
                    if first == credit.ids.count { missingAtTheEnd += 1 }
                    #expect(r.sequenceReward == 0)
                } else {
                    #expect(r.sequenceReward == 1)
                }
                #expect(r.values == expected, "\(ex.prompt) → \(response.debugDescription)")
            }
        }
        #expect(missingAtTheEnd > 0)
    }
}
