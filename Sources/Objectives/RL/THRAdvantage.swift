// Token Hidden Reward: GRPO's advantage steered token by token by the sign of each token's
// first-order influence on the likelihood of its group's correct responses.
import Support
import TensorCore

/// THR, Deng et al. 2025, arXiv 2510.03669, built on the learning-dynamics analysis of the same
/// authors' NTHR (arXiv 2505.18830). Under the unconstrained-features view (π = softmax(W h), only
/// the unembedding W moves), a gradient step on token (j, k) with weight Â_j changes log π of a
/// token (i, k') by an amount proportional to Â_j ⟨g_{j,k}, g_{i,k'}⟩ ⟨h_{j,k}, h_{i,k'}⟩, with
/// g = e_y − π_old(·) the softmax residual over the vocabulary and h the final hidden state that
/// multiplies W. Summed over the tokens of the group's correct responses (R > 0; the token's own
/// response included when it is correct):
///   s_{j,k}   = Σ_{i correct} Σ_{k'} ⟨g_{j,k}, g_{i,k'}⟩ ⟨h_{j,k}, h_{i,k'}⟩      (influence)
///   THR_{j,k} = Â_j · s_{j,k}                                                     (Â: GRPO's)
/// THR > 0: the token's update raises the correct responses' likelihood (exploitation); THR < 0:
/// it lowers it, keeping mass for alternatives (exploration). A token is dominant when
/// |s| > τ = β · min over correct responses of their mean s (NTHR's threshold, β = 1), and
///   Â'_{j,k} = Â_j (1 + p · sgn(THR_{j,k}))   on dominant tokens,
///   Â'_{j,k} = Â_j (mode `reweight`) or 0 (mode `dominant`, THR-only training) elsewhere.
/// p ∈ [−1, 1] (|p| ≤ 1 never flips an advantage's sign); p = 0 is GRPO exactly. Only groups with
/// both outcomes are steered (others keep GRPO's advantage, 0 except a group of one): the paper
/// trains with dynamic sampling, which drops the rest.
///
/// Cost: per mixed group of n trained tokens, n⁺ of them in correct responses, two BLAS products,
/// [n × C]·[C × n⁺] for ⟨h, h'⟩ and [n × V]·[V × n⁺] for ⟨π, π'⟩, then
/// ⟨g, g'⟩ = 1[y = y'] − π(y') − π'(y) + ⟨π, π'⟩ elementwise: O(n·n⁺·(C + V)).
///
/// What could not be pinned down (no public code; the paper's displayed equations were not
/// readable): the normalisation of THR (we use the unnormalised sum and the advantage Â itself;
/// per-group constants would change neither signs nor dominance), whether the threshold compares
/// |s| or signed s and whether it is on the s or THR scale (we use |s| > τ, τ on the s scale), and
/// the multiplier (we use the sign form the paper's reviews describe). The vocabulary is the full
/// one (exact), not NTHR's restriction to the group's sampled ids. docs/design/online-rl.md §13.2.
public struct THRAdvantage: AdvantageEstimator {
    /// What happens to tokens that are not dominant.
    public enum Mode: String, Sendable, CaseIterable {
        /// They keep GRPO's advantage.
        case reweight
        /// They get 0: only dominant tokens train (the paper's THR-only setting).
        case dominant

        init(parsing text: String) throws {
            guard let m = Mode(rawValue: text) else {
                throw RLInputError.invalidSetting(key: "thr_mode", value: text, reason: "expected reweight or dominant")
            }
            self = m
        }
    }

    /// GRPO's advantage, the one THR steers.
    public var base: GRPOAdvantage
    /// p: > 0 favours exploitation, < 0 exploration.
    public var steering: Float
    /// β of the dominance threshold.
    public var beta: Float
    public var mode: Mode

    public init(steering: Float = 0.1, beta: Float = 1, mode: Mode = .reweight, scaleRewards: RewardScaling = .group,
                epsilon: Float = 1e-4) throws {
        guard steering.isFinite, abs(steering) <= 1 else {
            throw RLInputError.invalidSetting(key: "thr_p", value: "\(steering)",
                                              reason: "expected a signed weight in -1...1 (p > 0 exploitation, p < 0 exploration); |p| > 1 would flip advantages' signs")
        }
        guard beta.isFinite else { throw RLInputError.invalidSetting(key: "thr_beta", value: "\(beta)", reason: "expected a finite number") }
        base = try GRPOAdvantage(scaleRewards: scaleRewards, epsilon: epsilon)
        self.steering = steering
        self.beta = beta
        self.mode = mode
    }

