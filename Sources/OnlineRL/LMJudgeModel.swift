// The frozen language model behind the rewards that need no reward head (docs/design/rewards.md §9):
// the generative judge's P(Yes) (arXiv 2306.05685, 2408.15240), CRew's answer-token confidence
// (arXiv 2510.13501) and the follow-up likelihood (arXiv 2409.13948). All three teacher-force one
// sequence per response and read a few next-token log-probabilities from it, so they share one
// loader (with the errors a wrong folder deserves) and one forward that projects only the rows it is
// asked about through the LM head: a judge reads one row of a sequence, not its L·V logits.
import Autograd
import Foundation
import Models
import TensorCore
import Tokenizers

/// One log-probability to read: the model's distribution at `position` (the row that predicts token
/// `position + 1`) evaluated at `token`.
public struct LogProbQuery: Sendable, Equatable {
    public var position: Int
    public var token: Int
    public init(position: Int, token: Int) {
        self.position = position
        self.token = token
    }
}

/// A causal LM with its LM head and tokenizer, loaded frozen for judging.
public final class LMJudgeModel: @unchecked Sendable {
    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    public let path: String
    /// Sequences per forward pass.
    public var batchSize = 16

    public init(model: any LanguageModel, tokenizer: Tokenizer, path: String) {
        model.eval()
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
    }

    /// Loads `path` as a language model. A reward-model folder (a `score.weight` head and no LM
    /// head) is refused by name: these rewards read next-token probabilities, which such a folder
    /// cannot give. `role` names the flag in errors (`--reward crew`).
    public convenience init(path: String, role: String, weights: WeightFormat = .f32) throws {
        let loaded: PretrainedModel
        do { loaded = try PretrainedModel.load(path: path, weights: weights) } catch {
            let folder = URL(fileURLWithPath: path)
            if let w = try? ModelRegistry.readWeights(folder: folder), w["score.weight"] != nil {
                throw RewardError("\(role): \(path) is a reward-model folder (it has score.weight and no LM head); \(role) reads the next-token probabilities of a language model — give a causal LM folder")
            }
            throw RewardError("\(role): cannot load \(path) as a language model: \(error)")
        }
        loaded.weightReport.announce(weights, role: role, path: path)
        guard let tokenizer = loaded.tokenizer else {
            throw RewardError("\(role): \(path) has no tokenizer files; these rewards format text with the model's own tokenizer")
        }
        self.init(model: loaded.model, tokenizer: tokenizer, path: path)
    }

    /// Refuses a model that would read the policy's ids as other text: a different vocabulary size or
    /// a different byte string for some id.
    public func checkReads(policyTokenizer: Tokenizer, policyVocabulary: Int, role: String) throws {
        guard model.vocabularySize == policyVocabulary else {
            throw RewardError("\(role): \(path) has \(model.vocabularySize) vocabulary rows, the policy \(policyVocabulary); the judging model must share the policy's tokenizer")
        }
        if let d = tokenizer.firstDifference(from: policyTokenizer) {
            throw RewardError("\(role): the tokenizer of \(path) differs from the policy's at id \(d.id) (\(d.ours) vs \(d.theirs)); the judging model must share the policy's tokenizer")
        }
    }

    /// Throws unless every sequence fits the model's positions.
    func checkLength(_ sequences: [[Int]], role: String) throws {
        if let n = sequences.map(\.count).max(), n > model.maxPositions {
            throw RewardError("\(role): a judged sequence has \(n) tokens, more than the \(model.maxPositions) positions of \(path)")
        }
    }

    /// log softmax(logits at q.position)[q.token] for every query of every sequence. One right-padded
    /// forward per batch of sequences (causal attention keeps every real position blind to the padding
    /// after it); only the distinct queried rows go through the LM head.
    public func logProbs(_ sequences: [[Int]], queries: [[LogProbQuery]]) -> [[Float]] {
        precondition(sequences.count == queries.count, "LMJudgeModel.logProbs: \(sequences.count) sequences, \(queries.count) query lists")
        var out = queries.map { [Float](repeating: 0, count: $0.count) }
        let V = model.vocabularySize, C = model.hiddenSize
        let pad = Int32(truncatingIfNeeded: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0)
        for lo in stride(from: 0, to: sequences.count, by: max(1, batchSize)) {
            let chunk = lo ..< min(sequences.count, lo + max(1, batchSize))
            let L = max(1, chunk.map { sequences[$0].count }.max() ?? 1)
            var ids = [Int32](repeating: pad, count: chunk.count * L)
            // The distinct rows to project, in order, and each query's row.
            var rows: [Int] = [], rowOf: [Int: Int] = [:]
            for (b, i) in chunk.enumerated() {
                for (t, v) in sequences[i].enumerated() { ids[b * L + t] = Int32(truncatingIfNeeded: v) }
                for q in queries[i] {
                    precondition(q.position >= 0 && q.position < sequences[i].count, "LMJudgeModel.logProbs: position \(q.position) outside a \(sequences[i].count)-token sequence")
                    let key = b * L + q.position
                    if rowOf[key] == nil { rowOf[key] = rows.count; rows.append(key) }
                }
            }
            guard !rows.isEmpty else { continue }
            let logits: Tensor = withoutGradients {
                let h = model.hiddenStates(IndexTensor(shape: [chunk.count, L], data: ids), attentionMask: nil, cache: nil).value
                let picked = Tensor(uninitializedShape: [rows.count, C])
                for (r, key) in rows.enumerated() {
                    (picked.unsafeMutablePointer + r * C).update(from: h.unsafePointer + key * C, count: C)
                }
                return model.logits(fromHidden: Variable(picked)).value
            }
            let z = logits.unsafePointer
            let lse = (0 ..< rows.count).map { ResponseScoring.logSumExp(z + $0 * V, V) }
            for (b, i) in chunk.enumerated() {
                for (k, q) in queries[i].enumerated() {
                    let r = rowOf[b * L + q.position]!
                    out[i][k] = z[r * V + q.token] - lse[r]
                }
            }
            withExtendedLifetime(logits) {}
        }
        return out
    }
}

/// What a judging reward sees of one response: the prompt (text for templates, the policy's ids for
/// teacher forcing), the response's ids (no final EOS) and the CreditBench task of the row, if any.
public struct JudgedResponse: Sendable {
    public var promptText: String
    public var promptIDs: [Int]
    public var response: [Int]
    /// The row's CreditBench task name (`task` column), which fixes CRew's answer span.
    public var task: String?

    public init(promptText: String, promptIDs: [Int], response: [Int], task: String? = nil) {
        self.promptText = promptText
        self.promptIDs = promptIDs
        self.response = response
        self.task = task
    }
}

/// A reward read from a frozen LM: one number per response, higher is better. A judge says which
/// sequences to teacher-force and which log-probabilities to read (`reads`), and how they make the
/// reward (`combine`); `scores` runs the forward between them.
public protocol LMJudge: AnyObject {
    var name: String { get }
    var judgeModel: LMJudgeModel { get }
    /// The sequences to run and the log-probabilities to read of each.
    func reads(_ items: [JudgedResponse]) throws -> (sequences: [[Int]], queries: [[LogProbQuery]])
    /// The rewards of `items` from the log-probabilities `reads` asked for.
    func combine(_ logProbs: [[Float]], count: Int) -> [Float]
}

extension LMJudge {
    public func scores(_ items: [JudgedResponse]) throws -> [Float] {
        let (sequences, queries) = try reads(items)
        try judgeModel.checkLength(sequences, role: name)
        return combine(judgeModel.logProbs(sequences, queries: queries), count: items.count)
    }
}
