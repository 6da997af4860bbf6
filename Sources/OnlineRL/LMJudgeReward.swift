// The three rewards read from a frozen language model (docs/design/rewards.md §9) as `--reward`
// functions: the argument grammar of each kind, and the adapter that puts a response's score on its
// last token. The search scorers (`--scorer judge:…`) and `tokenalign eval rm --judge` build the
// same judges through `LMJudges.make`.
import Foundation
import Models
import Tokenizers

public enum LMJudges {
    /// The kinds and their arguments, for errors and help.
    public static let usage = ["judge": "judge:MODEL[,TEMPLATE_FILE[,YES|NO]]", "crew": "crew:MODEL[,mean|geometric[,MARKER]]",
                               "follow-up": "follow-up:MODEL[,FILE]"]

    /// Builds `kind` from its argument (`MODEL[,…]`, commas separate the options).
    public static func make(kind: String, argument: String?, weights: WeightFormat = .f32) throws -> any LMJudge {
        guard let form = usage[kind] else { throw RewardError("unknown judging reward '\(kind)'; expected one of \(usage.keys.sorted().joined(separator: ", "))") }
        let parts = (argument ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard let path = parts.first, !path.isEmpty else { throw RewardError("--reward \(kind) needs a language-model folder: \(form)") }
        let model = try LMJudgeModel(path: path, role: "--reward \(kind)", weights: weights)
        switch kind {
        case "judge":
            guard parts.count <= 3 else { throw RewardError("--reward \(kind):\(argument!): too many options; \(form)") }
            var template: String?
            if parts.count > 1, !parts[1].isEmpty {
                guard let t = try? String(contentsOfFile: parts[1], encoding: .utf8) else { throw RewardError("--reward judge: cannot read the template file \(parts[1])") }
                template = t
            }
            var verdicts = ("Yes", "No")
            if parts.count > 2 {
                let w = parts[2].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                guard w.count == 2, !w[0].isEmpty, !w[1].isEmpty else { throw RewardError("--reward judge: verdicts are YES|NO, got '\(parts[2])'") }
                verdicts = (w[0], w[1])
            }
            return try GenerativeJudge(model: model, template: template, verdicts: verdicts)
        case "crew":
            guard parts.count <= 3 else { throw RewardError("--reward \(kind):\(argument!): too many options; \(form)") }
            let mode = parts.count > 1 ? parts[1] : "mean"
            guard mode == "mean" || mode == "geometric" else { throw RewardError("--reward crew: the aggregate is mean or geometric, got '\(mode)'") }
            return ConfidenceReward(model: model, geometric: mode == "geometric", marker: parts.count > 2 ? parts[2] : AnswerSpan.defaultMarker)
        default:
            guard parts.count <= 2 else { throw RewardError("--reward \(kind):\(argument!): too many options; \(form)") }
            if parts.count == 2 {
                let lists = try FollowUpLikelihood.lists(file: parts[1])
                return try FollowUpLikelihood(model: model, positive: lists.positive, negative: lists.negative)
            }
            return try FollowUpLikelihood(model: model)
        }
    }

    /// What the judge sees of a sampled completion: the row's own prompt text when it is a string (the
    /// rendered prompt otherwise), the policy's prompt ids, the completion's ids without a final EOS.
    public static func judged(_ c: Completion, eos: Int?) -> JudgedResponse {
        var ids = c.ids
        if let eos, ids.last == eos { ids.removeLast() }
        return JudgedResponse(promptText: c.prompt.columns["prompt"] as? String ?? c.prompt.text, promptIDs: c.prompt.ids, response: ids,
                              task: c.prompt.columns["task"] as? String)
    }
}

/// A judging reward as an online-RL reward function: the score on the completion's last token.
public struct LMJudgeReward: RewardFunction {
    public let judge: any LMJudge
    public var name: String { judge.name }

    /// Loads the judge and refuses one whose tokenizer is not the policy's (it teacher-forces the ids
    /// the policy wrote).
    public init(kind: String, argument: String?, context: RewardContext) throws {
        judge = try LMJudges.make(kind: kind, argument: argument, weights: context.rewardModelWeights)
        try judge.judgeModel.checkReads(policyTokenizer: context.tokenizer, policyVocabulary: context.vocabularySize, role: "--reward \(kind)")
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let eos = judge.judgeModel.tokenizer.eosTokenID
        let s = try judge.scores(completions.map { LMJudges.judged($0, eos: eos) })
        return completions.enumerated().map { i, c in
            var r = [Float](repeating: 0, count: c.ids.count)
            if !r.isEmpty { r[r.count - 1] = s[i] }
            return r
        }
    }
}
