// RolloutBatch: the per-token inputs of the online-RL maths (advantage estimators, KL-in-reward,
// policy and value losses), as plain constants. No model calls: the trainer fills it from the
// rollout and from the frozen models' forward passes.
//
// Alignment (the same as `TokenBatch`): every per-token field is [B, T] and indexed by the token it
// *predicts*: entry t holds the quantity for response token y_t (logits[:, :-1] against
// labels[:, 1:] after the shift). `mask` is 1 exactly on the trained response tokens; prompt,
// padding, tokens after EOS and tool/observation tokens are 0 and are never read, whatever they hold.
//
// A sequence (outcome) reward R_i is the special case of token rewards with a single entry on the
// LAST valid response token (verl's and OpenRLHF's convention; TRL's PPO puts it one position later
// and extends the value mask, which we do not do). `sequenceRewards` (Σ_t m r) recovers R_i.
import TensorCore

/// Per-token RL inputs of one batch of rollouts. Legend: B rows (responses), T positions.
public struct RolloutBatch: Sendable {
    /// m_t ∈ {0, 1}: [B, T]. 1 only for trained response tokens.
    public var mask: Tensor
    /// r_t: [B, T]. A sequence reward sits on the last valid token (see `placingSequenceRewards`).
    public var tokenRewards: Tensor
    /// The prompt (group) of each row: [B]. Rows with equal ids were sampled for the same prompt.
    public var groupIDs: [Int]
    /// V_t from the critic at rollout time: [B, T] (GAE, value loss).
    public var values: Tensor?
    /// ℓ^old_t, the training engine's snapshot that generated (or was frozen at the start of) the
    /// update: [B, T].
    public var oldLogps: Tensor?
    /// ℓ^ref_t, the frozen reference model: [B, T].
    public var referenceLogps: Tensor?
    /// ℓ^μ_t, the rollout (inference) engine's log-probs of the same sampled tokens: [B, T].
    public var rolloutLogps: Tensor?
    /// H_t, the policy's token entropies at rollout time (metrics; a differentiable entropy for the
    /// bonus is passed to the loss separately): [B, T].
    public var entropies: Tensor?
    /// The sampled tokens y_t: [B, T].
    public var tokenIDs: IndexTensor?
    /// A per-row reward baseline b_i: [B] (ReMax: the reward of the greedy response, arXiv 2310.10505).
    public var rewardBaselines: Tensor?
    /// 1 on the trained tokens that start a macro action: [B, T] (MA-RLHF, arXiv 2410.02743, with a
    /// text rule; the trainer fills it from the decoded tokens).
    public var macroStarts: Tensor?
    /// ω_t ≥ 0, per-token importance weights from a token-level reward model trained online: [B, T]
    /// (OREAL, arXiv 2502.06781: ω⁺ on rows with a positive outcome, ω⁻ on the others). nil = 1.
    public var tokenWeights: Tensor?
    /// h_t, the old policy's final hidden state at the position that predicts y_t (the vector the
    /// unembedding multiplies, after the final norm): [B, T, C]. THR (arXiv 2510.03669) reads it.
    public var hiddenStates: Tensor?
    /// π_old(· | prefix) at every position, the full softmax row over the vocabulary at the
    /// sampling temperature: [B, T, V]. THR (arXiv 2510.03669) reads it.
    public var probabilities: Tensor?

    /// - Parameter groupIDs: nil puts every row in its own group.
    /// - Throws: `RLInputError.shape` when a field does not match the mask.
    public init(mask: Tensor, tokenRewards: Tensor, groupIDs: [Int]? = nil, values: Tensor? = nil,
                oldLogps: Tensor? = nil, referenceLogps: Tensor? = nil, rolloutLogps: Tensor? = nil,
                entropies: Tensor? = nil, tokenIDs: IndexTensor? = nil, rewardBaselines: Tensor? = nil,
                macroStarts: Tensor? = nil, tokenWeights: Tensor? = nil, hiddenStates: Tensor? = nil,
                probabilities: Tensor? = nil) throws {
        guard mask.rank == 2 else { throw RLInputError.shape(field: "mask", got: mask.shape, expected: [-1, -1]) }
        let bt = mask.shape
        func check(_ t: Tensor?, _ name: String) throws {
            if let t, t.shape != bt { throw RLInputError.shape(field: name, got: t.shape, expected: bt) }
        }
        try check(tokenRewards, "tokenRewards")
        try check(values, "values")
        try check(oldLogps, "oldLogps")
        try check(referenceLogps, "referenceLogps")
        try check(rolloutLogps, "rolloutLogps")
        try check(entropies, "entropies")
        try check(macroStarts, "macroStarts")
        try check(tokenWeights, "tokenWeights")
        for (t, name) in [(hiddenStates, "hiddenStates"), (probabilities, "probabilities")] {
            if let t, t.rank != 3 || Array(t.shape.prefix(2)) != bt { throw RLInputError.shape(field: name, got: t.shape, expected: bt + [-1]) }
        }
        if let tokenIDs, tokenIDs.shape != bt { throw RLInputError.shape(field: "tokenIDs", got: tokenIDs.shape, expected: bt) }
        if let rewardBaselines, rewardBaselines.shape != [bt[0]] {
            throw RLInputError.shape(field: "rewardBaselines", got: rewardBaselines.shape, expected: [bt[0]])
        }
        let ids = groupIDs ?? Array(0 ..< bt[0])
        guard ids.count == bt[0] else { throw RLInputError.shape(field: "groupIDs", got: [ids.count], expected: [bt[0]]) }
        self.mask = mask
        self.tokenRewards = tokenRewards
        self.groupIDs = ids
        self.values = values
        self.oldLogps = oldLogps
        self.referenceLogps = referenceLogps
        self.rolloutLogps = rolloutLogps
        self.entropies = entropies
        self.tokenIDs = tokenIDs
        self.rewardBaselines = rewardBaselines
        self.macroStarts = macroStarts
        self.tokenWeights = tokenWeights
        self.hiddenStates = hiddenStates
        self.probabilities = probabilities
    }

