// RLMEC's token reward (arXiv 2401.06081; docs/design/rewards.md §10): the clip rule against the
// numpy worked example (Tests/Fixtures/rewards/generate_rlmec_reference.py); the rewriter read
// against a softmax done by hand on one unbatched full forward per sequence, for a padded batch with
// a CreditBench row (verifier decides correctness) and plain rows (exact match with `answer`); the
// rewrite prompt; the errors; and, on CreditBench `add`, that a rewriter fine-tuned on `data
// rewrites` rows puts its lowest reward on the first wrong token of held-out wrong answers more
// often than chance, where the untrained model does not reach the threshold.
import Autograd
import CreditBench
import Datasets
import Foundation
import Models
import TensorCore
import Testing
import TestSupport
import Tokenizers
import TrainedFixtures
@testable import OnlineRL

@Suite struct RLMECRewardTests {
    static func tiny() throws -> (path: String, model: LMJudgeModel) {
        let path = try TestFiles.modelFolder().path
        return (path, try LMJudgeModel(path: path, role: "test"))
    }

    static func completion(_ tok: Tokenizer, prompt: String, response: String, columns: [String: Any], line: Int) -> Completion {
        var cols = columns
        cols["prompt"] = prompt
        let p = RLPrompt(location: RowLocation(file: "prompts.jsonl", line: line), text: prompt, ids: tok.encode(prompt), columns: cols)
        return Completion(prompt: p, ids: tok.encode(response), text: response, finishReason: .stopString)
    }

