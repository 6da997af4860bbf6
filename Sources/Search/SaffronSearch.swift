// Saffron's tree search (Qiu et al. 2025, "Saffron-1", arXiv 2506.06444): a token-level search whose
// children are scored all at once by a multifurcation reward model (`--method saffron@mrm:DIR`), or,
// with any other scorer, one child at a time (the PRM-guided tree search the paper improves on).
//
// Nodes are partial answers; the search starts from the empty answer and runs at most
// --max-new-tokens depths. At each depth:
//   1. finished nodes (ended on a stop token or stop string) are carried over;
//   2. every open node gets the policy's next-token logits (one batched forward; stop tokens are
//      forbidden before --min-new-tokens); its children are the tokens of the top-p set of
//      softmax(logits) in descending order, i.e. those whose probability mass before them is < p
//      (p = --saffron-top-p, 0.8), at most --max-children of them (0: no cap);
//   3. one reward call scores every child of every open node (one MRM row per node); tokens the MRM
//      never saw in training get −1024 (conservative exploration);
//   4. the --budget best (node, child) pairs by reward are kept (ties: node order, then probability order);
//   5. a child's stored reward is its reward if it finishes the answer, else its parent's stored
//      reward (−∞ at the root); nodes are ranked by stored reward, then by their latest reward, and the
//      --budget best are kept. The reference code breaks the ties among unfinished nodes (all −∞) in an
//      unspecified order; ranking them by their latest reward makes the choice deterministic.
// The answer is the node with the highest stored reward. The search draws nothing at random.
//
// With the policy's trie KV cache (`--trie-cache`) a node's forward runs only its newest token: its
// parent's positions are stored in the trie (and the MRM keeps its own trie). Without it every depth
// re-runs prompt + prefix. The answers are the same; the ledger counts the positions that ran and the
// ones saved.
import Foundation
import OnlineRL

public struct SaffronSearch: Searcher {
    public var settings: SearchSettings

    public init(_ settings: SearchSettings) { self.settings = settings }

    struct Node {
        var ids: [Int]
        var stored: Float
        var latest: Float
        var finished: Bool
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        guard let scorer else { throw SearchError.invalidSetting("--method saffron needs a scorer: saffron@mrm:DIR (or any --scorer, one row per child)") }
        let V = policy.model.vocabularySize
        guard settings.maxChildren <= V else {
            throw SearchError.invalidSetting("--max-children \(settings.maxChildren) exceeds the policy's vocabulary of \(V) tokens")
        }
        guard !prompt.ids.isEmpty else { throw SearchError.badRow("\(prompt.location): the prompt encodes to no tokens") }
        let rewards: any ChildRewards = (scorer as? ChildRewards) ?? SeparateChildScoring(scorer, text: policy.text)
        let stops = policy.parameters.stopTokenIDs, stopStrings = policy.parameters.stopStrings
        var nodes = [Node(ids: [], stored: -.infinity, latest: -.infinity, finished: false)]
        for depth in 0 ..< policy.parameters.maxNewTokens {
            let open = nodes.filter { !$0.finished }
            if open.isEmpty { break }
            var next = nodes.filter(\.finished)
            let forward = TrieForward.lastLogits(policy.model, open.map { prompt.ids + $0.ids }, padID: policy.parameters.padTokenID,
                                                 trie: policy.trie)
            ledger.recordPolicyForward(forward.work)
            let candidates = (0 ..< open.count).map { b in
                Self.children(forward.logits.unsafePointer + b * V, count: V, topP: settings.saffronTopP, maxChildren: settings.maxChildren,
                              forbidden: depth < settings.minNewTokens ? stops : [])
            }
            let r = try rewards.childRewards(prompt, open.map { Answer(ids: $0.ids, text: "") }, candidates: candidates, ledger: &ledger)
            var pairs: [(node: Int, token: Int, reward: Float)] = []
            for (b, tokens) in candidates.enumerated() {
                for (k, t) in tokens.enumerated() { pairs.append((b, t, r[b][k])) }
            }
            for p in Self.stableTop(pairs, count: settings.budget, by: { $0.reward > $1.reward }) {
                let parent = open[p.node], ids = parent.ids + [p.token]
                let finished = stops.contains(p.token) || (!stopStrings.isEmpty && stopStrings.contains { policy.text(ids).contains($0) })
                next.append(Node(ids: ids, stored: finished ? p.reward : parent.stored, latest: p.reward, finished: finished))
            }
            nodes = Self.stableTop(next, count: settings.budget) { $0.stored > $1.stored || ($0.stored == $1.stored && $0.latest > $1.latest) }
        }
        let pool = policy.answers(nodes.map { Continuation(ids: $0.ids, finished: $0.finished) })
        let scores = nodes.map { Double($0.stored.isFinite ? $0.stored : $0.latest) }
        return SearchResult(answer: pool[0], score: scores[0], samples: pool, sampleScores: scores)
    }

    /// The top-p set of softmax(logits) in descending order (ties: lower id first): the tokens whose
    /// probability mass before them is below `topP`, at most `maxChildren` (0: all), `forbidden` excluded.
    static func children(_ logits: UnsafePointer<Float>, count V: Int, topP: Double, maxChildren: Int, forbidden: Set<Int>) -> [Int] {
        let order = (0 ..< V).filter { !forbidden.contains($0) }.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        guard let top = order.first else { return [] }
        let m = Double(logits[top])
        var z = 0.0
        for v in order { z += exp(Double(logits[v]) - m) }
        var out: [Int] = [], before = 0.0
        for v in order {
            guard before < topP, maxChildren == 0 || out.count < maxChildren else { break }
            out.append(v)
            before += exp(Double(logits[v]) - m) / z
        }
        return out
    }

    /// The first `count` elements in the order `better`, ties kept in their input order.
    static func stableTop<T>(_ xs: [T], count: Int, by better: (T, T) -> Bool) -> [T] {
        let ranked = xs.enumerated().sorted { better($0.element, $1.element) || (!better($1.element, $0.element) && $0.offset < $1.offset) }
        return ranked.prefix(count).map(\.element)
    }
}
