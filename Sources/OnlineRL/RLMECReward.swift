// RLMEC's dense token reward (arXiv 2401.06081; docs/design/rewards.md §10): a generative reward
// model — a causal LM fine-tuned to rewrite an erroneous solution into a correct one with minimal
// edits — is shown the problem, a reference solution and the sampled solution, and the sampled
// solution itself is teacher-forced as its rewrite. Tokens the rewriter would keep get a high
// probability, tokens it would change a low one:
//     p_t = P_GRM(y_t | rewrite prompt(x, s*, y), y_<t)
//     r_t = clip(p_t − 0.5, 0, 0.5)     when y is correct   (positive credit only)
//     r_t = clip(p_t − 0.5, −0.1, 0)    when y is wrong     (small negative credit only)
// The offset and the two clip ranges are the authors' reward-construction code's. The paper knows
// each sample's correctness when it builds the rewards; online, it comes from the CreditBench
// verifier (rows with a `task` column) or, otherwise, from an exact match with the row's `answer`
// column, which also supplies the reference solution.
import CreditBench
import Datasets
import Foundation
import Models
import Tokenizers

/// The rewriting task's text: what the rewriter is trained on (`tokenalign data rewrites`) and what
/// the reward shows it. One definition, so training and reading cannot drift apart.
public enum RLMECRewriting {
    /// The paper's three input fields (problem, correct solution, prediction) and the `Correct
    /// prediction:` header the rewrite follows. Its instruction sentence is left out: it is the same
    /// on every row, and the rewriter reads the prompt and the whole prediction and then rewrites
    /// it within its positions (64 for the test fixture).
    public static let template = "Problem: {problem}\nSolution: {solution}\nPrediction: {prediction}\nCorrect prediction:\n"

    /// The three placeholders a template must hold.
    public static let fields = ["{problem}", "{solution}", "{prediction}"]

    /// A template from a file (`--template FILE`, `rlmec:MODEL,TEMPLATE_FILE`), checked to hold
    /// every field once; `role` names the flag in errors.
    public static func template(file: String, role: String) throws -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw RewardError("\(role): cannot read the template file \(file)") }
        for f in fields where text.components(separatedBy: f).count != 2 {
            throw RewardError("\(role): the template \(file) must contain \(f) exactly once (fields: \(fields.joined(separator: ", ")))")
        }
        return text
    }

    /// The rewrite prompt of one problem, reference solution and prediction (`template` with its
    /// three fields replaced, in one pass so a field's text is never read as a placeholder).
    public static func prompt(problem: String, solution: String, prediction: String, template: String = template) -> String {
        var out = "", rest = Substring(template)
        let values = ["{problem}": problem, "{solution}": solution, "{prediction}": prediction]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            rest = rest[open...]
            if let (key, value) = values.first(where: { rest.hasPrefix($0.key) }) {
                out += value
                rest = rest.dropFirst(key.count)
            } else {
                out.append("{")
                rest = rest.dropFirst()
            }
        }
        return out + rest
    }

    /// SFT rows for the rewriter from CreditBench truth: example `index` of data set `seed` with an
    /// injected error as the prediction and the verifier's minimal edit as the rewrite (the
    /// stand-in for the teacher LLM the paper distils from). Nil when the verifier proposes no edit.
    public static func creditBenchRow(_ task: any CreditTask, seed: UInt64, index: Int, template: String = template) -> [String: Any]? {
        guard let pair = task.minimalEditRow(seed: seed, index: index),
              let problem = pair["prompt"] as? String, let wrong = pair["rejected"] as? String,
              let edited = pair[TokenLabelRows.editedColumn] as? String else { return nil }
        let answer = task.example(seed: seed, index: index).answer
        return row(problem: problem, solution: answer, prediction: wrong, corrected: edited, task: task.name,
                   errorKind: pair["rejected_error_kind"], template: template)
    }

    /// A rewriting row for a given wrong prediction of `example` (e.g. a sampled one from a pairs
    /// file, as `tokenalign demo rl` builds its rewriter's data), its rewrite the verifier's minimal
    /// edit; nil when the prediction is correct or the verifier proposes no edit.
    public static func row(_ task: any CreditTask, _ example: CreditExample, prediction: String, template: String = template) -> [String: Any]? {
        guard let edit = task.verify(prediction, for: example).edit else { return nil }
        return row(problem: example.prompt, solution: example.answer, prediction: prediction, corrected: edit.corrected, task: task.name,
                   errorKind: nil, template: template)
    }

    static func row(problem: String, solution: String, prediction: String, corrected: String, task: String, errorKind: Any?,
                    template: String) -> [String: Any] {
        ["prompt": prompt(problem: problem, solution: solution, prediction: prediction, template: template), "completion": corrected,
         "problem": problem, "solution": solution, "prediction": prediction, "task": task, "error_kind": errorKind ?? NSNull()]
    }
}

/// `--reward rlmec:MODEL`: the rewriter's clipped probabilities of the sampled tokens.
public struct RLMECReward: RewardFunction {
    public let rewriter: LMJudgeModel
    /// The rewrite prompt's template: the one the rewriter was trained with.
    public let template: String
    /// Decides correctness (which clip range applies) for rows with a CreditBench `task`.
    let verifier: CreditBenchVerifierReward
    public var name: String { "rlmec" }

