// The rewards read from a frozen language model as search scorers (`--scorer judge|crew|follow-up:…`)
// and CRew-DPO's pairs (`tokenalign data crew-pairs`): the scorer gives the judge's own scores and
// books its forward work; `reward:crew` is refused; the pairing rule on hand-made samples; a seeded
// run on the addition SFT fixture gives pairs that follow the rule and that DPO trains on.
import Decoding
import Foundation
import Models
import OnlineRL
import Search
import Testing
import TestSupport
import Tokenizers
import TrainedFixtures
import Training

@Suite struct LMJudgeScorerTests {
    @Test func scorersGiveTheJudgesScoresAndBookTheirWork() throws {
        let path = try TestFiles.modelFolder().path
        let tok = try Tokenizer(directory: URL(fileURLWithPath: path))
        let ctx = ScorerContext(tokenizer: tok, vocabularySize: 512, maxNewTokens: 8)
        let p = promptRow("3+4=", task: "add", tokenizer: tok)
        let answers = ["7\n", "8\n", "71\n"].map { Answer(ids: tok.encode($0), text: $0) }
        let template = TestFiles.temporaryPath("judge.txt")
        try "{prompt}|{response}|{yes}/{no}?".write(toFile: template, atomically: true, encoding: .utf8)
        for spec in ["judge:\(path),\(template),Y|N", "crew:\(path),geometric", "follow-up:\(path)"] {
            let scorer = try SequenceScorers.make(spec, context: ctx)
            var ledger = CostLedger()
            let s = try scorer.scores(p, answers, ledger: &ledger)
            let judge = (scorer as! LMJudgeScorer).judge
            let items = answers.map { JudgedResponse(promptText: "3+4=", promptIDs: p.ids, response: $0.ids, task: "add") }
            let direct = try judge.scores(items)
            #expect(s == direct)
            let (sequences, _) = try judge.reads(items)
            #expect(ledger.scorers[judge.name] == ModelCost(prefillTokens: sequences.count * sequences.map(\.count).max()!, forwardCalls: 1))
        }
        #expect { try SequenceScorers.make("reward:crew:\(path)", context: ctx) } throws: { "\($0)".contains("--scorer crew:MODEL") }
        #expect { try SequenceScorers.make("judge:\(path)", context: ctx) } throws: { "\($0)".contains("must be one token") }
    }

    @Test func pairingRule() {
        typealias S = CRewPairs.Scored
        let samples = [S(text: "a", correct: true, confidence: 0.4), S(text: "b", correct: false, confidence: 0.9),
                       S(text: "c", correct: true, confidence: 0.7), S(text: "d", correct: false, confidence: 0.2),
                       S(text: "e", correct: true, confidence: 0.7)]
        let p = CRewPairs.pair(samples)
        #expect(p?.chosen.text == "c" && p?.rejected.text == "b")
        #expect(CRewPairs.pair(samples.filter(\.correct)) == nil)
        #expect(CRewPairs.pair(samples.filter { !$0.correct }) == nil)
    }

    /// Seeded crew-pairs on the addition SFT fixture: chosen is the most confident sample the CreditBench
    /// verifier accepts, rejected the most confident one it refuses, the same seed gives the same pairs,
    /// and the file trains a DPO step.
    @Test func crewPairsOnASeededCreditBenchRun() throws {
        let setup = try AdditionSetup.shared.get()
        let loaded = try PretrainedModel.load(path: setup.sftModel)
        let tok = try #require(loaded.tokenizer)
        var params = GenerationParameters(maxNewTokens: 6, temperature: 1.5, stopStrings: ["\n"])
        if let eos = tok.eosTokenID { params.stopTokenIDs.insert(eos) }
        params.padTokenID = tok.padTokenID ?? tok.eosTokenID ?? 0
        loaded.model.eval()
        let policy = SearchPolicy(model: loaded.model, tokenizer: tok, parameters: params)
        let crew = ConfidenceReward(model: LMJudgeModel(model: loaded.model, tokenizer: tok, path: setup.sftModel))
        let prompts = try RLPrompts.load(setup.trainPrompts, tokenizer: tok, rendering: PromptRendering(addSpecialTokens: false))
        var rows: [[String: Any]] = []
        for (i, p) in prompts.prefix(16).enumerated() {
            let made = try CRewPairs.row(p, index: i, policy: policy, samples: 8, seed: 5, crew: crew)
            let again = try CRewPairs.row(p, index: i, policy: policy, samples: 8, seed: 5, crew: crew)
            #expect((made.row?["chosen"] as? String) == (again.row?["chosen"] as? String))
            guard let r = made.row else { continue }
            rows.append(r)
            let chosen = r["chosen"] as! String, rejected = r["rejected"] as! String
            for x in made.scored {
                let verdict = try CRewPairs.isCorrect(x.text, row: p, marker: crew.marker)
                #expect(x.correct == verdict)
            }
            let right = made.scored.filter(\.correct), wrong = made.scored.filter { !$0.correct }
            #expect(right.contains { $0.text == chosen } && !wrong.contains { $0.text == chosen })
            #expect(wrong.contains { $0.text == rejected })
            #expect(r["chosen_confidence"] as! Double == Double(right.map(\.confidence).max()!))
            #expect(r["rejected_confidence"] as! Double == Double(wrong.map(\.confidence).max()!))
            // A sample with no answer line (an empty first line) has confidence 0 (rewards.md §9.2).
            #expect(made.scored.allSatisfy { $0.confidence >= 0 && $0.confidence <= 1 })
        }
        #expect(rows.count >= 4, "the fixture is partly right, so most prompts have both kinds of samples")
        let file = try TestFiles.writeRows(rows, name: "crew-pairs.jsonl")
        _ = try trainTinyModel(.preference, data: file, steps: 1, batchSize: 4, learningRate: 1e-5, from: setup.sftModel)
    }

    @Test func crewPairsNeedsAnAnswerOrATask() throws {
        let tok = try Tokenizer(directory: TestFiles.modelFolder())
        let bare = promptRow("2+2=", task: nil, tokenizer: tok)
        #expect { try CRewPairs.isCorrect("The answer is 4", row: bare, marker: AnswerSpan.defaultMarker) } throws: { "\($0)".contains("\"answer\" column") }
        var withAnswer = bare
        withAnswer.columns["answer"] = 4
        #expect(try CRewPairs.isCorrect("so The answer is 4.", row: withAnswer, marker: AnswerSpan.defaultMarker))
        #expect(try !CRewPairs.isCorrect("The answer is 5", row: withAnswer, marker: AnswerSpan.defaultMarker))
        #expect(try CRewPairs.isCorrect("\\boxed{4}", row: withAnswer, marker: AnswerSpan.defaultMarker))
    }
}
