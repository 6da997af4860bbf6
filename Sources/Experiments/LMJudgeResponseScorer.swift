// `tokenalign eval rm --judge NAME:ARG`: a reward read from a frozen language model (the generative
// judge, CRew, the follow-up likelihood; docs/design/rewards.md §9) scoring benchmark texts, so the
// RewardBench / RM-Bench scoring runs on it unchanged. The prompt is encoded as a policy prompt
// (with the tokenizer's special tokens) and the response on its own, as `tokenalign reward` encodes a
// prompt and its completion, with no EOS (a judge reads the response, not its end).
import Datasets
import Foundation
import Models
import OnlineRL
import Tokenizers

public final class LMJudgeResponseScorer: ResponseScorer {
    public let judge: any LMJudge
    public let name: String

    /// `spec` is `NAME:ARG` as `--reward` takes it. `tokenizer` (from `--tokenizer`) must be the
    /// model's own.
    public init(spec: String, tokenizer override: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        do { judge = try LMJudges.make(kind: parts.first ?? "", argument: parts.count > 1 ? parts[1] : nil, weights: weights) } catch {
            throw RMEvalError.usage("--judge \(spec): \(error)")
        }
        if let override, !ScorerSupport.sameTokenizer(override, judge.judgeModel.tokenizer) {
            throw RMEvalError.usage("--judge \(spec): --tokenizer differs from the judging model's own tokenizer (its ids would mean other tokens)")
        }
        name = "\(judge.name):" + URL(fileURLWithPath: judge.judgeModel.path).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/")
    }

    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        let tok = judge.judgeModel.tokenizer
        let judged = items.map { JudgedResponse(promptText: $0.prompt, promptIDs: tok.encode($0.prompt, addSpecialTokens: true), response: tok.encode($0.response)) }
        let limit = judge.judgeModel.model.maxPositions
        let (sequences, _) = try judge.reads(judged)
        if let i = sequences.indices.first(where: { sequences[$0].count > limit }) {
            let row = i / max(1, sequences.count / max(1, items.count))  // a judge runs the same number of sequences per item
            throw RMEvalError.usage("\(location(row)): the judged sequence has \(sequences[i].count) tokens, more than the model's \(limit) positions")
        }
        return try judge.scores(judged).map(Double.init)
    }
}
