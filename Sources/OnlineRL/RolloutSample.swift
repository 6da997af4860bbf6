// One sampled completion with what the trainer keeps of it, and the padded tensors of a set of
// samples in the TokenBatch convention (entry t predicts token t + 1 of prompt + completion).
import Datasets
import Objectives
import TensorCore

/// A completion as the trainer keeps it. Per-token arrays have one entry per completion token.
struct RolloutSample {
    var promptIndex: Int
    /// The rollout group (one per prompt of the batch).
    var group: Int
    var promptIDs: [Int]
    var ids: [Int]
    /// ℓ^μ: the sampler's log-probabilities of the tokens it drew.
    var rolloutLogps: [Float]
    var entropies: [Float]
    var truncated: Bool
    var text: String
    var rewards: [Float] = []
    var advantages: [Float] = []
    var oldLogps: [Float]?
    var referenceLogps: [Float]?
    /// V^old_t from the value head at rollout time (PPO).
    var values: [Float]?
    /// G_t (PPO's value targets).
    var returns: [Float] = []
    /// ReMax's baseline: the reward of the greedy completion of the same prompt.
    var rewardBaseline: Float?
    /// OREAL's token weights ω from the online token RM (ω⁺ on a positive sample, ω⁻ on a negative one).
    var tokenWeights: [Float]?
    /// The prompt the reference reads when it differs from `promptIDs` (Quark: without the control
    /// prefix).
    var referencePromptIDs: [Int]?
    /// THR's inputs from the old policy's no-grad pass (arXiv 2510.03669): the final hidden state
    /// before each completion token, [ids.count × C], and the probability row there, [ids.count × V].
    var hiddenStates: [Float]?
    var probabilities: [Float]?
    /// False: the completion is left out of the loss (a truncated one under
    /// `mask_truncated_completions`).
    var trained = true
    /// What the run's update term (RLMEC's imitation: the sample's correction) trains on for this
    /// sample; nil without a term or a target.
    var updateTarget: UpdateTarget?
}

/// The padded tensors of some samples: ids [n, L] (right padding), labels and per-token fields
/// [n, L − 1], with completion token k of row i at position |prompt_i| − 1 + k.
struct PaddedRollout {
    var ids: IndexTensor
    var labels: IndexTensor
    var mask: Tensor
    var samples: [RolloutSample]
    let length: Int

    /// - Parameter forLoss: leave untrained samples (`trained == false`) out of the mask. Advantages
    ///   are computed with every completion in (group statistics see all of them, as TRL's), the
    ///   loss without the untrained ones.
    init(_ samples: [RolloutSample], padID: Int, forLoss: Bool) {
        let n = samples.count
        let L = samples.map { $0.promptIDs.count + $0.ids.count }.max() ?? 1
        let T = L - 1
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: padID), count: n * L)
        var labels = [Int32](repeating: 0, count: n * T)
        var mask = [Float](repeating: 0, count: n * T)
        for (i, s) in samples.enumerated() {
            let full = s.promptIDs + s.ids
            for (t, v) in full.enumerated() { ids[i * L + t] = Int32(truncatingIfNeeded: v) }
            for t in 0 ..< full.count - 1 { labels[i * T + t] = Int32(truncatingIfNeeded: full[t + 1]) }
            if s.trained || !forLoss { for k in s.ids.indices { mask[i * T + s.promptIDs.count - 1 + k] = 1 } }
        }
        self.ids = IndexTensor(shape: [n, L], data: ids)
        self.labels = IndexTensor(shape: [n, T], data: labels)
        self.mask = Tensor(shape: [n, T], data: mask)
        self.samples = samples
        length = T
    }

    /// A per-token field laid out like `mask` (0 outside the completions).
    func field(_ values: (RolloutSample) -> [Float]?) -> Tensor? {
        let n = samples.count, T = length
        var out = [Float](repeating: 0, count: n * T)
        for (i, s) in samples.enumerated() {
            guard let v = values(s) else { return nil }
            for (k, x) in v.enumerated() { out[i * T + s.promptIDs.count - 1 + k] = x }
        }
        return Tensor(shape: [n, T], data: out)
    }

    /// A per-token vector field [n, T, W] laid out like `mask` (0 outside the completions), W read
    /// off the samples (0 when no sample has a token).
    func vectors(_ values: (RolloutSample) -> [Float]?) -> Tensor? {
        let n = samples.count, T = length
        var rows: [[Float]] = []
        rows.reserveCapacity(n)
        for s in samples {
            guard let v = values(s) else { return nil }
            rows.append(v)
        }
        let W = zip(samples, rows).first { !$0.0.ids.isEmpty }.map { $0.1.count / $0.0.ids.count } ?? 0
        var out = [Float](repeating: 0, count: n * T * W)
        for (i, (s, v)) in zip(samples, rows).enumerated() where !v.isEmpty {
            let base = (i * T + s.promptIDs.count - 1) * W
            out.replaceSubrange(base ..< base + v.count, with: v)
        }
        return Tensor(shape: [n, T, W], data: out)
    }

    /// The completion part of row i of a [n, T, W] tensor, [ids.count × W].
    func completionVectors(_ t: Tensor, row i: Int) -> [Float] {
        let s = samples[i], T = length, W = t.shape[2]
        let base = (i * T + s.promptIDs.count - 1) * W
        return Array(t.scalars[base ..< base + s.ids.count * W])
    }

    /// The completion part of row i of a [n, T] tensor.
    func completion(_ t: Tensor, row i: Int) -> [Float] {
        let s = samples[i], T = length
        let base = i * T + s.promptIDs.count - 1
        return Array(t.scalars[base ..< base + s.ids.count])
    }

    /// The RL maths' view of these samples.
    func batch() throws -> RolloutBatch {
        let baselines = samples.allSatisfy { $0.rewardBaseline != nil }
            ? Tensor(shape: [samples.count], data: samples.map { $0.rewardBaseline! }) : nil
        return try RolloutBatch(mask: mask, tokenRewards: field { $0.rewards }!, groupIDs: samples.map(\.group), values: field { $0.values },
                                oldLogps: field { $0.oldLogps }, referenceLogps: field { $0.referenceLogps },
                                rolloutLogps: field { $0.rolloutLogps }, entropies: field { $0.entropies }, tokenIDs: labels,
                                rewardBaselines: baselines, tokenWeights: field { $0.tokenWeights },
                                hiddenStates: vectors { $0.hiddenStates }, probabilities: vectors { $0.probabilities })
    }
}
