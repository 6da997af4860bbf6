// A trained reward model as a scorer (`rm:DIR`, `token-rm:DIR`, `value:DIR`, folders from
// `tokenalign reward`). The sequence RM reads its head at the last token of prompt + answer, as its
// trainer and the `rm` reward of online RL do; on a partial answer that is the RM used as a partial
// reward model (the premise of early rejection, arXiv 2410.20290 / 2508.01969), and for a value
// model trained on rollout outcomes (TVM, arXiv 2407.12863) it is V(x, y_≤t). The token RM's score
// is the mean of its per-token scores over the answer: the mean, not the sum, so that prefixes of
// different lengths (step-level beams) compare on the same scale — unless the folder records
// another response score (`tldr`: ∏ σ, `minimal-edit`: σ(Σ), TokenKindSpec.swift). Head outputs are logits; the
// scorer reports σ(logit) ∈ (0, 1), which keeps every ranking and gives weighted majority votes
// positive weights.
import Autograd
import Foundation
import Models
import OnlineRL
import TensorCore
import Tokenizers
import Training

public final class RewardModelScorer: SequenceScorer {
    public let model: any LanguageModel
    public let head: RewardHead
    public let tokenLevel: Bool
    /// How the token RM's per-token values make the answer's score (the folder's
    /// `tokenalign_response_score`: the mean of σ for the `token` kind, ∏ σ for `tldr`, σ(Σ) for
    /// `minimal-edit`).
    public let responseScore: TokenResponseScore
    public let name: String
    /// Rows per forward pass.
    public let batchSize: Int
    /// The EOS id appended to every answer that does not already end with it, for a sequence head
    /// trained on rows ending in an EOS (read there, as training read it); nil: read at the
    /// answer's last token.
    public let appendedEOS: Int?
    public init(model: any LanguageModel, head: RewardHead, tokenLevel: Bool, name: String? = nil, batchSize: Int = 16,
                responseScore: TokenResponseScore = .mean, appendedEOS: Int? = nil) {
        model.eval()
        self.appendedEOS = tokenLevel ? nil : appendedEOS
        self.model = model
        self.head = head
        self.tokenLevel = tokenLevel
        self.responseScore = responseScore
        self.name = name ?? (tokenLevel ? "token-rm" : "rm")
        self.batchSize = max(1, batchSize)
    }

    /// Loads a reward-model folder and checks that it reads the policy's tokens: the same
    /// vocabulary, and, when the folder has a tokenizer, the same bytes for every id (a reward model
    /// with another tokenizer would score different text than the policy wrote).
    /// `weights` stores the backbone's matrices (`--rm-weights`).
    public convenience init(folder: String, tokenLevel: Bool, name: String? = nil, policyTokenizer: Tokenizer, policyVocabulary: Int,
                            weights: WeightFormat = .f32) throws {
        let spec = "\(name ?? (tokenLevel ? "token-rm" : "rm")):\(folder)"
        if try CritiqueSpec.of(folder: URL(fileURLWithPath: folder)) != nil {
            throw SearchError.invalidSetting("--scorer \(spec): a CLoud reward model reads its head after writing a critique; use --scorer cloud-rm:\(folder)")
        }
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: folder), weights: weights) else {
            throw SearchError.invalidSetting("--scorer \(spec): not a reward-model folder (no score.weight); train one with `tokenalign reward`")
        }
        try Self.checkReadsPolicyTokens("--scorer \(spec)", what: "reward model", vocabulary: loaded.model.vocabularySize,
                                        tokenizer: loaded.tokenizer, policyTokenizer: policyTokenizer, policyVocabulary: policyVocabulary)
        let eos = try RewardModelLoader.appendedEOS(folder: URL(fileURLWithPath: folder), tokenizer: loaded.tokenizer ?? policyTokenizer)
        self.init(model: loaded.model, head: loaded.head, tokenLevel: tokenLevel, name: name,
                  responseScore: tokenLevel ? try TokenResponseScore.of(folder: folder) : .mean, appendedEOS: eos)
    }

    /// Throws unless a scoring model reads the ids the policy writes as the same text: the same
    /// vocabulary size and, when the model ships a tokenizer, the same bytes for every id (a model
    /// with another tokenizer would score different text than the policy wrote).
    public static func checkReadsPolicyTokens(_ flag: String, what: String, vocabulary: Int, tokenizer: Tokenizer?, policyTokenizer: Tokenizer,
                                              policyVocabulary: Int) throws {
        guard vocabulary == policyVocabulary else {
            throw SearchError.invalidSetting("\(flag): the \(what)'s vocabulary has \(vocabulary) ids, the policy's \(policyVocabulary); "
                + "a scorer must use the policy's tokenizer")
        }
        if let tokenizer, let d = tokenizer.firstDifference(from: policyTokenizer) {
            throw SearchError.invalidSetting("\(flag): the \(what)'s tokenizer differs from the policy's at id \(d.id) (\(d.ours) vs \(d.theirs)); "
                + "a scorer must use the policy's tokenizer")
        }
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try score(prompt, answers, ledger: &ledger)
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try score(prompt, prefixes, ledger: &ledger)
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// The ids the head reads for an answer: its own, plus the EOS the head was trained after.
    func readIDs(_ a: Answer) -> [Int] {
        guard let eos = appendedEOS, a.ids.last != eos else { return a.ids }
        return a.ids + [eos]
    }

    func score(_ prompt: RLPrompt, _ originalAnswers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        let p = prompt.ids.count
        let answers = originalAnswers.map { Answer(ids: readIDs($0), text: $0.text) }
        if let long = answers.first(where: { p + $0.ids.count > model.maxPositions }) {
            throw SearchError.badRow("\(prompt.location): prompt + answer (\(p + long.ids.count) tokens) exceed the reward model's "
                + "\(model.maxPositions) positions")
        }
        var out: [Float] = []
        out.reserveCapacity(answers.count)
        var start = 0
        while start < answers.count {
            let chunk = answers[start ..< min(answers.count, start + batchSize)]
            start += chunk.count
            let L = p + (chunk.map(\.ids.count).max() ?? 0)
            let B = chunk.count
            // Right padding: under causal attention no real position sees the padding after it.
            var ids = [Int32](repeating: 0, count: B * L)
            for (i, a) in chunk.enumerated() {
                for (t, v) in (prompt.ids + a.ids).enumerated() { ids[i * L + t] = Int32(truncatingIfNeeded: v) }
            }
            let s = withoutGradients {
                head.scores(model.hiddenStates(IndexTensor(shape: [B, L], data: ids), attentionMask: nil, cache: nil).value)
            }.scalars
            ledger.recordScoring(name, rows: B, length: L)
            for (i, a) in chunk.enumerated() {
                let n = a.ids.count
                if tokenLevel {
                    out.append(responseScore.responseScore(s[(i * L + p) ..< (i * L + p + n)]))
                } else {
                    out.append(Self.sigmoid(s[i * L + p + n - 1]))
                }
            }
        }
        return out
    }
}
