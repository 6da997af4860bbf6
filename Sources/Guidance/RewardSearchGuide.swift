// ARGS: alignment as reward-guided search (docs/design/decoding.md §3).
import Autograd
import Models
import TensorCore
import Training

/// ARGS, Khanov et al. 2024, arXiv 2402.01694. The base model's top-k tokens are scored by a
/// sequence reward model read on prefix ⊕ v_i, z′(v_i) = z(v_i) + w·r(prefix ⊕ v_i), others −∞ (the
/// paper's default w = 1.5, k = 10). This is the recomputing variant: every step runs the reward
/// model on the whole of every prompt + prefix + candidate (k sequences per row, right-padded, the
/// score read at the last real token, where `tokenalign reward` trains it), so its cost grows with
/// the prefix; RAD computes the same scores from a cache (the tests check they agree).
final class RewardSearchGuide: Guide {
    let model: any LanguageModel
    let head: RewardHead
    private var prefixes: [[Int]] = []
    private var padTokenID = 0
    private(set) var forwardTokens = 0
    /// The scores of the last step's candidates, [row][candidate] (for the tests).
    private(set) var lastScores: [[Float]] = []

    init(model: any LanguageModel, head: RewardHead) {
        self.model = model
        self.head = head
    }

    var name: String { "args" }
    var scoresCandidates: Bool { true }

    func check(capacity: Int) throws { try GuideModels.checkCapacity(model, capacity: capacity, guide: name) }

    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int) {
        prefixes = prompts
        self.padTokenID = padTokenID
    }

    func accept(_ tokens: [Int]) {
        for (b, t) in tokens.enumerated() { prefixes[b].append(t) }
    }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let candidates else { preconditionFailure("args scores candidates") }
        let V = base.shape[1], k = candidates[0].count, B = candidates.count
        let L = (prefixes.map(\.count).max() ?? 0) + 1
        var ids = [Int32](repeating: Int32(padTokenID), count: B * k * L)
        for b in 0 ..< B {
            for j in 0 ..< k {
                let row = (b * k + j) * L
                for (t, id) in prefixes[b].enumerated() { ids[row + t] = Int32(id) }
                ids[row + prefixes[b].count] = Int32(candidates[b][j])
            }
        }
        forwardTokens += ids.count
        // Right padding: causal attention keeps every real token blind to the padding after it.
        let s = withoutGradients {
            head.scores(model.hiddenStates(IndexTensor(shape: [B * k, L], data: ids), attentionMask: nil, cache: nil).value)
        }  // [B·k, L]
        let p = s.unsafePointer
        lastScores = []
        for b in 0 ..< B {
            let last = prefixes[b].count
            var row: [Float] = []
            for j in 0 ..< k {
                let r = p[(b * k + j) * L + last]
                row.append(r)
                out[b * V + candidates[b][j]] = r
            }
            lastScores.append(row)
        }
    }
}
