// Saffron-1's trie KV cache (arXiv 2506.06444): the stored prefixes change what runs, never what comes
// out. Each check compares a run with the trie against the same run without it, and the ledger against
// `CountingModel`, which counts the positions the model is really fed.
import Models
import OnlineRL
import Search
import TensorCore
import Testing
import TrainedFixtures

@Suite(.serialized) struct TrieCacheTests {
    /// Two sequences, then each extended: the second pass runs only the new columns, its logits equal a
    /// full forward, and the trie holds each distinct prefix once.
    @Test func trieForwardRunsOnlyWhatIsNotStored() throws {
        let s = try ChainSetup.shared.get()
        let counter = CountingModel(try s.loadModel())
        counter.eval()
        let a = s.tokenizer.encode("chain 3+4*2="), b = s.tokenizer.encode("chain 3+4*2=3+4=7;")
        let trie = TrieKVCache(model: counter)
        let first = TrieForward.lastLogits(counter, [a, b], padID: 0, trie: trie)
        // Nothing stored yet: the full left-padded batch runs.
        #expect(first.work == ForwardWork(positions: 2 * b.count, saved: 0))
        // Distinct prefixes of {a, b}: b's, plus a's beyond their common prefix.
        let common = zip(a, b).prefix { $0 == $1 }.count
        #expect(trie.storedPositions == b.count + a.count - common)
        let x = a + [b[a.count]], y = b + s.tokenizer.encode("7*2")
        counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
        let second = TrieForward.lastLogits(counter, [x, y], padID: 0, trie: trie)
        let newest = max(x.count - a.count, y.count - b.count)
        #expect(second.work == ForwardWork(positions: 2 * newest, saved: 2 * (y.count - newest)))
        #expect(counter.prefillTokens + counter.decodeTokens == second.work.positions && counter.calls == 1)
        let full = TrieForward.lastLogits(counter, [x, y], padID: 0, trie: nil)
        let d = zip(second.logits.scalars, full.logits.scalars).map { abs($0 - $1) }.max()!
        #expect(d < 1e-4, "trie logits differ from a full forward by \(d)")
    }

    /// Best-of-N, early rejection, beam search and MCTS with the trie: the same answers and pools as
    /// without it (seeded sampling), the ledger equals the counted positions, and what the trie saved
    /// is exactly the difference between the two runs' counted positions.
    @Test func searchersGiveTheSameAnswersAndCountWhatTheTrieSaves() throws {
        let s = try ChainSetup.shared.get()
        let counter = CountingModel(try s.loadModel())
        let plain = s.policy(counter)
        let settings = sharingSettings(seed: 5)
        var saved = [String: Int]()
        for searcher in expandingSearchers(settings) {
            let trie = SearchPolicy(model: counter, tokenizer: plain.tokenizer, parameters: plain.parameters, trieCache: true)
            for (i, p) in try s.promptRows().prefix(3).enumerated() {
                var a = CostLedger(), b = CostLedger()
                counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
                let ra = try searcher.search(p, index: i, policy: plain, scorer: VerifierScorer(task: nil), ledger: &a)
                let plainCount = counter.prefillTokens + counter.decodeTokens
                counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
                let rb = try searcher.search(p, index: i, policy: trie, scorer: VerifierScorer(task: nil), ledger: &b)
                let name = "\(type(of: searcher))"
                #expect(ra.answer == rb.answer && ra.samples == rb.samples, "\(name) prompt \(i)")
                #expect(b.policy.tokens == counter.prefillTokens + counter.decodeTokens && b.policy.forwardCalls == counter.calls, "\(name)")
                #expect(a.policy.tokens == plainCount && a.policyPrefillSaved == 0)
                #expect(b.policyPrefillSaved == plainCount - b.policy.tokens, "\(name) prompt \(i)")
                #expect(b.policy.decodeTokens == a.policy.decodeTokens)
                saved[name, default: 0] += b.policyPrefillSaved
            }
        }
        // Every searcher re-prefills something a trie stores: the prompt of its later calls at least.
        for (name, n) in saved { #expect(n > 0, "\(name) saved nothing") }
    }

    /// Saffron with the trie (policy and multifurcation reward model) against Saffron without it: the
    /// same answers and pools, and the same scores up to float rounding (1e-5: the trie reuses keys
    /// and values computed in an earlier pass of another shape); both models' ledger entries equal
    /// their counted positions; the savings equal the difference of the counts.
    @Test func saffronWithTheTrieIsSaffronWithoutIt() throws {
        let s = try ChainSetup.shared.get()
        let m = try MultifurcationSetup.shared.get()
        let policyCounter = CountingModel(try s.loadModel()), mrmCounter = CountingModel(try PretrainedModel.load(path: m.folder).model)
        let loaded = try MultifurcationScorer(folder: m.folder, policyTokenizer: s.tokenizer, policyVocabulary: 512)
        func scorer(trie: Bool) -> MultifurcationScorer {
            let seen = loaded.seen.map { flags in flags.indices.filter { flags[$0] } }
            return MultifurcationScorer(model: mrmCounter, seenTokens: seen, padID: loaded.padID, trieCache: trie)
        }
        let plain = s.policy(policyCounter)
        let trie = SearchPolicy(model: policyCounter, tokenizer: plain.tokenizer, parameters: plain.parameters, trieCache: true)
        var settings = SearchSettings()
        settings.budget = 4
        settings.maxChildren = 3
        for (i, p) in try s.promptRows().prefix(3).enumerated() {
            var counts: [(policy: Int, mrm: Int, calls: Int)] = []
            var ledgers: [CostLedger] = [], results: [SearchResult] = []
            for (policy, mrm) in [(plain, scorer(trie: false)), (trie, scorer(trie: true))] {
                for c in [policyCounter, mrmCounter] { c.prefillTokens = 0; c.decodeTokens = 0; c.calls = 0 }
                var ledger = CostLedger()
                results.append(try SaffronSearch(settings).search(p, index: i, policy: policy, scorer: mrm, ledger: &ledger))
                ledgers.append(ledger)
                counts.append((policyCounter.prefillTokens + policyCounter.decodeTokens, mrmCounter.prefillTokens + mrmCounter.decodeTokens,
                               policyCounter.calls))
            }
            #expect(results[0].answer == results[1].answer && results[0].samples == results[1].samples, "prompt \(i)")
            #expect(zip(results[0].sampleScores, results[1].sampleScores).allSatisfy { abs($0 - $1) < 1e-5 })
            for k in 0 ..< 2 {
                #expect(ledgers[k].policy.tokens == counts[k].policy && ledgers[k].policy.forwardCalls == counts[k].calls)
                #expect(ledgers[k].scorers["mrm"]?.tokens == counts[k].mrm)
                // One policy pass and one MRM pass per depth.
                #expect(ledgers[k].scorers["mrm"]?.forwardCalls == ledgers[k].policy.forwardCalls)
            }
            #expect(ledgers[0].policyPrefillSaved == 0 && ledgers[0].scorerPrefillSaved == 0)
            #expect(ledgers[1].policyPrefillSaved == counts[0].policy - counts[1].policy && ledgers[1].policyPrefillSaved > 0)
            #expect(ledgers[1].scorerPrefillSaved == counts[0].mrm - counts[1].mrm && ledgers[1].scorerPrefillSaved > 0)
        }
    }
}
