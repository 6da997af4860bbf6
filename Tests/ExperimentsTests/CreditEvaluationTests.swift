// Scoring credit sources against first-error annotations (`tokenalign eval credit`): the two layouts'
// tokenisation, the step scores, and every bad row named by its line.
import Datasets
import Evaluation
import Experiments
import Foundation
import Rewards
import Testing
import Tokenizers

private func tokenizer() throws -> Tokenizer {
    let corpus = (0 ..< 100).map { "step \($0 % 10): add 12 and 34 to get 46; the answer is \($0)" }
    return try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>"]).train(corpus)
}

private func rows(_ text: String) throws -> [JSONLRow] { try JSONLReader.parse(Data(text.utf8), file: "ann.jsonl") }

@Suite struct CreditEvaluationTests {
    @Test func processBenchRowsMapEveryTokenToItsStep() throws {
        let tok = try tokenizer()
        let r = try rows(#"{"problem": "add 12 and 34", "steps": ["12 + 34", "= 47", "the answer is 47"], "label": 1, "subset": "gsm8k"}"#)
        let a = try CreditAnnotations.parse(r[0], tokenizer: tok)
        let steps = ["12 + 34\n", "= 47\n", "the answer is 47\n"].map { tok.encode($0) }
        #expect(a.promptIDs == tok.encode("add 12 and 34\n"))
        #expect(a.responseIDs == steps.flatMap { $0 })
        #expect(a.tokenSteps == steps.enumerated().flatMap { k, ids in Array(repeating: k, count: ids.count) })
        #expect(a.stepCount == 3 && a.firstErrorStep == 1 && a.subset == "gsm8k")
        #expect(a.firstErrorToken == steps[0].count)
    }

    /// A first wrong character inside a merged BPE token blames that whole token.
    @Test func spanErrorInsideAMergedTokenBlamesThatToken() throws {
        let tok = try tokenizer()
        let response = " the answer is 46"
        let enc = tok.encodeWithOffsets(response)
        // The token covering " answer" (several characters): point at its third character.
        let k = try #require(enc.offsets.firstIndex { $0.count >= 3 && $0.lowerBound > 0 })
        let char = enc.offsets[k].lowerBound + 2  // ASCII: byte index = code-point index
        let r = try rows("{\"prompt\": \"q\", \"response\": \"\(response)\", \"first_error_char\": \(char)}\n{\"prompt\": \"q\", \"response\": \"ok\", \"first_error_char\": null}")
        #expect(try CreditAnnotations.parse(r[0], tokenizer: tok).firstErrorToken == k)
        #expect(try CreditAnnotations.parse(r[1], tokenizer: tok).firstErrorToken == nil)
        // Code points, not bytes: "é" is 2 UTF-8 bytes but 1 character.
        let u = try rows(#"{"prompt": "", "response": "é12", "first_error_char": 1}"#)
        let a = try CreditAnnotations.parse(u[0], tokenizer: tok)
        let offsets = tok.encodeWithOffsets("é12").offsets
        #expect(a.firstErrorToken == offsets.firstIndex { $0.contains(2) })
    }

    @Test func badRowsNameTheLineAndField() throws {
        let tok = try tokenizer()
        let cases: [(String, String)] = [
            (#"{"problem": "p", "steps": ["a", "b"], "label": 2}"#, "label"),
            (#"{"problem": "p", "steps": ["a"], "label": -2}"#, "label"),
            (#"{"problem": "p", "steps": [], "label": -1}"#, "steps"),
            (#"{"problem": "p", "steps": "a", "label": -1}"#, "steps"),
            (#"{"problem": "p", "steps": ["a"]}"#, "label"),
            (#"{"prompt": "p", "response": "abc", "first_error_char": 3}"#, "first_error_char"),
            (#"{"prompt": "p", "response": "", "first_error_char": -1}"#, "response"),
            (#"{"prompt": "p", "response": "abc", "first_error_char": true}"#, "first_error_char"),
            (#"{"question": "p"}"#, "question"),
        ]
        for (line, field) in cases {
            let text = "{\"prompt\": \"fine\", \"response\": \"fine\", \"first_error_char\": -1}\n" + line
            do {
                _ = try rows(text).map { try CreditAnnotations.parse($0, tokenizer: tok) }
                Issue.record("accepted: \(line)")
            } catch let e as DatasetError {
                #expect(e.location == RowLocation(file: "ann.jsonl", line: 2), "\(e)")
                #expect("\(e)".contains(field), "\(e) should name \(field)")
            }
        }
    }

    @Test func stepScoresReduceTheirTokens() {
        let r: [Float] = [0.5, -1, 2, 3, -4, 1]
        let steps = [0, 0, 0, 1, 2, 2]
        #expect(CreditEvaluation.stepScores(r, tokenSteps: steps, stepCount: 3, reduction: .min) == [-1, 3, -4])
        #expect(CreditEvaluation.stepScores(r, tokenSteps: steps, stepCount: 3, reduction: .mean) == [0.5, 3, -1.5])
        #expect(CreditEvaluation.stepScores(r, tokenSteps: steps, stepCount: 3, reduction: .last) == [2, 3, 1])
    }

    /// A source that puts −1 on the first token of the labelled step finds every first error: step
    /// AUROC and top-1 are 1 and ProcessBench's F1 at threshold −0.5 is 1.
    @Test func aSourceThatKnowsTheErrorScoresPerfectly() throws {
        let tok = try tokenizer()
        let text = """
        {"problem": "add 12 and 34", "steps": ["12 + 34", "= 47", "the answer is 47"], "label": 1}
        {"problem": "add 12 and 34", "steps": ["12 + 34", "= 46", "the answer is 46"], "label": -1}
        {"problem": "add 12 and 35", "steps": ["12 + 35", "= 47", "the answer is 47"], "label": -1}
        {"problem": "add 12 and 34", "steps": ["12 + 34", "= 46", "the answer is 47"], "label": 2}
        """
        let annotations = try rows(text).map { try CreditAnnotations.parse($0, tokenizer: tok) }
        // The oracle: −1 on the first token of the labelled step, 0 elsewhere.
        let byPrompt = Dictionary(uniqueKeysWithValues: annotations.map { ($0.promptIDs + $0.responseIDs, $0.firstErrorToken) })
        let oracle = TokenRewardFunction(name: "oracle") { e in
            let first = byPrompt[e.prompt.map { Int($0) } + e.response.map { Int($0) }] ?? nil
            return TokenRewards(values: e.response.indices.map { $0 == first ? -1 : 0 }, source: "oracle")
        }
        let (report, out) = CreditEvaluation.run(source: oracle, annotations: annotations, threshold: -0.5, resamples: 50)
        #expect(report.erroneous == 2 && report.responses == 4)
        #expect(report.stepAUROC?.value == 1 && report.stepTop1?.value == 1 && report.tokenTop1.value == 1)
        #expect(report.processBench?.meanF1 == 1 && report.oracleProcessBench.meanF1 == 1)
        #expect(out.map(\.prediction) == [1, -1, -1, 2])
        // A source that blames nothing predicts −1 everywhere: F1 0.
        let flat = TokenRewardFunction(name: "flat") { e in TokenRewards(values: e.response.map { _ in 0 }, source: "flat") }
        #expect(CreditEvaluation.run(source: flat, annotations: annotations, threshold: -0.5, resamples: 0).report.processBench?.meanF1 == 0)
    }
}
