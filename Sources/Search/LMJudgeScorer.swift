// The rewards read from a frozen language model (`judge:MODEL…`, `crew:MODEL…`, `follow-up:MODEL…`;
// docs/design/rewards.md §9) as search scorers, with their forward work in the ledger: rows × the
// longest judged sequence per call, as every scorer records it. A prefix is scored like an answer
// (CRew finds no answer in most prefixes and gives them 0).
import OnlineRL
import Tokenizers

public final class LMJudgeScorer: SequenceScorer {
    public let judge: any LMJudge
    public var name: String { judge.name }

    /// Loads `kind` with `argument` and refuses a model whose tokenizer is not the policy's.
    public init(kind: String, argument: String?, context: ScorerContext) throws {
        do {
            judge = try LMJudges.make(kind: kind, argument: argument, weights: context.rewardModelWeights)
            try judge.judgeModel.checkReads(policyTokenizer: context.tokenizer, policyVocabulary: context.vocabularySize, role: "--scorer \(kind)")
        } catch {
            throw SearchError.invalidSetting("--scorer \(kind):\(argument ?? ""): \(error)")
        }
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        guard !answers.isEmpty else { return [] }
        let items = answers.map { JudgedResponse(promptText: prompt.columns["prompt"] as? String ?? prompt.text, promptIDs: prompt.ids, response: $0.ids,
                                                 task: prompt.columns["task"] as? String) }
        do {
            let (sequences, _) = try judge.reads(items)
            ledger.recordScoring(name, rows: sequences.count, length: sequences.map(\.count).max() ?? 0)
            return try judge.scores(items)
        } catch {
            throw SearchError.badRow("\(prompt.location): \(error)")
        }
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}