    @Test func clipRuleMatchesTheNumpyExample() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/rewards/rlmec_reference.json")
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let V = try #require(raw["vocabulary"] as? Int)
        #expect((raw["offset"] as? Double).map(Float.init) == RLMECReward.offset)
        let cases = try #require(raw["cases"] as? [[String: Any]])
        #expect(cases.count == 6)
        for (k, c) in cases.enumerated() {
            let correct = try #require(c["correct"] as? Bool)
            let logits = try #require(c["logits"] as? [[Double]]).map { $0.map(Float.init) }
            let tokens = try #require(c["tokens"] as? [Int]), want = try #require(c["rewards"] as? [Double])
            for (t, row) in logits.enumerated() {
                #expect(row.count == V)
                let lp = row.withUnsafeBufferPointer { ResponseScoring.logProb($0.baseAddress!, V, tokens[t]) }
                let got = RLMECReward.reward(logProb: lp, correct: correct)
                #expect(abs(Double(got) - want[t]) <= 1e-6, "case \(k) token \(t): \(got) vs \(want[t])")
            }
        }
    }

    /// A rewrite prompt short enough for the fixture's 64 positions with two-digit additions.
    static let shortTemplate = "{problem}{solution}|{prediction}>"

    static func writeText(_ text: String) throws -> String {
        let path = TestFiles.temporaryPath("rlmec-template.txt")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func rewritePromptFillsTheFieldsOnce() throws {
        #expect(RLMECRewriting.prompt(problem: "3+4=", solution: "7", prediction: "8\n")
            == "Problem: 3+4=\nSolution: 7\nPrediction: 8\n\nCorrect prediction:\n")
        // A field's own text is never read as a placeholder.
        #expect(RLMECRewriting.prompt(problem: "{solution}", solution: "{prediction}", prediction: "{x")
            == "Problem: {solution}\nSolution: {prediction}\nPrediction: {x\nCorrect prediction:\n")
        #expect(RLMECRewriting.prompt(problem: "3+4=", solution: "7", prediction: "8\n", template: Self.shortTemplate) == "3+4=7|8\n>")
        // Template files: every field exactly once.
        let good = try Self.writeText(Self.shortTemplate)
        #expect(try RLMECRewriting.template(file: good, role: "--template") == Self.shortTemplate)
        for (text, missing) in [("{problem}|{prediction}>", "{solution}"), ("{problem}{solution}{solution}|{prediction}", "{solution}")] {
            let bad = try Self.writeText(text)
            do {
                _ = try RLMECRewriting.template(file: bad, role: "--template")
                Issue.record("\(text) was accepted")
            } catch { #expect("\(error)".contains(missing) && "\(error)".contains("--template")) }
        }
    }

    @Test func rewardIsTheClippedProbabilityOfTheFullForwardForAPaddedBatch() throws {
        let (_, m) = try Self.tiny()
        let tok = m.tokenizer
        let reward = RLMECReward(rewriter: m, tokenizer: tok)
        let batch = [
            Self.completion(tok, prompt: "3+4=", response: "7\n", columns: ["task": "add", "answer": "7"], line: 1),
            Self.completion(tok, prompt: "3+4=", response: "8\n", columns: ["task": "add", "answer": "7"], line: 1),
            Self.completion(tok, prompt: "hi", response: "a dog", columns: ["answer": " a dog "], line: 2),
            Self.completion(tok, prompt: "hi", response: "cat", columns: ["answer": "a dog"], line: 2),
        ]
        let correct = [true, false, true, false]
        let got = try reward.tokenRewards(batch)
        #expect(got.map(\.count) == batch.map(\.ids.count))
        for (i, c) in batch.enumerated() {
            let head = tok.encode(RLMECRewriting.prompt(problem: c.prompt.text, solution: "\(c.prompt.columns["answer"]!)", prediction: c.text),
                                  addSpecialTokens: true)
            let ids = head + c.ids
            for t in c.ids.indices {
                let lp = LMJudgeRewardTests.logSoftmaxRow(m.model, ids, position: head.count + t - 1)[c.ids[t]]
                let p = exp(lp)
                let want = correct[i] ? min(0.5, max(0, p - 0.5)) : min(0, max(-0.1, p - 0.5))
                #expect(abs(Double(got[i][t]) - want) < 1e-5, "completion \(i) token \(t): \(got[i][t]) vs \(want)")
            }
            #expect(correct[i] ? got[i].allSatisfy { $0 >= 0 && $0 <= 0.5 } : got[i].allSatisfy { $0 >= -0.1 && $0 <= 0 })
        }
        // Through the registry, as `--reward rlmec:DIR`.
        let ctx = RewardContext(tokenizer: tok, maxNewTokens: 8, vocabularySize: m.model.vocabularySize)
        let viaRegistry = try RewardFunctions.make("rlmec:\(m.path)", context: ctx).tokenRewards(batch)
        #expect(viaRegistry == got)
    }

    @Test func badInputIsRefusedWithAClearError() throws {
        let (path, m) = try Self.tiny()
        let tok = m.tokenizer
        let ctx = RewardContext(tokenizer: tok, maxNewTokens: 8, vocabularySize: m.model.vocabularySize)
        #expect(throws: RewardError.self) { try RewardFunctions.make("rlmec", context: ctx) }
        do {
            _ = try RewardFunctions.make("rlmec", context: ctx)
        } catch { #expect("\(error)".contains("rlmec:MODEL[,TEMPLATE_FILE]")) }
        do {
            _ = try RewardFunctions.make("rlmec:\(path),a,b", context: ctx)
            Issue.record("three arguments were accepted")
        } catch { #expect("\(error)".contains("rlmec:MODEL[,TEMPLATE_FILE]")) }
        do {
            _ = try RewardFunctions.make("rlmec:\(path),/nonexistent/template.txt", context: ctx)
            Issue.record("a missing template was accepted")
        } catch { #expect("\(error)".contains("cannot read the template file /nonexistent/template.txt")) }
        do {
            _ = try RewardFunctions.make("rlmec:/nonexistent/rewriter", context: ctx)
            Issue.record("a missing folder was accepted")
        } catch { #expect("\(error)".contains("--reward rlmec") && "\(error)".contains("/nonexistent/rewriter")) }
        var other = ctx
        other.vocabularySize = m.model.vocabularySize + 1
        do {
            _ = try RewardFunctions.make("rlmec:\(path)", context: other)
            Issue.record("a vocabulary mismatch was accepted")
        } catch { #expect("\(error)".contains("vocabulary")) }
        let noAnswer = Self.completion(tok, prompt: "3+4=", response: "7\n", columns: ["task": "add"], line: 9)
        do {
            _ = try RLMECReward(rewriter: m, tokenizer: tok).tokenRewards([noAnswer])
            Issue.record("a row without an answer was accepted")
        } catch { #expect("\(error)".contains("prompts.jsonl:9") && "\(error)".contains("answer")) }
        let long = Self.completion(tok, prompt: String(repeating: "9", count: 200), response: "7\n", columns: ["answer": "7"], line: 3)
        do {
            _ = try RLMECReward(rewriter: m, tokenizer: tok).tokenRewards([long])
            Issue.record("a sequence longer than the positions was accepted")
        } catch { #expect("\(error)".contains("positions")) }
    }

    @Test func creditBenchRowsAreTheVerifiersMinimalEdits() throws {
        let task = try CreditTaskName.count.task()
        var made = 0
        for index in 0 ..< 20 {
            guard let row = RLMECRewriting.creditBenchRow(task, seed: 5, index: index) else { continue }
            made += 1
            let ex = task.example(seed: 5, index: index)
            let prediction = try #require(row["prediction"] as? String), fix = try #require(row["completion"] as? String)
            #expect(!task.verify(prediction, for: ex).isCorrect && task.verify(fix, for: ex).isCorrect)
            #expect(task.verify(prediction, for: ex).edit?.corrected == fix)
            #expect(row["prompt"] as? String == RLMECRewriting.prompt(problem: ex.prompt, solution: ex.answer, prediction: prediction))
        }
        #expect(made >= 10)
    }

    /// The "learns" check: a rewriter SFT-trained on `data rewrites` rows of two-digit addition (the
    /// short template) puts its first-lowest token reward on the first wrong token of held-out wrong
    /// answers in at least 75% of rows (measured 0.85; chance, one token of the response drawn
    /// uniformly, is 0.32 here). The untrained fixture stays below 60% (measured 0.53): its
    /// probabilities are all small, every token gets the floor −0.1, and the first-lowest is the
    /// first token, which is where many addition errors are.
    @Test func trainedRewriterBlamesTheFirstWrongToken() throws {
        var knobs = TaskKnobs()
        knobs.digits = 2
        let task = try CreditTaskName.add.task(knobs)
        let template = Self.shortTemplate
        let train = try #require(TokenLabelRows.rows(count: 600, tasks: [task], seed: 1) {
            RLMECRewriting.creditBenchRow($0, seed: $1, index: $2, template: template)
        })
        let data = try TestFiles.writeRows(train, name: "rewrites.jsonl")
        let tuned = try trainTinyModel(data: data, steps: 150)
        let heldOut = try #require(TokenLabelRows.rows(count: 60, tasks: [task], seed: 2) {
            RLMECRewriting.creditBenchRow($0, seed: $1, index: $2, template: template)
        })
        func hitRate(_ m: LMJudgeModel) throws -> (hits: Double, chance: Double) {
            let tok = m.tokenizer
            let batch = heldOut.enumerated().map { i, r in
                Self.completion(tok, prompt: r["problem"] as! String, response: r["prediction"] as! String,
                                columns: ["task": "add", "answer": r["solution"] as! String, "task_knobs": knobs.columns], line: i + 1)
            }
            let rewards = try RLMECReward(rewriter: m, tokenizer: tok, template: template).tokenRewards(batch)
            var hits = 0.0, chance = 0.0
            for (c, r) in zip(batch, rewards) {
                let ex = try task.example(fromPrompt: c.prompt.text)
                let first = try #require(task.verify(c.text, for: ex).firstError)
                let wrong = CreditBenchVerifierReward.token(holding: first, text: c.text, ids: c.ids, tokenizer: tok)
                let lowest = r.indices.min { r[$0] < r[$1] }!
                if lowest == wrong { hits += 1 }
                chance += 1 / Double(r.count)
            }
            return (hits / Double(batch.count), chance / Double(batch.count))
        }
        let trained = try hitRate(LMJudgeModel(path: tuned.folder, role: "test"))
        let untrained = try hitRate(Self.tiny().model)
        print("rlmec first-wrong-token hit rate: trained \(trained.hits), untrained \(untrained.hits), chance \(trained.chance)")
        #expect(trained.chance < 0.5)
        #expect(trained.hits >= 0.75 && trained.hits > trained.chance + 0.3, "\(trained)")
        #expect(untrained.hits < 0.6, "\(untrained)")
    }
}
