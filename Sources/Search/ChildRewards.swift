// What Saffron's search needs from a reward: the reward of every candidate child of a node, i.e. of the
// prefix extended by one candidate token (Saffron-1, arXiv 2506.06444). A multifurcation reward model
// answers for all children of a node with one forward pass (`MultifurcationScorer`); any other scorer
// answers by scoring each child as a separate prefix (`SeparateChildScoring`), which is the costly
// process-reward-model tree search the paper compares against (one scored row per child).
import OnlineRL

public protocol ChildRewards: AnyObject {
    /// The name in the cost ledger.
    var name: String { get }
    /// R(x ⊕ y ⊕ a) for each prefix y and each of its candidate tokens a (same shape as `candidates`).
    func childRewards(_ prompt: RLPrompt, _ prefixes: [Answer], candidates: [[Int]], ledger: inout CostLedger) throws -> [[Float]]
}

/// Any scorer as child rewards: every child is scored as a prefix of its own (`prefixScores`).
public final class SeparateChildScoring: ChildRewards {
    public let scorer: any SequenceScorer
    let text: ([Int]) -> String

    /// - Parameter text: the policy's detokenizer (children are scored as text by model-free scorers).
    public init(_ scorer: any SequenceScorer, text: @escaping ([Int]) -> String) {
        self.scorer = scorer
        self.text = text
    }

    public var name: String { scorer.name }

    public func childRewards(_ prompt: RLPrompt, _ prefixes: [Answer], candidates: [[Int]], ledger: inout CostLedger) throws -> [[Float]] {
        var children: [Answer] = []
        for (y, tokens) in zip(prefixes, candidates) {
            for a in tokens {
                let ids = y.ids + [a]
                children.append(Answer(ids: ids, text: text(ids)))
            }
        }
        let flat = try scorer.prefixScores(prompt, children, ledger: &ledger)
        var out: [[Float]] = [], start = 0
        for tokens in candidates {
            out.append(Array(flat[start ..< start + tokens.count]))
            start += tokens.count
        }
        return out
    }
}
