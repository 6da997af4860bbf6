// Persona-judge against its definition: speculative verification emits the judge's distribution,
// greedy persona-judge equals a cache-free re-implementation (fixed and alternating roles), sampling
// follows the judging view, and the ledger matches the forward passes a counting model sees.
import Autograd
import Decoding
import Foundation
import Models
import OnlineRL
@testable import Search
import TensorCore
import Testing
import TrainedFixtures

@Suite(.serialized) struct PersonaJudgeTests {
    func setup() throws -> ChainSetup { try ChainSetup.shared.get() }

    /// Draft x ~ q, verify against p, many times: the emitted token's frequencies are p's, and the
    /// acceptance rate is Σ min(p, q).
    @Test func verificationEmitsTheJudgesDistribution() {
        let p: [Float] = [0.5, 0.3, 0.1, 0.1, 0]
        let q: [Float] = [0.1, 0.2, 0.3, 0.1, 0.3]
        let exact = SpeculativeVerification.firstTokenDistribution(p: p, q: q)
        for v in p.indices { #expect(abs(exact[v] - Double(p[v])) < 1e-6) }
        var rng = RandomGenerator(seed: 7)
        let trials = 200_000
        var counts = [Int](repeating: 0, count: p.count), accepted = 0
        // Row 1 of p (after the drafted token) is only read when the draft passes; any distribution works.
        let pRows = p + [0, 0, 0, 0, 1]
        for _ in 0 ..< trials {
            let x = q.withUnsafeBufferPointer { rng.categorical(weights: $0) }
            let o = SpeculativeVerification.verify(drafted: [x], q: q, p: pRows, vocabulary: p.count, rng: &rng)
            counts[o.accepted == 1 ? x : o.next] += 1
            accepted += o.accepted
        }
        for v in p.indices { #expect(abs(Double(counts[v]) / Double(trials) - Double(p[v])) < 0.006, "token \(v)") }
        let overlap = zip(p, q).map { Double(min($0, $1)) }.reduce(0, +)
        #expect(abs(Double(accepted) / Double(trials) - overlap) < 0.006)
        // A token p never takes is never emitted (it was drafted 30% of the time).
        #expect(counts[4] == 0)
    }

    /// One cache-free greedy next token of `ids`.
    func greedyNext(_ model: any LanguageModel, _ ids: [Int]) -> Int {
        Generator.generate(model: model, prompts: [ids], parameters: GenerationParameters(maxNewTokens: 1, temperature: 0))[0].tokens[0]
    }

    func policy(_ s: ChainSetup, _ model: any LanguageModel, temperature: Float, maxNewTokens: Int) -> SearchPolicy {
        // No stop tokens or strings: every answer runs to the budget, so rounds can be replayed.
        SearchPolicy(model: model, tokenizer: s.tokenizer, parameters: GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature))
    }

    /// With greedy views a draft passes iff it is the judge's argmax and a rejection emits the judge's
    /// argmax; replayed here round by round without KV caches, for fixed and alternating roles.
    @Test func greedyPersonaJudgeEqualsACacheFreeReplay() throws {
        let s = try setup()
        let model = try s.loadModel()
        let maxNew = 14
        let policy = policy(s, model, temperature: 0, maxNewTokens: maxNew)
        var settings = SearchSettings()
        settings.draftPersona = "3+4=7;9*2=18;"
        settings.judgePersona = "x"
        settings.draftTokens = 3
        var rejections = 0
        for alternate in [false, true] {
            settings.alternatePersonas = alternate
            for (i, p) in try s.promptRows().prefix(3).enumerated() {
                var ledger = CostLedger()
                let r = try PersonaJudgeSearch(settings).search(p, index: i, policy: policy, scorer: nil, ledger: &ledger)
                let contexts = [settings.draftPersona, settings.judgePersona].map { s.tokenizer.encode($0 + "\n") + p.ids }
                var answer: [Int] = [], drafter = 0, drafted = 0, kept = 0
                while answer.count < maxNew {
                    let gamma = min(settings.draftTokens, maxNew - answer.count - 1)
                    var proposal: [Int] = []
                    for _ in 0 ..< gamma { proposal.append(greedyNext(model, contexts[drafter] + answer + proposal)) }
                    var emitted: [Int] = []
                    for x in proposal {
                        let j = greedyNext(model, contexts[1 - drafter] + answer + emitted)
                        emitted.append(j)
                        if j != x { break }
                    }
                    let passed = emitted == proposal ? gamma : emitted.count - 1
                    if passed == gamma { emitted.append(greedyNext(model, contexts[1 - drafter] + answer + emitted)) }
                    drafted += gamma
                    kept += passed
                    answer += emitted
                    if alternate { drafter = 1 - drafter }
                }
                #expect(r.answer.ids == answer, "alternate \(alternate), prompt \(i)")
                #expect(ledger.draftedTokens == drafted && ledger.acceptedDraftTokens == kept)
                rejections += drafted - kept
                if !alternate {
                    // Fixed roles: the judge's own greedy decoding, token for token.
                    var params = GenerationParameters(maxNewTokens: maxNew, temperature: 0)
                    params.seed = 0
                    #expect(r.answer.ids == Generator.generate(model: model, prompts: [contexts[1]], parameters: params)[0].tokens)
                }
            }
        }
        #expect(rejections > 0, "the two personas never disagreed: the replay would not test the rollback")
    }

    /// Sampling: over many seeds the first answer token follows the judging view's distribution,
    /// not the drafting view's (two tokens of budget: one draft, verified).
    @Test func sampledFirstTokenFollowsTheJudgingView() throws {
        let s = try setup()
        let model = try s.loadModel()
        let policy = policy(s, model, temperature: 1, maxNewTokens: 2)
        var settings = SearchSettings()
        settings.draftPersona = "3+4=7;9*2=18;"
        settings.judgePersona = "x"
        let p = try s.promptRows()[0]
        func distribution(_ persona: String) -> [Double] {
            let ids = s.tokenizer.encode(persona + "\n") + p.ids
            let h = withoutGradients { model.hiddenStates(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) }), attentionMask: nil, cache: nil).value }
            let T = h.shape[1], C = h.shape[2], V = model.vocabularySize
            let logits = withoutGradients { model.logits(fromHidden: Variable(h.reshaped([T, C]))).value }
            let last = Tensor(shape: [1, V], data: Array(logits.scalars[((T - 1) * V)...]))
            return last.softmax().scalars.map(Double.init)
        }
        let judge = distribution(settings.judgePersona), draft = distribution(settings.draftPersona)
        func tv(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / 2 }
        #expect(tv(judge, draft) > 0.1, "the personas must disagree for the test to mean anything (TV \(tv(judge, draft)))")
        let trials = 3000
        var counts = [Double](repeating: 0, count: judge.count), accepted = 0
        for t in 0 ..< trials {
            settings.seed = UInt64(t)
            var ledger = CostLedger()
            let r = try PersonaJudgeSearch(settings).search(p, index: 0, policy: policy, scorer: nil, ledger: &ledger)
            counts[r.answer.ids[0]] += 1
            accepted += ledger.acceptedDraftTokens
        }
        let empirical = counts.map { $0 / Double(trials) }
        #expect(tv(empirical, judge) < 0.05, "TV to the judge \(tv(empirical, judge))")
        #expect(tv(empirical, draft) > tv(empirical, judge) + 0.05)
        let overlap = zip(judge, draft).map { min($0, $1) }.reduce(0, +)
        #expect(abs(Double(accepted) / Double(trials) - overlap) < 0.05)
    }

    @Test func ledgerMatchesTheCountedForwardPassesAndSeedsReproduce() throws {
        let s = try setup()
        let counter = CountingModel(try s.loadModel())
        let policy = s.policy(counter)
        var settings = SearchSettings()
        settings.draftPersona = "3+4=7;"
        settings.judgePersona = "x"
        settings.alternatePersonas = true
        settings.seed = 4
        for (i, p) in try s.promptRows().prefix(2).enumerated() {
            counter.prefillTokens = 0; counter.decodeTokens = 0; counter.calls = 0
            var ledger = CostLedger()
            let r = try PersonaJudgeSearch(settings).search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &ledger)
            #expect(ledger.policy.prefillTokens == counter.prefillTokens)
            #expect(ledger.policy.decodeTokens == counter.decodeTokens)
            #expect(ledger.policy.forwardCalls == counter.calls)
            // Two prefills: each persona's prefix + the prompt.
            let prefixes = [settings.draftPersona, settings.judgePersona].map { s.tokenizer.encode($0 + "\n").count + p.ids.count }
            #expect(ledger.policy.prefillTokens == prefixes.reduce(0, +))
            #expect(ledger.draftedTokens >= ledger.acceptedDraftTokens && ledger.draftedTokens > 0)
            #expect(ledger.columns["drafted_tokens"] as? Int == ledger.draftedTokens)
            #expect(r.score != nil && r.samples == [r.answer])
            var again = CostLedger()
            let r2 = try PersonaJudgeSearch(settings).search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &again)
            #expect(r2.answer == r.answer && again.draftedTokens == ledger.draftedTokens)
        }
    }

    @Test func badSettingsAreRefused() throws {
        let s = try setup()
        let policy = s.policy(try s.loadModel())
        let p = try s.promptRows()[0]
        var settings = SearchSettings()
        settings.judgePersona = "x"
        var ledger = CostLedger()
        #expect { try PersonaJudgeSearch(settings).search(p, index: 0, policy: policy, scorer: nil, ledger: &ledger) } throws: {
            "\($0)".contains("--draft-persona")
        }
        settings.draftPersona = "y"
        settings.draftTokens = 0
        #expect(throws: SearchError.self) { try settings.validate() }
        #expect(try Searchers.registry.entry(named: "persona-judge").card.arxiv.contains("2504.12663"))
    }
}
