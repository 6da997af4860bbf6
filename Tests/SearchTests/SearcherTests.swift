// Searchers against their definitions: best-of-1 is plain sampling, beam width 1 with the oracle is
// the greedy stepwise choice, votes and the verifier's prefix rule behave as documented.
import CreditBench
import Decoding
import Models
import OnlineRL
import Search
import Testing
import TrainedFixtures

@Suite(.serialized) struct SearcherTests {
    func setup() throws -> ChainSetup { try ChainSetup.shared.get() }

    @Test func bestOfOneIsPlainSamplingWithTheSameSeed() throws {
        let s = try setup()
        let model = try s.loadModel()
        let policy = s.policy(model)
        var settings = SearchSettings()
        settings.n = 1
        settings.seed = 11
        for (i, p) in try s.promptRows().enumerated() {
            var ledger = CostLedger()
            let r = try BestOfN(settings).search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &ledger)
            var params = policy.parameters
            params.seed = SearchSeeds.seed(11, prompt: i, call: 0)
            let plain = Generator.generate(model: model, prompts: [p.ids], parameters: params,
                                           decode: { s.tokenizer.decode($0, skipSpecialTokens: true) })[0]
            #expect(r.answer.ids == policy.body(plain.tokens))
        }
    }

    @Test func beamWidthOneWithTheOracleIsTheGreedyStepwiseChoice() throws {
        let s = try setup()
        let policy = s.policy(try s.loadModel())
        var settings = SearchSettings()
        settings.beamWidth = 1
        settings.expansions = 4
        settings.seed = 5
        let oracle = VerifierScorer(task: nil)
        var differentChoices = 0
        for (i, p) in try s.promptRows().enumerated() {
            var ledger = CostLedger()
            let r = try StepBeamSearch(settings).search(p, index: i, policy: policy, scorer: oracle, ledger: &ledger)
            // By hand: at every step sample 4 next steps of the current prefix with the step's seed,
            // keep the first whose oracle value is highest; stop when it is finished.
            let (task, example) = try oracle.example(p)
            var prefix: [Int] = []
            var scratch = CostLedger()
            for step in 0 ..< settings.maxSteps {
                let conts = policy.continueContexts([[Int]](repeating: p.ids + prefix, count: 4), maxNewTokens: min(16, 24 - prefix.count),
                                                    seed: SearchSeeds.seed(5, prompt: i, call: step), extraStops: [";"], ledger: &scratch)
                let values = conts.map { c -> Float in
                    let ids = Array((prefix + c.ids).prefix(24))
                    let text = s.tokenizer.decode(policy.body(ids), skipSpecialTokens: true)
                    let done = c.finished || ids.count >= 24
                    return done ? (task.verify(text, for: example).isCorrect ? 1 : 0)
                        : (VerifierScorer.prefixIsAlive(text, task: task, example: example) ? 1 : 0)
                }
                var best = 0
                for k in values.indices where values[k] > values[best] { best = k }
                if best != 0 { differentChoices += 1 }
                prefix = Array((prefix + conts[best].ids).prefix(24))
                if conts[best].finished || prefix.count >= 24 { break }
            }
            #expect(r.answer.ids == policy.body(prefix), "prompt \(i)")
        }
        #expect(differentChoices > 0, "the oracle should overrule the first sample at least once for the test to bite")
    }

    @Test func verifierPrefixRuleIsChainStepTruthAtStepBoundaries() throws {
        let task = ChainTask(steps: 3)
        for index in 0 ..< 20 {
            let example = task.example(seed: 9, index: index)
            let wrong = task.injectedError(for: example, seed: 9, index: index).response
            for response in [example.completion, wrong] {
                let scalars = Array(response.unicodeScalars)
                for (k, c) in scalars.enumerated() where c == ";" || c == "\n" {
                    let prefix = String(String.UnicodeScalarView(scalars[0 ... k]))
                    let truth = task.steps(of: prefix, for: example).filter { !$0.range.isEmpty }
                    let allTrue = truth.allSatisfy(\.isCorrect)
                    #expect(VerifierScorer.prefixIsAlive(prefix, task: task, example: example) == allTrue, "\(prefix.debugDescription)")
                }
            }
        }
    }

    @Test func majorityVoteTiesGoToTheAnswerSeenFirst() {
        // Worked examples (by hand).
        #expect(Voting.majority(["7", "5", "5", "7"]) == Voting.Outcome(answer: "7", sample: 0, share: 0.5))
        #expect(Voting.majority(["5", "7", "7"]) == Voting.Outcome(answer: "7", sample: 1, share: 2.0 / 3))
        #expect(Voting.weighted(["a", "b", "a"], weights: [0.2, 0.5, 0.3]) == Voting.Outcome(answer: "a", sample: 0, share: 0.5))
        let w = Voting.weighted(["a", "b", "a"], weights: [0.1, 0.9, 0.3])
        #expect(w?.answer == "b" && w?.sample == 1 && abs(w!.share - 0.9 / 1.3) < 1e-12)
        #expect(Voting.majority([]) == nil)
        #expect(Voting.majority(["x"]) == Voting.Outcome(answer: "x", sample: 0, share: 1))
    }

    @Test func earlyRejectionKeepsTheCeilingOfTheFraction() {
        #expect(EarlyRejection.survivors(8, keep: 0.25) == 2)
        #expect(EarlyRejection.survivors(6, keep: 0.34) == 3)  // ⌈2.04⌉
        #expect(EarlyRejection.survivors(5, keep: 0.01) == 1)  // at least one
        #expect(EarlyRejection.survivors(4, keep: 1) == 4)
    }

    @Test func chainAnswersVoteByTheirFinalNumber() {
        #expect(AnswerExtraction.finalAnswer("3*4=12;12+5=17\n", task: .chain) == "17")
        #expect(AnswerExtraction.finalAnswer("3*4=13;13+4=17\nextra", task: .chain) == "17")
        #expect(AnswerExtraction.finalAnswer(" 1112 \n", task: .add) == "1112")
        #expect(AnswerExtraction.finalAnswer("abc", task: nil) == "abc")
    }

    @Test func majorityPicksTheFirstSampleOfTheMostFrequentAnswer() throws {
        let s = try setup()
        let policy = s.policy(try s.loadModel())
        var settings = SearchSettings()
        settings.n = 7
        settings.seed = 2
        let p = try s.promptRows()[0]
        var ledger = CostLedger()
        let r = try MajorityVote(settings, weighted: false).search(p, index: 0, policy: policy, scorer: nil, ledger: &ledger)
        let answers = r.samples.map { AnswerExtraction.finalAnswer($0.text, task: .chain) }
        var counts: [String: Int] = [:]
        for a in answers { counts[a, default: 0] += 1 }
        let top = counts.values.max()!
        let winner = answers.first { counts[$0] == top }!
        #expect(r.answer == r.samples[answers.firstIndex(of: winner)!])
        #expect(abs(r.score! - Double(top) / 7) < 1e-12)
    }
}

@Suite struct MCTSFormulaTests {
    @Test func uctByHand() {
        // q 0.5, parent visited 4 times, child once, c = 1: 0.5 + sqrt(ln 4) = 0.5 + 1.1774100225…
        #expect(abs(StepMCTS.uct(q: 0.5, parentVisits: 4, childVisits: 1, exploration: 1) - 1.6774100225154747) < 1e-12)
        // c = 0 is pure exploitation; more child visits explore less: 0.2 + 2·sqrt(ln 9 / 3).
        #expect(StepMCTS.uct(q: 0.3, parentVisits: 9, childVisits: 3, exploration: 0) == 0.3)
        #expect(abs(StepMCTS.uct(q: 0.2, parentVisits: 9, childVisits: 3, exploration: 2) - (0.2 + 2 * 0.8558085022044397)) < 1e-12)
    }
}
