// Distillation targets of a multifurcation reward model (Saffron-1, arXiv 2506.06444). The paper
// labels sampled responses token by token with an ordinary process reward model, the reward of each
// prefix, and trains the MRM only on those observed transitions (its Safety4M data). Here the teacher
// is any scorer's prefix reward: the CreditBench verifier (the oracle PRM), a reward model, a value
// model. Token t of a response y gets r_t = R(x ⊕ y_≤t), the reward of the child that token t creates,
// which is what M(x ⊕ y_<t)[y_t] is fitted to.
import OnlineRL

public enum PrefixRewardTargets {
    /// One target per token of each path: the teacher's prefix score of y_≤t, t = 1 … |y| (one
    /// `prefixScores` call per path; its forward work goes to `ledger`).
    /// - Parameter text: the policy's detokenizer (model-free teachers read text).
    public static func targets(_ prompt: RLPrompt, paths: [[Int]], teacher: any SequenceScorer, text: ([Int]) -> String,
                               ledger: inout CostLedger) throws -> [[Float]] {
        try paths.map { path in
            guard !path.isEmpty else { return [] }
            let prefixes = (1 ... path.count).map { t in Answer(ids: Array(path[..<t]), text: text(Array(path[..<t]))) }
            return try teacher.prefixScores(prompt, prefixes, ledger: &ledger)
        }
    }
}
