// Token-supervised value targets (TVM, Lee et al. 2024, arXiv 2407.12863): from N sampled answers to
// one problem and their outcomes, the target of token t of answer n is the fraction of correct
// answers among those that share its first t tokens,
//     v_{n,t} = #{m correct : y_m,≤t = y_n,≤t} / #{m : y_m,≤t = y_n,≤t},
// a Monte-Carlo estimate of the probability of finishing correctly from that prefix. Early tokens
// are shared by many answers; once an answer is alone its targets are its own outcome. A prefix
// trie over the N answers gives every target in one pass over the tokens.

public enum ValueTargets {
    /// One target per token of each path.
    public static func targets(paths: [[Int]], correct: [Bool]) -> [[Float]] {
        precondition(paths.count == correct.count, "ValueTargets: \(paths.count) paths, \(correct.count) outcomes")
        // Trie nodes: children by token, paths through the node, correct paths through it.
        var children: [[Int: Int]] = [[:]], total = [0], good = [0]
        var nodesOfPath: [[Int]] = []
        for (path, ok) in zip(paths, correct) {
            var node = 0, visited: [Int] = []
            visited.reserveCapacity(path.count)
            for token in path {
                if let next = children[node][token] { node = next } else {
                    children.append([:]); total.append(0); good.append(0)
                    children[node][token] = children.count - 1
                    node = children.count - 1
                }
                total[node] += 1
                if ok { good[node] += 1 }
                visited.append(node)
            }
            nodesOfPath.append(visited)
        }
        return nodesOfPath.map { $0.map { Float(good[$0]) / Float(total[$0]) } }
    }
}