    public var name: String { "thr" }
    public var readsHiddenStates: Bool { true }

    /// Per-token quantities of one batch, [B·T] each (0 at masked positions and outside mixed groups).
    public struct Scores: Sendable {
        /// s: the influence on the correct responses' likelihood.
        public var influence: [Float]
        /// THR = Â · s.
        public var thr: [Float]
        /// 1 where |s| > τ.
        public var dominant: [Bool]
        /// Whether the row's group has both outcomes.
        public var mixedRow: [Bool]
    }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let grpo = try base.estimate(batch)
        let a = grpo.advantages.scalars
        let sc = try scores(batch, grpoAdvantages: a)
        let m = batch.mask.scalars, T = batch.length, p = steering
        var out = a
        var steered = 0, dominantCount = 0, positive = 0, absSum = 0.0
        for k in 0 ..< m.count where m[k] != 0 && sc.mixedRow[k / T] {
            steered += 1
            absSum += Double(abs(sc.thr[k]))
            if sc.dominant[k] {
                dominantCount += 1
                if sc.thr[k] > 0 { positive += 1 }
                let sign: Float = sc.thr[k] > 0 ? 1 : (sc.thr[k] < 0 ? -1 : 0)
                out[k] = a[k] * (1 + p * sign)
            } else if mode == .dominant {
                out[k] = 0
            }
        }
        var metrics: [String: Float] = [:]
        if steered > 0 {
            metrics["thr/dominant_fraction"] = Float(dominantCount) / Float(steered)
            metrics["thr/positive_fraction"] = dominantCount > 0 ? Float(positive) / Float(dominantCount) : 0
            metrics["thr/mean_abs"] = Float(absSum / Double(steered))
        }
        let t = Tensor(shape: batch.mask.shape, data: out)
        return Advantages(advantages: t, returns: t, metrics: metrics)
    }

    /// The influence s, THR and the dominance test of every trained token.
    /// - Throws: `RLInputError` when the batch lacks token ids, hidden states or probability rows,
    ///   when one is non-finite at a trained position, or a token id is outside the rows' vocabulary.
    public func scores(_ batch: RolloutBatch) throws -> Scores {
        try scores(batch, grpoAdvantages: base.estimate(batch).advantages.scalars)
    }

    func scores(_ batch: RolloutBatch, grpoAdvantages a: [Float]) throws -> Scores {
        let R = try batch.sequenceRewards()
        guard let ids = batch.tokenIDs else { throw RLInputError.missing(field: "tokenIDs", method: name) }
        guard let hT = batch.hiddenStates else { throw RLInputError.missing(field: "hiddenStates", method: name) }
        guard let pT = batch.probabilities else { throw RLInputError.missing(field: "probabilities", method: name) }
        let h = try batch.finiteVectors(hT, "hiddenStates"), probs = try batch.finiteVectors(pT, "probabilities")
        let m = batch.mask.scalars, y = ids.data, T = batch.length, C = hT.shape[2], V = pT.shape[2]
        for k in 0 ..< m.count where m[k] != 0 && !(0 ..< Int32(V)).contains(y[k]) {
            throw RLInputError.invalidSetting(key: "tokenIDs", value: "\(y[k])",
                                              reason: "row \(k / T), position \(k % T): outside the probability rows' vocabulary of \(V)")
        }
        var out = Scores(influence: [Float](repeating: 0, count: m.count), thr: [Float](repeating: 0, count: m.count),
                         dominant: [Bool](repeating: false, count: m.count), mixedRow: [Bool](repeating: false, count: batch.rowCount))
        for rows in batch.groups {
            let correct = rows.filter { R[$0] > 0 }, wrong = rows.filter { R[$0] <= 0 }
            guard !correct.isEmpty, !wrong.isEmpty else { continue }
            for i in rows { out.mixedRow[i] = true }
            // Flat indices of the group's trained tokens, the correct responses' first.
            let tokens = (correct + wrong).flatMap { i in batch.trainedPositions(row: i, mask: m).map { i * T + $0 } }
            let nPlus = correct.reduce(0) { $0 + batch.trainedPositions(row: $1, mask: m).count }
            guard nPlus > 0 else { continue }
            let s = Self.influence(tokens: tokens, correctCount: nPlus, hidden: h, width: C, probabilities: probs, vocabulary: V, ids: y)
            for (n, k) in tokens.enumerated() {
                out.influence[k] = s[n]
                out.thr[k] = a[k] * s[n]
            }
            // τ = β · the lowest mean influence over a correct response's tokens (NTHR's anchor).
            var lowest = Double.infinity, n = 0
            for i in correct {
                let count = batch.trainedPositions(row: i, mask: m).count
                guard count > 0 else { continue }
                var sum = 0.0
                for _ in 0 ..< count { sum += Double(s[n]); n += 1 }
                lowest = min(lowest, sum / Double(count))
            }
            let tau = Float(Double(beta) * lowest)
            for (n, k) in tokens.enumerated() { out.dominant[k] = abs(s[n]) > tau }
        }
        return out
    }

    /// s_n = Σ_{i < n⁺} ⟨g_n, g_i⟩⟨h_n, h_i⟩ for the listed tokens (flat [B·T] indices, the n⁺
    /// correct-response tokens first), by the Gram form: two GEMMs against the first n⁺ rows of the
    /// gathered buffers, then ⟨g_n, g_i⟩ = 1[y_n = y_i] − π_n(y_i) − π_i(y_n) + ⟨π_n, π_i⟩.
    static func influence(tokens: [Int], correctCount nPlus: Int, hidden h: [Float], width C: Int,
                          probabilities probs: [Float], vocabulary V: Int, ids y: [Int32]) -> [Float] {
        let n = tokens.count
        var hAll = [Float](repeating: 0, count: n * C), pAll = [Float](repeating: 0, count: n * V)
        var yAll = [Int](repeating: 0, count: n)
        h.withUnsafeBufferPointer { src in
            hAll.withUnsafeMutableBufferPointer { dst in
                for (r, k) in tokens.enumerated() { (dst.baseAddress! + r * C).update(from: src.baseAddress! + k * C, count: C) }
            }
        }
        probs.withUnsafeBufferPointer { src in
            pAll.withUnsafeMutableBufferPointer { dst in
                for (r, k) in tokens.enumerated() { (dst.baseAddress! + r * V).update(from: src.baseAddress! + k * V, count: V) }
            }
        }
        for (r, k) in tokens.enumerated() { yAll[r] = Int(y[k]) }
        var hGram = [Float](repeating: 0, count: n * nPlus), pGram = hGram
        hAll.withUnsafeBufferPointer { a in
            hGram.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(transA: false, transB: true, M: n, N: nPlus, K: C, A: a.baseAddress!, lda: C, B: a.baseAddress!, ldb: C,
                          C: c.baseAddress!, ldc: nPlus)
            }
        }
        pAll.withUnsafeBufferPointer { a in
            pGram.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(transA: false, transB: true, M: n, N: nPlus, K: V, A: a.baseAddress!, lda: V, B: a.baseAddress!, ldb: V,
                          C: c.baseAddress!, ldc: nPlus)
            }
        }
        var s = [Float](repeating: 0, count: n)
        for r in 0 ..< n {
            var sum = 0.0
            let yr = yAll[r]
            for i in 0 ..< nPlus {
                let yi = yAll[i]
                let gg = (yr == yi ? 1 : 0) - Double(pAll[r * V + yi]) - Double(pAll[i * V + yr]) + Double(pGram[r * nPlus + i])
                sum += gg * Double(hGram[r * nPlus + i])
            }
            s[r] = Float(sum)
        }
        return s
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "thr", summary: "GRPO advantage steered per token: Â(1 + p·sgn THR) where |influence| > τ, THR = Â·Σ_correct ⟨g,g'⟩⟨h,h'⟩ (reconstructed; p = thr_p)",
                         arxiv: ["2510.03669", "2505.18830"],
                         inputs: ["sequence rewards (correct: R > 0)", "group ids", "token ids", "old-policy final hidden states", "old-policy probability rows"],
                         defaults: ["thr_p": "0.1", "thr_beta": "1", "thr_mode": "reweight", "scale_rewards": "group", "epsilon": "1e-4"]),
        make: { s in
            try THRAdvantage(steering: s.thrP ?? 0.1, beta: s.thrBeta ?? 1, mode: s.thrMode ?? .reweight,
                             scaleRewards: s.scaleRewards ?? .group, epsilon: s.epsilon ?? 1e-4)
        })
}
