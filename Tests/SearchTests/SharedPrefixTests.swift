// Sharing a context's prefill among its samples changes the cost, not the outputs.
import Decoding
import Models
import OnlineRL
import Search
import Testing
import TrainedFixtures

@Suite(.serialized) struct SharedPrefixTests {
    @Test func sharedPrefillGivesTheSameAnswersAndCountsWhatItSaves() throws {
        let s = try ChainSetup.shared.get()
        let counter = CountingModel(try s.loadModel())
        let plain = s.policy(counter)
        let shared = SearchPolicy(model: counter, tokenizer: plain.tokenizer, parameters: plain.parameters, sharePrefixes: true)
        let settings = sharingSettings(seed: 8)
        var saved = 0
        for searcher in expandingSearchers(settings) {
            for (i, p) in try s.promptRows().prefix(3).enumerated() {
                var a = CostLedger(), b = CostLedger()
                let ra = try searcher.search(p, index: i, policy: plain, scorer: VerifierScorer(task: nil), ledger: &a)
                counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
                let rb = try searcher.search(p, index: i, policy: shared, scorer: VerifierScorer(task: nil), ledger: &b)
                #expect(ra.answer == rb.answer && ra.samples == rb.samples, "\(type(of: searcher)) prompt \(i)")
                // What ran is what the model was fed; what was saved is the rest of the unshared prefill.
                #expect(b.policy.prefillTokens == counter.prefillTokens && b.policy.decodeTokens == counter.decodeTokens
                        && b.policy.forwardCalls == counter.calls)
                #expect(b.policy.prefillTokens + b.policyPrefillSaved == a.policy.prefillTokens)
                #expect(b.policy.decodeTokens == a.policy.decodeTokens && a.policyPrefillSaved == 0)
                saved += b.policyPrefillSaved
            }
        }
        #expect(saved > 0)
    }

    @Test func bestOfNSavesAllButOnePrefillOfThePrompt() throws {
        let s = try ChainSetup.shared.get()
        let base = s.policy(try s.loadModel())
        let shared = SearchPolicy(model: base.model, tokenizer: base.tokenizer, parameters: base.parameters, sharePrefixes: true)
        var settings = SearchSettings()
        settings.n = 8
        let p = try s.promptRows()[2]
        var ledger = CostLedger()
        _ = try BestOfN(settings).search(p, index: 0, policy: shared, scorer: VerifierScorer(task: nil), ledger: &ledger)
        #expect(ledger.policy.prefillTokens == p.ids.count)
        #expect(ledger.policyPrefillSaved == 7 * p.ids.count)
    }
}
