// Monte-Carlo tree search over steps guided by a process reward or value model, in the form LE-MCTS
// uses (Park et al. 2024, arXiv 2412.15797) with one policy: a node is a prefix ending at a step
// boundary; selection follows UCT, Q(child) + c·sqrt(ln N(parent) / N(child)), from the root to a
// node that has not been expanded; expansion samples b next steps (duplicates merged); each child
// is evaluated by the scorer (prefix value, or full score when the answer is finished) with no
// rollout; the value backed up the path is the children's mean, or their maximum with
// `optimisticBackup` (LE-MCTS's optimistic backup). After the iterations the best-scored finished
// node is returned (ties: the earliest made); the best node of any kind if none finished.
//
// Iteration k of prompt i samples with `SearchSeeds.seed(seed, i, k)`.
import Foundation
import OnlineRL

public struct StepMCTS: Searcher {
    public var settings: SearchSettings
    public init(_ settings: SearchSettings) { self.settings = settings }

    struct Node {
        var ids: [Int]
        var finished: Bool
        var parent: Int?
        var children: [Int] = []
        var expanded = false
        var visits = 0
        var valueSum = 0.0
        var valueMax = -Double.infinity
        var score: Double
    }

    /// UCT: q + c·sqrt(ln N_parent / N_child) (N_parent ≥ 1, N_child ≥ 1 as the search uses it).
    public static func uct(q: Double, parentVisits: Int, childVisits: Int, exploration c: Double) -> Double {
        q + c * (log(Double(max(parentVisits, 1))) / Double(max(childVisits, 1))).squareRoot()
    }

    func q(_ n: Node) -> Double {
        n.visits == 0 ? n.score : (settings.optimisticBackup ? n.valueMax : n.valueSum / Double(n.visits))
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        guard let scorer else { throw SearchError.invalidSetting("mcts needs --scorer (a process reward or value model)") }
        var nodes = [Node(ids: [], finished: false, parent: nil, score: 0)]
        for iteration in 0 ..< settings.iterations {
            // Selection.
            var cur = 0
            while nodes[cur].expanded && !nodes[cur].finished && !nodes[cur].children.isEmpty {
                var best = nodes[cur].children[0], bestU = -Double.infinity
                for c in nodes[cur].children {
                    let u = Self.uct(q: q(nodes[c]), parentVisits: nodes[cur].visits, childVisits: nodes[c].visits,
                                     exploration: settings.exploration)
                    if u > bestU { best = c; bestU = u }
                }
                cur = best
            }
            // Expansion and evaluation (a finished leaf is evaluated again by its own score).
            var value = nodes[cur].score
            if !nodes[cur].finished && !nodes[cur].expanded {
                let cands = try StepExpansion.expand([nodes[cur].ids], prompt: prompt, count: settings.expansions, settings: settings,
                                                     seed: SearchSeeds.seed(settings.seed, prompt: index, call: iteration),
                                                     policy: policy, scorer: scorer, ledger: &ledger)
                nodes[cur].expanded = true
                var seen = Set<[Int]>(), values: [Double] = []
                for c in cands where seen.insert(c.ids).inserted {
                    var child = Node(ids: c.ids, finished: c.finished, parent: cur, score: Double(c.score))
                    child.visits = 1
                    child.valueSum = child.score
                    child.valueMax = child.score
                    nodes.append(child)
                    nodes[cur].children.append(nodes.count - 1)
                    values.append(child.score)
                }
                if !values.isEmpty {
                    value = settings.optimisticBackup ? values.max()! : values.reduce(0, +) / Double(values.count)
                }
            }
            // Backup.
            var up: Int? = cur
            while let u = up {
                nodes[u].visits += 1
                nodes[u].valueSum += value
                nodes[u].valueMax = max(nodes[u].valueMax, value)
                up = nodes[u].parent
            }
        }
        let finished = nodes.indices.filter { nodes[$0].finished }
        let pool = finished.isEmpty ? Array(nodes.indices.dropFirst()) : finished
        let chosen = pool.isEmpty ? 0 : pool.reduce(pool[0]) { nodes[$1].score > nodes[$0].score ? $1 : $0 }
        let answer = policy.answers([Continuation(ids: nodes[chosen].ids, finished: nodes[chosen].finished)])[0]
        return SearchResult(answer: answer, score: nodes[chosen].score)
    }
}
