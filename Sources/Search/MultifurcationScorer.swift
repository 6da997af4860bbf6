// A multifurcation reward model as a scorer (`--scorer mrm:DIR`, a folder from `tokenalign reward
// --kind multifurcation`; Saffron-1, arXiv 2506.06444). One forward pass at a prefix s gives the
// reward M(s)[a] ≈ R(s ⊕ a) of every child, so Saffron scores all children of a node at the price of
// one row. Tokens the training data never observed get `unseenReward` (conservative exploration: the
// reference search uses −1024 as its stand-in for −∞). With a trie KV cache the scorer keeps its own
// trie across calls for one prompt, so a node extending a scored parent runs one new position.
//
// As a `SequenceScorer` it reports the reward of an answer's (or prefix's) last transition,
// M(x ⊕ y_<T)[y_T], the quantity the model was fitted to (the teacher's R(x ⊕ y_≤T)).
import Foundation
import Models
import OnlineRL
import Support
import TensorCore
import Tokenizers
import Training

public final class MultifurcationScorer: SequenceScorer, ChildRewards {
    /// Reward of the tokens the training data never observed (saffron's `inf` = 1024, negated).
    public static let unseenReward: Float = -1024
    public let model: any LanguageModel
    /// Observed tokens; nil = every token counts as observed.
    public let seen: [Bool]?
    public let name = "mrm"
    public let padID: Int
    let trie: TrieKVCache?
    private var triePrompt: [Int] = []

    public init(model: any LanguageModel, seenTokens: [Int]?, padID: Int, trieCache: Bool) {
        model.eval()
        self.model = model
        self.padID = padID
        seen = seenTokens.map { ids in
            var s = [Bool](repeating: false, count: model.vocabularySize)
            for id in ids where id >= 0 && id < s.count { s[id] = true }
            return s
        }
        trie = trieCache ? TrieKVCache(model: model) : nil
    }

    /// Loads a multifurcation folder and checks that it reads the policy's tokens (as `rm:DIR` does).
    public convenience init(folder: String, policyTokenizer: Tokenizer, policyVocabulary: Int, weights: WeightFormat = .f32,
                            trieCache: Bool = false) throws {
        let spec = "--scorer mrm:\(folder)"
        let configURL = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: configURL) else {
            throw SearchError.invalidSetting("\(spec): \(configURL.path) is missing or unreadable")
        }
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(data, file: configURL.path)
        } catch {
            throw SearchError.invalidSetting("\(spec): \(error.description)")
        }
        guard let config = parsed.foundationObject as? [String: Any] else {
            throw SearchError.invalidSetting("\(spec): \(configURL.path) is \(parsed.kindName), not a JSON object")
        }
        guard config[MultifurcationSeen.flagKey] as? Bool == true else {
            throw SearchError.invalidSetting("\(spec): not a multifurcation reward model (config.json lacks \(MultifurcationSeen.flagKey)); "
                + "train one with `tokenalign reward --kind multifurcation`")
        }
        let loaded = try PretrainedModel.load(path: folder, weights: weights)
        try RewardModelScorer.checkReadsPolicyTokens(spec, what: "multifurcation reward model", vocabulary: loaded.model.vocabularySize,
                                                     tokenizer: loaded.tokenizer, policyTokenizer: policyTokenizer, policyVocabulary: policyVocabulary)
        let seenTokens = (config[MultifurcationSeen.seenKey] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }
        self.init(model: loaded.model, seenTokens: seenTokens, padID: policyTokenizer.padTokenID ?? policyTokenizer.eosTokenID ?? 0,
                  trieCache: trieCache)
    }

    /// The reward vectors M(x ⊕ y) [B, V] of prefixes, in one forward pass (unseen tokens masked).
    public func rewardVectors(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> Tensor {
        guard !prompt.ids.isEmpty else { throw SearchError.badRow("\(prompt.location): the prompt encodes to no tokens") }
        let sequences = prefixes.map { prompt.ids + $0.ids }
        if let long = sequences.first(where: { $0.count > model.maxPositions }) {
            throw SearchError.badRow("\(prompt.location): prompt + prefix (\(long.count) tokens) exceed the multifurcation reward model's "
                + "\(model.maxPositions) positions")
        }
        if let trie, triePrompt != prompt.ids {
            trie.removeAll()
            triePrompt = prompt.ids
        }
        let forward = TrieForward.lastLogits(model, sequences, padID: padID, trie: trie)
        ledger.recordScorerForward(name, forward.work)
        var r = forward.logits
        r.makeUnique()
        if let seen {
            let V = r.shape[1], p = r.unsafeMutablePointer
            for b in 0 ..< sequences.count {
                for v in 0 ..< V where !seen[v] { p[b * V + v] = Self.unseenReward }
            }
        }
        return r
    }

    public func childRewards(_ prompt: RLPrompt, _ prefixes: [Answer], candidates: [[Int]], ledger: inout CostLedger) throws -> [[Float]] {
        let r = try rewardVectors(prompt, prefixes, ledger: &ledger)
        let V = r.shape[1], p = r.unsafePointer
        return candidates.enumerated().map { b, tokens in tokens.map { p[b * V + $0] } }
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try lastTransition(prompt, answers, ledger: &ledger)
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try lastTransition(prompt, prefixes, ledger: &ledger)
    }

    /// M(x ⊕ y_<T)[y_T] of each answer; an empty answer has no transition and scores the unseen reward.
    func lastTransition(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        let nonEmpty = answers.indices.filter { !answers[$0].ids.isEmpty }
        var out = [Float](repeating: Self.unseenReward, count: answers.count)
        guard !nonEmpty.isEmpty else { return out }
        let parents = nonEmpty.map { Answer(ids: Array(answers[$0].ids.dropLast()), text: "") }
        let r = try childRewards(prompt, parents, candidates: nonEmpty.map { [answers[$0].ids.last!] }, ledger: &ledger)
        for (k, i) in nonEmpty.enumerated() { out[i] = r[k][0] }
        return out
    }
}
