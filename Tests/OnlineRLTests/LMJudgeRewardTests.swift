// The rewards read from a frozen language model (docs/design/rewards.md §9): the generative judge's
// p(Yes)/(p(Yes)+p(No)), CRew's answer-token confidence and the follow-up likelihood, each checked
// against a softmax done by hand on the logits of one unbatched full forward per sequence, for a
// padded batch; CRew's answer span; the errors for a reward-model folder, a tokenizer that splits the
// verdict, and a policy with another vocabulary; and, on the addition SFT fixture, that CRew ranks a
// correct answer above a wrong one more often than chance where the untrained model does not.
import Autograd
import Foundation
import Models
import TensorCore
import Testing
import TestSupport
import Tokenizers
import TrainedFixtures
@testable import OnlineRL
import Experiments
import Datasets

@Suite struct LMJudgeRewardTests {
    /// The fixture Llama (vocabulary 512, with the dataset tokenizer and its chat template).
    static func tiny() throws -> (path: String, model: LMJudgeModel) {
        let path = try TestFiles.modelFolder().path
        return (path, try LMJudgeModel(path: path, role: "test"))
    }

    /// A judge text short enough for the fixture's 64 positions.
    static let shortTemplate = "{prompt}|{response}|{yes}/{no}?"

    /// Log-softmax of row `position` of the logits of one unbatched forward of `ids`, in Double.
    static func logSoftmaxRow(_ model: any LanguageModel, _ ids: [Int], position: Int) -> [Double] {
        let logits = withoutGradients { model(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) })).value }
        let V = logits.shape[2], z = logits.scalars
        let row = (0 ..< V).map { Double(z[position * V + $0]) }
        let m = row.max()!
        let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
        return row.map { $0 - lse }
    }

    static func items(_ tok: Tokenizer, _ responses: [String], task: String? = nil) -> [JudgedResponse] {
        responses.enumerated().map { i, r in
            let prompt = "\(i + 3)+\(i + 4)="
            return JudgedResponse(promptText: prompt, promptIDs: tok.encode(prompt), response: tok.encode(r), task: task)
        }
    }

    @Test func judgeIsTheVerdictSoftmaxOfTheFullForwardForAPaddedBatch() throws {
        let (_, m) = try Self.tiny()
        let tok = m.tokenizer
        let judge = try GenerativeJudge(model: m, template: Self.shortTemplate, verdicts: ("Y", "N"))
        #expect(judge.usesChatTemplate)
        #expect(judge.yesID == tok.encode("Y")[0] && judge.noID == tok.encode("N")[0])
        let batch = Self.items(tok, ["7\n", "a much longer response here\n", "12"])
        let got = try judge.scores(batch)
        for (i, item) in batch.enumerated() {
            // The sequence: the chat-rendered judge text around the policy's response ids.
            let text = Self.shortTemplate.replacingOccurrences(of: "{yes}", with: "Y").replacingOccurrences(of: "{no}", with: "N")
                .replacingOccurrences(of: "{prompt}", with: item.promptText)
            let rendered = try tok.renderChat([.user(text)], addGenerationPrompt: true)
            let cut = rendered.range(of: "{response}")!
            let ids = tok.encode(String(rendered[..<cut.lowerBound])) + item.response + tok.encode(String(rendered[cut.upperBound...]))
            #expect(judge.sequence(item) == ids)
            let lp = Self.logSoftmaxRow(m.model, ids, position: ids.count - 1)
            let py = exp(lp[judge.yesID]), pn = exp(lp[judge.noID])
            #expect(abs(Double(got[i]) - py / (py + pn)) < 1e-5)
        }
    }

    @Test func crewIsTheMeanProbabilityOfTheAnswerTokensForAPaddedBatch() throws {
        let (_, m) = try Self.tiny()
        let tok = m.tokenizer
        // CreditBench `add` rows: the answer is the first line; the responses are built so the answer
        // tokens are known: encode(answer) then encode("\n").
        let answers = ["7", "123", "45"]
        let batch = answers.enumerated().map { i, a in
            JudgedResponse(promptText: "p\(i)", promptIDs: tok.encode("\(i)+\(i)="), response: tok.encode(a) + tok.encode("\n"), task: "add")
        }
        let crew = ConfidenceReward(model: m), geo = ConfidenceReward(model: m, geometric: true)
        let mean = try crew.scores(batch), g = try geo.scores(batch)
        for (i, item) in batch.enumerated() {
            let k = tok.encode(answers[i]).count
            #expect(crew.answerTokens(item) == Array(0 ..< k))
            let ids = item.promptIDs + item.response
            let lps = (0 ..< k).map { j in Self.logSoftmaxRow(m.model, ids, position: item.promptIDs.count + j - 1)[item.response[j]] }
            #expect(abs(Double(mean[i]) - lps.map { exp($0) }.reduce(0, +) / Double(k)) < 1e-5)
            #expect(abs(Double(g[i]) - exp(lps.reduce(0, +) / Double(k))) < 1e-5)
        }
    }

    @Test func followUpIsPositiveMinusNegativeMeanLogLikelihoodForAPaddedBatch() throws {
        let (_, m) = try Self.tiny()
        let tok = m.tokenizer
        let pos = ["good", "thanks a lot"], neg = ["bad"]
        let flr = try FollowUpLikelihood(model: m, positive: pos, negative: neg)
        let batch = Self.items(tok, ["7", "the answer is seven"])
        let got = try flr.scores(batch)
        func meanLL(_ item: JudgedResponse, _ u: String) throws -> Double {
            // The user's next turn after the response, as the chat template writes it.
            let sentinel = "\u{1}R\u{1}"
            let text = try tok.renderChat([.user("P"), .assistant(sentinel), .user(u)])
            let s = text.range(of: sentinel)!, f = text.range(of: u, range: s.upperBound ..< text.endIndex)!
            let bridge = tok.encode(String(text[s.upperBound ..< f.lowerBound])), utt = tok.encode(u)
            let ids = item.promptIDs + item.response + bridge + utt
            let start = ids.count - utt.count
            return utt.indices.map { Self.logSoftmaxRow(m.model, ids, position: start + $0 - 1)[utt[$0]] }.reduce(0, +) / Double(utt.count)
        }
        for (i, item) in batch.enumerated() {
            let expected = try pos.map { try meanLL(item, $0) }.reduce(0, +) / 2 - meanLL(item, neg[0])
            #expect(abs(Double(got[i]) - expected) < 1e-4)
        }
    }

    @Test func answerSpans() {
        func span(_ t: String, task: String? = nil) -> String? {
            AnswerSpan.find(in: t, task: task).map { String(decoding: Array(t.utf8)[$0], as: UTF8.self) }
        }
        #expect(span("First 3+4 is 7. The answer is 42.") == "42")
        #expect(span("The answer is 1. No wait. The answer is  -5\nthanks") == "-5")
        #expect(span("so x = \\boxed{\\frac{1}{2}} and The answer is 3") == "\\frac{1}{2}")
        #expect(span("no final answer here") == nil)
        #expect(span("\\boxed{unclosed") == nil)
        #expect(span("1112\n", task: "add") == "1112")
        #expect(span("3*4=12;12+5=17\n", task: "chain") == "17")
        #expect(AnswerSpan.find(in: "The answer is 42", task: nil, marker: "Result:") == nil)
        // Tokens covering bytes 4..<6 of "ab" "cd" "ef" "g": the third token only; a token that
        // straddles the start is included.
        let bytes: [Int: [UInt8]] = [0: Array("ab".utf8), 1: Array("cd".utf8), 2: Array("ef".utf8), 3: Array("g".utf8)]
        #expect(AnswerSpan.tokens([0, 1, 2, 3], covering: 4 ..< 6) { bytes[$0]! } == [2])
        #expect(AnswerSpan.tokens([0, 1, 2, 3], covering: 3 ..< 5) { bytes[$0]! } == [1, 2])
    }

    @Test func crewWithoutAnAnswerScoresZero() throws {
        let (_, m) = try Self.tiny()
        let tok = m.tokenizer
        let s = try ConfidenceReward(model: m).scores([JudgedResponse(promptText: "q", promptIDs: tok.encode("q"), response: tok.encode("no final answer"))])
        #expect(s == [0])
    }

    @Test func asAnOnlineRLRewardTheScoreSitsOnTheLastToken() throws {
        let (path, m) = try Self.tiny()
        let ctx = RewardContext(tokenizer: m.tokenizer, maxNewTokens: 8, vocabularySize: 512)
        let completions = makeCompletions(["The answer is 7", "hm"], tokenizer: m.tokenizer)
        let template = TestFiles.temporaryPath("judge.txt")
        try Self.shortTemplate.write(toFile: template, atomically: true, encoding: .utf8)
        for spec in ["judge:\(path),\(template),Y|N", "crew:\(path)", "follow-up:\(path)"] {
            let f = try RewardFunctions.make(spec, context: ctx)
            let r = try f.tokenRewards(completions)
            let judge = (f as! LMJudgeReward).judge
            let direct = try judge.scores(completions.map { LMJudges.judged($0, eos: m.tokenizer.eosTokenID) })
            for (i, row) in r.enumerated() {
                #expect(row.count == completions[i].ids.count)
                #expect(row.dropLast().allSatisfy { $0 == 0 } && row.last == direct[i])
            }
        }
        #expect(try RewardFunctions.make("crew:\(path)", context: ctx).tokenRewards(completions)[1].last == 0)  // no answer in "hm"
    }

    @Test func badInputIsRefusedWithAClearError() throws {
        let (path, m) = try Self.tiny()
        // A verdict the tokenizer splits: "Yes" is several tokens of the fixture tokenizer.
        #expect { try GenerativeJudge(model: m) } throws: { "\($0)".contains("must be one token") && "\($0)".contains("\"Yes\"") }
        // A reward-model folder has no LM head.
        let rm = try TestFiles.rewardModelFolder(tokenizer: URL(fileURLWithPath: path).appendingPathComponent("tokenizer.json")).path
        #expect { try LMJudgeModel(path: rm, role: "--reward crew") } throws: { "\($0)".contains("reward-model folder") && "\($0)".contains("no LM head") }
        // A policy with another vocabulary.
        let other = RewardContext(tokenizer: m.tokenizer, maxNewTokens: 8, vocabularySize: 300)
        #expect { try RewardFunctions.make("crew:\(path)", context: other) } throws: { "\($0)".contains("must share the policy's tokenizer") }
        // Arguments.
        let ctx = RewardContext(tokenizer: m.tokenizer, maxNewTokens: 8, vocabularySize: 512)
        #expect { try RewardFunctions.make("crew:\(path),median", context: ctx) } throws: { "\($0)".contains("mean or geometric") }
        #expect { try RewardFunctions.make("judge", context: ctx) } throws: { "\($0)".contains("judge:MODEL") }
        #expect { try RewardFunctions.make("judge:\(path),,Y", context: ctx) } throws: { "\($0)".contains("YES|NO") }
    }

    @Test func followUpFileOverridesTheLists() throws {
        let file = TestFiles.temporaryPath("follow.txt")
        try "+\nyes indeed\n\n-\nno\nnot at all\n".write(toFile: file, atomically: true, encoding: .utf8)
        let l = try FollowUpLikelihood.lists(file: file)
        #expect(l.positive == ["yes indeed"] && l.negative == ["no", "not at all"])
        try "stray\n+\na\n-\nb\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try FollowUpLikelihood.lists(file: file) } throws: { "\($0)".contains(":1") }
    }

    /// The addition SFT fixture ranks the correct sum above a wrong one (correct + 1) by CRew more
    /// often than the untrained fixture model does. The judge and the follow-up likelihood are tested
    /// for their mechanics only: the fixture was never trained to judge or to converse.
    @Test func crewSeparatesCorrectFromWrongAnswersOnceTrained() throws {
        let setup = try AdditionSetup.shared.get()
        let tuned = try LMJudgeModel(path: setup.sftModel, role: "test")
        let base = try Self.tiny().model
        let rows = try TestFiles.readRows(setup.evalPrompts)
        func accuracy(_ m: LMJudgeModel) throws -> Double {
            let crew = ConfidenceReward(model: m)
            var items: [JudgedResponse] = []
            for r in rows {
                let p = r["prompt"] as! String, a = Int("\(r["answer"]!)".trimmingCharacters(in: .whitespacesAndNewlines))!
                for answer in [a, a + 1] {
                    items.append(JudgedResponse(promptText: p, promptIDs: m.tokenizer.encode(p), response: m.tokenizer.encode("\(answer)\n"), task: "add"))
                }
            }
            let s = try crew.scores(items)
            return Double(stride(from: 0, to: s.count, by: 2).filter { s[$0] > s[$0 + 1] }.count) / Double(rows.count)
        }
        let trained = try accuracy(tuned), untrained = try accuracy(base)
        print("CRew pair accuracy on \(rows.count) addition prompts: trained \(trained), untrained \(untrained)")
        #expect(trained >= 0.65)
        #expect(trained > untrained + 0.15)
    }
    /// `tokenalign eval rm --judge crew:DIR`: the benchmark texts are scored by CRew (the prompt
    /// encoded with special tokens, the response on its own) and RewardBench v1's scoring runs on the
    /// scores unchanged: on addition rows whose chosen answer is right and rejected one is right + 1,
    /// the trained fixture's pair accuracy is the fraction of rows with a strictly larger chosen score.
    @Test func evalRMScoresBenchmarkRowsWithAJudge() throws {
        let setup = try AdditionSetup.shared.get()
        let rows = try TestFiles.readRows(setup.evalPrompts).prefix(12).enumerated().map { i, r -> RMBenchRow in
            let a = Int("\(r["answer"]!)".trimmingCharacters(in: .whitespacesAndNewlines))!
            return RMBenchRow(location: RowLocation(file: "bench.jsonl", line: i + 1), prompt: r["prompt"] as! String,
                              chosen: ["The answer is \(a)"], rejected: ["The answer is \(a + 1)"], subset: "math-prm")
        }
        let scorer = try LMJudgeResponseScorer(spec: "crew:\(setup.sftModel)")
        let (report, scores) = try RMEvaluation.run(rows, scorer: scorer, scoring: RMBenchmarks.registry.entry(named: "rb1").scoring, robustness: false)
        let tok = scorer.judge.judgeModel.tokenizer
        let crew = scorer.judge as! ConfidenceReward
        var right = 0
        for (i, r) in rows.enumerated() {
            let direct = try crew.scores([r.chosen[0], r.rejected[0]].map {
                JudgedResponse(promptText: r.prompt, promptIDs: tok.encode(r.prompt, addSpecialTokens: true), response: tok.encode($0))
            })
            #expect(abs(scores[i].chosen[0] - Double(direct[0])) < 1e-6 && abs(scores[i].rejected[0] - Double(direct[1])) < 1e-6)
            if direct[0] > direct[1] { right += 1 }
        }
        #expect(abs(report.pairAccuracy - Double(right) / Double(rows.count)) < 1e-12)
        #expect(report.rewardBench?.subsets["math-prm"] != nil)
        // A --tokenizer that is not the model's own is refused.
        // (The same vocabulary read without its tokenizer_config.json: no EOS or pad token.)
        let other = try Tokenizer(tokenizerJSON: URL(fileURLWithPath: setup.sftModel).appendingPathComponent("tokenizer.json"))
        #expect { try LMJudgeResponseScorer(spec: "crew:\(setup.sftModel)", tokenizer: other) } throws: { "\($0)".contains("differs from the judging model's own tokenizer") }
    }
}
