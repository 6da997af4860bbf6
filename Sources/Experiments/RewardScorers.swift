// What `tokenalign eval rm` scores responses with: a reward model (a backbone with a sequence head,
// as `tokenalign reward` and transformers' `…ForSequenceClassification` save it), a DPO policy
// against its reference (RewardBench's implicit reward: Σ_t log π(y_t|·) − log π_ref(y_t|·) over
// the response tokens including the appended EOS, no length normalisation — rewardbench 0.1.4
// `dpo.py`, `ref_free_norm = "none"` when a reference is given), or an ensemble of either.
//
// Texts are tokenised as `tokenalign reward` tokenises its training rows (standard format: prompt
// + response + EOS, TRL's rule), and the reward head is read where the trainer and transformers
// read it: at the last token that is not the pad id.
import Autograd
import Datasets
import Foundation
import Models
import Rewards
import TensorCore
import Tokenizers
import Training

/// Scores (prompt, response) texts; higher is better.
public protocol ResponseScorer {
    var name: String { get }
    func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double]
}

enum ScorerSupport {
    /// Token ids of prompt + response (+ EOS) and the prompt's length, one per item.
    static func encode(_ items: [(prompt: String, response: String)], tokenizer: Tokenizer, maxLength: Int,
                       location: (Int) -> RowLocation) throws -> [TokenizedSequence] {
        let encoder = DatasetEncoder(tokenizer: tokenizer, options: EncodingOptions(maxLength: maxLength))
        return try items.enumerated().map { i, it in
            try encoder.encodeSequence(.promptCompletion(prompt: .text(it.prompt), completion: .text(it.response)), at: location(i)).sequence
        }
    }

    /// Indices in order of length, so a batch pads little.
    static func byLength(_ s: [TokenizedSequence]) -> [Int] { s.indices.sorted { s[$0].ids.count < s[$1].ids.count } }

    /// Refuses a tokenizer that can produce ids the model has no row for.
    static func checkVocabulary(_ tokenizer: Tokenizer, model: any LanguageModel, path: String) throws {
        guard tokenizer.vocabularySize <= model.vocabularySize else {
            throw RMEvalError.usage("\(path): the tokenizer has \(tokenizer.vocabularySize) ids but the model only \(model.vocabularySize) embedding rows; the tokenizer does not belong to this model")
        }
    }

    /// Two tokenizers that map every id to the same bytes and share EOS and pad.
    static func sameTokenizer(_ a: Tokenizer, _ b: Tokenizer) -> Bool {
        guard a.vocabularySize == b.vocabularySize, a.eosTokenID == b.eosTokenID, a.padTokenID == b.padTokenID else { return false }
        for id in 0 ..< a.vocabularySize where a.tokenBytes(for: id) != b.tokenBytes(for: id) { return false }
        return true
    }
}

/// A reward model folder: backbone + `score.weight`.
public final class RewardHeadScorer: ResponseScorer {
    public let name: String
    let model: any LanguageModel
    let head: RewardHead
    let tokenizer: Tokenizer
    public var batchSize = 8

    /// - Parameter tokenizer: overrides (or supplies) the folder's tokenizer; it must be the
    ///   folder's own when the folder has one.
    /// - Parameter weights: how the backbone's matrices are stored (`--rm-weights`).
    public init(folder: String, tokenizer override: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        if try CritiqueSpec.of(folder: URL(fileURLWithPath: folder)) != nil {
            throw RMEvalError.usage("\(folder): a CLoud reward model (`--kind cloud`) scores by writing a critique first; score it with CLoudResponseScorer (`tokenalign eval rm --model DIR` picks it for such a folder)")
        }
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: folder), weights: weights) else {
            throw RMEvalError.usage("\(folder): no reward head (score.weight) in this model; train one with `tokenalign reward --model \(folder) --data PAIRS.jsonl --out RUN` (`--kind` chooses the kind of reward model) and pass RUN/model, or score this model as a DPO policy with `--ref REFERENCE` (or without one: `--ref-free avg`)")
        }
        guard let tok = override ?? loaded.tokenizer else {
            throw RMEvalError.usage("\(folder): the folder has no tokenizer files; give --tokenizer")
        }
        if let own = loaded.tokenizer, let override, !ScorerSupport.sameTokenizer(own, override) {
            throw RMEvalError.usage("\(folder): --tokenizer differs from the reward model's own tokenizer (its ids would mean other tokens)")
        }
        try ScorerSupport.checkVocabulary(tok, model: loaded.model, path: folder)
        loaded.model.eval()
        model = loaded.model
        head = loaded.head
        tokenizer = tok
        name = URL(fileURLWithPath: folder).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/")
    }

    /// A loaded backbone and head (benchmarks; a head made up for a speed test).
    public init(model: any LanguageModel, head: RewardHead, tokenizer: Tokenizer, name: String) {
        model.eval()
        self.model = model
        self.head = head
        self.tokenizer = tokenizer
        self.name = name
    }

    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        let seqs = try ScorerSupport.encode(items, tokenizer: tokenizer, maxLength: model.maxPositions, location: location)
        return scores(ids: seqs.map(\.ids), padID: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0)
    }

    /// The head's score of each token sequence at its last non-pad token: batches of `batchSize`
    /// sequences of similar length, right-padded with `padID` (causal attention keeps real tokens
    /// blind to the padding after them).
    public func scores(ids seqs: [[Int]], padID: Int) -> [Double] {
        head.lastTokenScores(model: model, sequences: seqs, padID: padID, batchSize: batchSize)
    }
}