    /// B, the number of responses.
    public var rowCount: Int { mask.shape[0] }
    /// T, the number of predicted-token positions.
    public var length: Int { mask.shape[1] }

    /// Token rewards holding each row's sequence reward on its last valid token (0 elsewhere).
    /// A row with no valid token gets no reward (there is nowhere to put it).
    /// - Throws: `RLInputError` for a shape mismatch or a non-finite reward (naming the row).
    public static func placingSequenceRewards(_ rewards: [Float], mask: Tensor) throws -> Tensor {
        guard mask.rank == 2, rewards.count == mask.shape[0] else {
            throw RLInputError.shape(field: "sequence rewards", got: [rewards.count], expected: [mask.shape.first ?? 0])
        }
        let B = mask.shape[0], T = mask.shape[1]
        let m = mask.scalars
        var out = [Float](repeating: 0, count: B * T)
        for i in 0 ..< B {
            guard rewards[i].isFinite else {
                throw RLInputError.nonFinite(field: "sequence rewards", row: i, position: nil, value: rewards[i])
            }
            var t = T - 1
            while t >= 0 && m[i * T + t] == 0 { t -= 1 }
            if t >= 0 { out[i * T + t] = rewards[i] }
        }
        return Tensor(shape: [B, T], data: out)
    }

    /// R_i = Σ_t m r_t per row (masked entries are not read).
    /// - Throws: `RLInputError.nonFinite` naming the first row and position whose reward is NaN/inf.
    public func sequenceRewards() throws -> [Float] {
        let r = try finiteRows(tokenRewards, "tokenRewards")
        let m = mask.scalars, T = length
        var out = [Float](repeating: 0, count: rowCount)
        for i in 0 ..< rowCount {
            var s: Float = 0
            for t in 0 ..< T where m[i * T + t] != 0 { s += r[i * T + t] }
            out[i] = s
        }
        return out
    }

    /// The scalars of a per-token field after checking that every trained position is finite
    /// (masked positions may hold anything; they are not read).
    func finiteRows(_ x: Tensor, _ field: String) throws -> [Float] {
        let v = x.scalars, m = mask.scalars, T = length
        for k in 0 ..< v.count where m[k] != 0 && !v[k].isFinite {
            throw RLInputError.nonFinite(field: field, row: k / T, position: k % T, value: v[k])
        }
        return v
    }

    /// The scalars of a [B, T, W] field after checking that every trained position's row is finite.
    func finiteVectors(_ x: Tensor, _ field: String) throws -> [Float] {
        let v = x.scalars, m = mask.scalars, T = length, W = x.shape[2]
        for k in 0 ..< m.count where m[k] != 0 {
            for c in 0 ..< W where !v[k * W + c].isFinite {
                throw RLInputError.nonFinite(field: field, row: k / T, position: k % T, value: v[k * W + c])
            }
        }
        return v
    }

    /// A required optional field, checked finite at trained positions.
    func required(_ x: Tensor?, _ field: String, by method: String) throws -> [Float] {
        guard let x else { throw RLInputError.missing(field: field, method: method) }
        return try finiteRows(x, field)
    }

    /// The positions of row i's trained tokens, in order (its response as the estimators walk it).
    func trainedPositions(row i: Int, mask m: [Float]) -> [Int] {
        let T = length
        return (0 ..< T).filter { m[i * T + $0] != 0 }
    }

    /// Row indices per group, groups in order of first appearance.
    var groups: [[Int]] {
        var order: [Int] = []
        var members: [Int: [Int]] = [:]
        for (i, g) in groupIDs.enumerated() {
            if members[g] == nil { order.append(g) }
            members[g, default: []].append(i)
        }
        return order.compactMap { members[$0] }
    }
}

extension RolloutBatch {
    /// The distinct group ids in order of first appearance (parallel to `groups`).
    var groupIDsInOrder: [Int] {
        var seen = Set<Int>(), order: [Int] = []
        for g in groupIDs where seen.insert(g).inserted { order.append(g) }
        return order
    }
}
