// The cost columns against an independent count: a wrapper model that counts the positions it is
// fed (policy and reward model), and arithmetic from the known lengths.
import Decoding
import Foundation
import Models
import OnlineRL
import Search
import Testing
import Training
import TestSupport
import TrainedFixtures

@Suite(.serialized) struct LedgerTests {
    func setup() throws -> ChainSetup { try ChainSetup.shared.get() }

    @Test func generationLedgerMatchesTheCountedForwardPasses() throws {
        let s = try setup()
        let counter = CountingModel(try s.loadModel())
        let policy = s.policy(counter)
        let prompts = try s.promptRows()
        var settings = SearchSettings()
        settings.n = 5
        settings.seed = 3
        for searcher in [BestOfN(settings), MajorityVote(settings, weighted: false)] as [any Searcher] {
            for (i, p) in prompts.prefix(3).enumerated() {
                counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
                var ledger = CostLedger()
                let r = try searcher.search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &ledger)
                #expect(ledger.policy.prefillTokens == counter.prefillTokens)
                #expect(ledger.policy.decodeTokens == counter.decodeTokens)
                #expect(ledger.policy.forwardCalls == counter.calls)
                // Arithmetic from the lengths: one batch of N copies of the prompt, then N rows per
                // further step, at least as many steps as the longest answer has tokens.
                #expect(r.samples.count == 5)
                #expect(ledger.policy.prefillTokens == 5 * p.ids.count)
                #expect(ledger.policy.decodeTokens == 5 * (ledger.policy.forwardCalls - 1))
                #expect(ledger.policy.forwardCalls >= r.samples.map(\.ids.count).max()!)
                #expect(ledger.scorers.isEmpty, "the verifier runs no model")
            }
        }
    }

    @Test func earlyRejectionAndBeamLedgersMatchTheCountedForwardPasses() throws {
        let s = try setup()
        let counter = CountingModel(try s.loadModel())
        let policy = s.policy(counter)
        let prompts = try s.promptRows()
        var settings = SearchSettings()
        settings.n = 6
        settings.tau = 3
        settings.keepFraction = 0.34
        settings.beamWidth = 2
        settings.expansions = 3
        settings.iterations = 4
        for searcher in [EarlyRejection(settings), StepBeamSearch(settings), StepMCTS(settings)] as [any Searcher] {
            for (i, p) in prompts.prefix(2).enumerated() {
                counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
                var ledger = CostLedger()
                _ = try searcher.search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &ledger)
                #expect(ledger.policy.prefillTokens == counter.prefillTokens, "\(type(of: searcher)) prefill")
                #expect(ledger.policy.decodeTokens == counter.decodeTokens, "\(type(of: searcher)) decode")
                #expect(ledger.policy.forwardCalls == counter.calls, "\(type(of: searcher)) calls")
            }
        }
    }

    @Test func earlyRejectionSpendsLessThanBestOfNOnTheSamePool() throws {
        let s = try setup()
        let policy = s.policy(try s.loadModel())
        let p = try s.promptRows()[0]
        var settings = SearchSettings()
        settings.n = 8
        settings.tau = 2
        settings.keepFraction = 0.25
        var bon = CostLedger(), er = CostLedger()
        let full = try BestOfN(settings).search(p, index: 0, policy: policy, scorer: VerifierScorer(task: nil), ledger: &bon)
        let early = try EarlyRejection(settings).search(p, index: 0, policy: policy, scorer: VerifierScorer(task: nil), ledger: &er)
        // Best-of-N decodes every sample to its end; early rejection decodes 8 × τ and then 2 survivors.
        let longest = full.samples.map { $0.ids.count }.max() ?? 0
        #expect(longest > settings.tau, "the samples must outlast τ for the comparison to mean anything")
        #expect(er.policy.decodeTokens < bon.policy.decodeTokens)
        // Its pool starts as best-of-N's: the same seed and batch draw the same first τ tokens.
        #expect(early.samples.count == 2)
        for a in early.samples {
            #expect(full.samples.contains { Array($0.ids.prefix(settings.tau)) == Array(a.ids.prefix(settings.tau)) })
        }
    }

    @Test func rewardModelLedgerMatchesTheCountedForwardPasses() throws {
        let s = try setup()
        let policy = s.policy(try s.loadModel())
        let rmFolder = try TestFiles.rewardModelFolder(tokenizer: TestFiles.fixtures.appendingPathComponent("datasets/tokenizer/tokenizer.json"))
        let loaded = try #require(try RewardModelLoader.load(folder: rmFolder))
        let counter = CountingModel(loaded.model)
        let scorer = RewardModelScorer(model: counter, head: loaded.head, tokenLevel: false, batchSize: 4)
        let p = try s.promptRows()[1]
        var settings = SearchSettings()
        settings.n = 6
        var ledger = CostLedger()
        let r = try BestOfN(settings).search(p, index: 0, policy: policy, scorer: scorer, ledger: &ledger)
        let rm = try #require(ledger.scorers["rm"])
        #expect(rm.prefillTokens == counter.prefillTokens && rm.forwardCalls == counter.calls && rm.decodeTokens == 0)
        // Arithmetic: two right-padded batches (4 + 2 rows), each as long as its longest prompt + answer.
        let lengths = r.samples.map { p.ids.count + $0.ids.count }
        let expected = 4 * lengths[0 ..< 4].max()! + 2 * lengths[4 ..< 6].max()!
        #expect(rm.prefillTokens == expected)
        #expect(rm.forwardCalls == 2)
        // The chosen answer is the one the reward model scores highest (first on ties).
        var free = CostLedger()
        let again = try scorer.scores(p, r.samples, ledger: &free)
        #expect(r.answer == r.samples[again.indices.max { again[$0] < again[$1] || (again[$0] == again[$1] && $0 > $1) }!])
    }
}

@Suite struct RewardModelScorerTests {
    /// The `rm` scorer is online RL's `rm` reward read the same way: σ of the reward on the last
    /// token, computed by a separate code path (`RewardModelReward`, one unpadded-length batch).
    @Test func rmScorerAgreesWithTheOnlineRLRewardModelReward() throws {
        let s = try ChainSetup.shared.get()
        let rmFolder = try TestFiles.rewardModelFolder(tokenizer: TestFiles.fixtures.appendingPathComponent("datasets/tokenizer/tokenizer.json"))
        let scorer = try RewardModelScorer(folder: rmFolder.path, tokenLevel: false, policyTokenizer: s.tokenizer, policyVocabulary: 512)
        let reward = try RewardModelReward(folder: rmFolder.path, tokenLevel: false, vocabularySize: 512)
        let p = try s.promptRows()[0]
        let texts = ["3*4=12;12+5=17\n", "1+1=2\n", "9"]
        let answers = texts.map { Answer(ids: s.tokenizer.encode($0), text: $0) }
        var ledger = CostLedger()
        let got = try scorer.scores(p, answers, ledger: &ledger)
        let want = try reward.tokenRewards(answers.map { Completion(prompt: p, ids: $0.ids, text: $0.text, finishReason: .stopString) })
            .map { 1 / (1 + Foundation.exp(-$0.last!)) }
        for (g, w) in zip(got, want) { #expect(abs(g - w) < 1e-5, "\(g) vs \(w)") }
        // One batch of three rows as long as the longest prompt + answer.
        #expect(ledger.scorers["rm"] == ModelCost(prefillTokens: 3 * (p.ids.count + answers.map(\.ids.count).max()!), forwardCalls: 1))
    }
}