/// RewardBench's reference-free DPO scores (`--ref_free_type` of rewardbench's `run_dpo.py`): the
/// policy's log-probabilities of the response tokens summed, averaged over the tokens, or minus
/// their L2 norm (`get_batch_logps` with `average_log_prob` / `norm_log_prob`).
public enum ReferenceFreeScore: String, CaseIterable, Sendable {
    case sum, avg, norm
}

/// A DPO policy's implicit reward β·Σ_t (log π − log π_ref) over the response tokens, or without a
/// reference one of RewardBench's reference-free scores (`ReferenceFreeScore`, times β).
public final class ImplicitRewardScorer: ResponseScorer {
    public let name: String
    let policy: any LanguageModel
    let reference: (any LanguageModel)?
    let referenceFree: ReferenceFreeScore
    let tokenizer: Tokenizer
    let beta: Double
    public var batchSize = 4

    /// - Parameters:
    ///   - reference: the reference model's path; nil scores the policy alone by `referenceFree`.
    ///   - weights: how the frozen models store their matrices (`--rm-weights`).
    public init(policy policyPath: String, reference referencePath: String?, beta: Double, referenceFree: ReferenceFreeScore = .sum,
                tokenizer override: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        let p = try PretrainedModel.load(path: policyPath, weights: weights)
        // The reference and its path travel as one pair, so neither is read without the other.
        let referencePair = try referencePath.map { (model: try PretrainedModel.load(path: $0, weights: weights), path: $0) }
        let r = referencePair?.model
        p.weightReport.announce(weights, role: "the DPO policy", path: policyPath)
        if let referencePair { referencePair.model.weightReport.announce(weights, role: "the reference", path: referencePair.path) }
        guard let tok = override ?? p.tokenizer ?? r?.tokenizer else {
            throw RMEvalError.usage("\(policyPath): no tokenizer in the policy\(referencePath == nil ? "" : " or the reference"); give --tokenizer")
        }
        for (m, path) in [(p, policyPath)] + (referencePair.map { [($0.model, $0.path)] } ?? []) {
            if let own = m.tokenizer, !ScorerSupport.sameTokenizer(own, tok) {
                throw RMEvalError.usage("\(path): its tokenizer differs from the one the responses are tokenised with; the policy and the reference must share one tokenizer")
            }
            try ScorerSupport.checkVocabulary(tok, model: m.model, path: path)
        }
        if let pair = referencePair, p.model.vocabularySize != pair.model.model.vocabularySize {
            throw RMEvalError.usage("\(policyPath) has \(p.model.vocabularySize) vocabulary rows, \(pair.path) \(pair.model.model.vocabularySize): not a policy/reference pair")
        }
        p.model.eval(); r?.model.eval()
        policy = p.model
        reference = r?.model
        self.referenceFree = referenceFree
        tokenizer = tok
        self.beta = beta
        let short = URL(fileURLWithPath: policyPath).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/")
        name = r == nil ? "dpo-ref-free-\(referenceFree.rawValue):" + short : "dpo:" + short
    }

    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        let models = [policy] + (reference.map { [$0] } ?? [])
        let seqs = try ScorerSupport.encode(items, tokenizer: tokenizer, maxLength: models.map(\.maxPositions).min()!, location: location)
        let order = ScorerSupport.byLength(seqs)
        let rows = order.map { PromptResponse(prompt: Array(seqs[$0].ids[..<seqs[$0].promptLength]), response: Array(seqs[$0].ids[seqs[$0].promptLength...])) }
        let padID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        let V = policy.vocabularySize
        // Per row: Σ d, Σ d², token count, with d = log π (− log π_ref with a reference).
        var sums = [Double](repeating: 0, count: rows.count), squares = sums, counts = sums
        ResponseScoring.visit(models: models, rows: rows, padID: padID, batchSize: batchSize) { r, _, z, y in
            var d = Double(ResponseScoring.logProb(z[0], V, y))
            if z.count > 1 { d -= Double(ResponseScoring.logProb(z[1], V, y)) }
            sums[r] += d
            squares[r] += d * d
            counts[r] += 1
        }
        var out = [Double](repeating: 0, count: items.count)
        for (k, i) in order.enumerated() {
            let score: Double
            switch (reference == nil, referenceFree) {
            case (false, _), (true, .sum): score = sums[k]
            case (true, .avg): score = counts[k] > 0 ? sums[k] / counts[k] : 0
            case (true, .norm): score = -squares[k].squareRoot()
            }
            out[i] = beta * score
        }
        return out
    }
}

/// Members' scores combined by an `EnsembleAggregation`.
public struct EnsembleScorer: ResponseScorer {
    public var members: [any ResponseScorer]
    public var aggregation: EnsembleAggregation
    public var name: String { "ensemble-\(aggregation.name)(" + members.map(\.name).joined(separator: ", ") + ")" }

    public init(members: [any ResponseScorer], aggregation: EnsembleAggregation) {
        self.members = members
        self.aggregation = aggregation
    }

    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        let per = try members.map { try $0.scores(items, location: location) }
        return items.indices.map { i in Double(aggregation.aggregate(per.map { Float($0[i]) })) }
    }
}

/// Scores from a function (tests, and scorers defined elsewhere).
public struct FunctionScorer: ResponseScorer {
    public var name: String
    public var body: (String, String) -> Double
    public init(name: String, _ body: @escaping (_ prompt: String, _ response: String) -> Double) {
        self.name = name
        self.body = body
    }
    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        items.map { body($0.prompt, $0.response) }
    }
}
