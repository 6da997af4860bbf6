// RAD: reward-augmented decoding with a unidirectional reward model (docs/design/decoding.md §2).
import Models
import TensorCore
import Training

/// RAD, Deng & Raffel 2023, arXiv 2310.09520. The base model's top-k tokens v_1 … v_k are scored by
/// a causal reward model on prefix ⊕ v_i, and z′(v_i) = z(v_i) + β·r(prefix ⊕ v_i), other tokens −∞.
/// Because the reward model is causal, its keys and values over the accepted prefix never change:
/// it keeps k cache rows per sequence, feeds the k candidates as one batched one-token step, and
/// after the sampler picks candidate j copies row j's new position into the other k − 1 rows. Cost
/// per generated token: k reward-model positions, independent of the prefix length.
/// r is the head's raw score (our heads are Bradley–Terry trained, unbounded); RAD's own reward
/// model is regression-trained to [0, 1] and clamps, which is why its β is as large as 30.
final class RewardAugmentedGuide: Guide {
    let stepper: CachedStepper
    let head: RewardHead
    private var k = 0
    private var lastCandidates: [[Int]] = []
    /// The reward-model scores of the last step's candidates, [row][candidate] (for the tests).
    private(set) var lastScores: [[Float]] = []

    init(model: any LanguageModel, head: RewardHead) {
        stepper = CachedStepper(model: model)
        self.head = head
    }

    var name: String { "rad" }
    var scoresCandidates: Bool { true }
    var forwardTokens: Int { stepper.forwardTokens }

    func check(capacity: Int) throws { try GuideModels.checkCapacity(stepper.model, capacity: capacity, guide: name) }

    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int) {
        _ = stepper.prefill(prompts, padTokenID: padTokenID, capacity: capacity)
        k = 0
        lastCandidates = []
    }

    func accept(_ tokens: [Int]) {
        guard k > 0 else { return }
        for (b, t) in tokens.enumerated() {
            // A finished row (padding) took no candidate; any row of its block will do.
            let j = lastCandidates[b].firstIndex(of: t) ?? 0
            stepper.copyLastPosition(from: b * k + j, to: Array(b * k ..< (b + 1) * k))
        }
    }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let candidates else { preconditionFailure("rad scores candidates") }
        let V = base.shape[1]
        if k == 0 {
            // First step: one cache row per candidate, each holding the prompt.
            k = candidates[0].count
            stepper.replicateRows(k)
        }
        let h = stepper.step(candidates.flatMap { $0 })  // [B·k, C]
        let r = head.scores(h.reshaped([h.shape[0], 1, h.shape[1]])).scalars  // [B·k]
        lastScores = candidates.indices.map { b in Array(r[(b * k) ..< ((b + 1) * k)]) }
        for (b, row) in candidates.enumerated() {
            for (j, v) in row.enumerated() { out[b * V + v] = r[b * k + j] }
        }
        lastCandidates = candidates
    }
}