    /// The offset subtracted from p_t and the clip ranges (authors' code).
    public static let offset: Float = 0.5
    public static let correctRange: ClosedRange<Float> = 0 ... 0.5
    public static let wrongRange: ClosedRange<Float> = -0.1 ... 0

    /// Loads the rewriter (a causal LM folder, e.g. `tokenalign sft` on `data rewrites` rows) and
    /// refuses one whose tokenizer is not the policy's: it teacher-forces the policy's ids.
    public init(argument: String?, context: RewardContext) throws {
        let parts = (argument ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard let path = parts.first, !path.isEmpty, parts.count <= 2 else {
            throw RewardError("--reward rlmec needs a rewriter folder (a causal LM trained on `tokenalign data rewrites` rows) and optionally the template it was trained with: rlmec:MODEL[,TEMPLATE_FILE]")
        }
        let template = parts.count == 2 ? try RLMECRewriting.template(file: parts[1], role: "--reward rlmec") : RLMECRewriting.template
        let model = try LMJudgeModel(path: path, role: "--reward rlmec", weights: context.rewardModelWeights)
        try model.checkReads(policyTokenizer: context.tokenizer, policyVocabulary: context.vocabularySize, role: "--reward rlmec")
        self.init(rewriter: model, tokenizer: context.tokenizer, template: template)
    }

    public init(rewriter: LMJudgeModel, tokenizer: Tokenizer, template: String = RLMECRewriting.template) {
        self.rewriter = rewriter
        self.template = template
        verifier = CreditBenchVerifierReward(tokenLevel: false, tokenizer: tokenizer)
    }

    /// r_t from the rewriter's log-probability of the token: exp, minus the offset, clipped to the
    /// range of a correct or a wrong solution.
    public static func reward(logProb: Float, correct: Bool) -> Float {
        let range = correct ? correctRange : wrongRange
        return min(range.upperBound, max(range.lowerBound, exp(logProb) - offset))
    }

    /// The reference solution the rewriter is shown: the row's `answer` column (CreditBench prompt
    /// rows carry the task's answer there).
    func solution(_ c: Completion) throws -> String {
        guard let answer = c.prompt.columns["answer"] else {
            throw DatasetError.invalidValue(c.prompt.location, field: "answer",
                                            reason: "missing: --reward rlmec shows the rewriter a reference solution, so every prompt row needs an \"answer\" column (`tokenalign data make --kind prompts` writes it)")
        }
        return (answer as? String) ?? "\(answer)"
    }

    /// The rewrite prompt of one completion as the rewriter reads it (with special tokens, as SFT
    /// encodes prompts): what its rewrite, or the completion teacher-forced as one, follows.
    func rewritePrompt(_ c: Completion, solution: String) -> [Int] {
        let problem = c.prompt.columns["prompt"] as? String ?? c.prompt.text
        return rewriter.tokenizer.encode(RLMECRewriting.prompt(problem: problem, solution: solution, prediction: c.text, template: template),
                                         addSpecialTokens: true)
    }

    /// The rewriter's input of one completion: the rewrite prompt followed by the completion's own
    /// ids, and the position predicting each of them.
    func sequence(_ c: Completion, solution: String) -> (ids: [Int], queries: [LogProbQuery]) {
        let head = rewritePrompt(c, solution: solution)
        return (head + c.ids, c.ids.indices.map { LogProbQuery(position: head.count + $0 - 1, token: c.ids[$0]) })
    }

    /// Whether each completion is correct: the verifier for CreditBench rows (a `task` column, in one
    /// call, which builds each task once), an exact match of the trimmed text with the row's trimmed
    /// `answer` otherwise. It picks the clip range of the reward, and RLMEC's imitation term uses it
    /// to tell samples to correct from samples to imitate as they are.
    public func correctness(_ completions: [Completion]) throws -> [Bool] {
        let verified = completions.indices.filter { completions[$0].prompt.columns["task"] != nil }
        var correct = [Bool](repeating: false, count: completions.count)
        for (i, r) in zip(verified, try verifier.tokenRewards(verified.map { completions[$0] })) { correct[i] = r.last == 1 }
        for (i, c) in completions.enumerated() where c.prompt.columns["task"] == nil {
            let s = try solution(c)
            correct[i] = c.text.trimmingCharacters(in: .whitespacesAndNewlines) == s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return correct
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let correct = try correctness(completions)
        var sequences: [[Int]] = [], queries: [[LogProbQuery]] = []
        for c in completions {
            let s = try solution(c)
            let (ids, q) = sequence(c, solution: s)
            guard !ids.isEmpty, q.allSatisfy({ $0.position >= 0 }) else {
                throw RewardError("--reward rlmec: \(c.prompt.location): the rewrite prompt encodes to no tokens")
            }
            sequences.append(ids)
            queries.append(q)
        }
        try rewriter.checkLength(sequences, role: "--reward rlmec")
        let lp = rewriter.logProbs(sequences, queries: queries)
        return lp.enumerated().map { i, row in row.map { Self.reward(logProb: $0, correct: correct[i]) } }
    }
}
