// Token-reward sources and adapters (docs/design/rewards.md §1.2–§1.7): invariants.
import Autograd
import Objectives
import Rewards
import TensorCore
import Testing

@Suite("Reward adapters and sources")
struct RewardAdapterTests {
    static func episode(_ seed: UInt64, length: Int = 6) -> Episode {
        var g = RandomGenerator(seed: seed)
        return Episode(prompt: (0 ..< 3).map { _ in Int32(g.next() % 50) }, response: (0 ..< length).map { _ in Int32(g.next() % 50) })
    }

    /// A deterministic toy RM: depends on the whole response.
    static var rm: SequenceRewardFunction { SequenceRewardFunction { e in Float(e.response.reduce(0) { $0 + Int($1) } % 17) / 5 - 1.3 } }

    @Test(arguments: [UInt64(1), 2, 3])
    func terminalRewardIsOnTheLastToken(_ seed: UInt64) {
        let e = Self.episode(seed)
        let r = TerminalReward(Self.rm).tokenRewards(e)
        #expect(r.values.dropLast().allSatisfy { $0 == 0 })
        #expect(r.values.last == Self.rm.score(e))
        #expect(r.returnPreserving)
    }

    @Test("redistribution sums to R", arguments: [UInt64(1), 2, 3, 4])
    func redistributionSumsToR(_ seed: UInt64) {
        let e = Self.episode(seed, length: 3 + Int(seed))
        var g = RandomGenerator(seed: seed + 10)
        let w = (0 ..< e.response.count).map { _ in g.nextFloat() }
        let R = Self.rm.score(e)
        for beta: Float in [0, 0.5, 0.8, 1] {
            let r = Redistribute(Self.rm, beta: beta) { _ in w }.tokenRewards(e)
            #expect(abs(r.total - R) <= 1e-5, "β = \(beta): Σ r = \(r.total), R = \(R)")
            #expect(r.returnPreserving)
            // r_t = β R w_t / Σw (+ (1 − β) R on the last token).
            let s = w.reduce(0, +)
            #expect(abs(r.values[0] - beta * R * w[0] / s) <= 1e-6)
        }
        let u = Redistribute.uniform(Self.rm).tokenRewards(e)
        #expect(u.values.allSatisfy { abs($0 - R / Float(e.response.count)) <= 1e-6 })
        // All-zero weights put R on the last token.
        let z = Redistribute(Self.rm, beta: 0.7) { [Float](repeating: 0, count: $0.response.count) }.tokenRewards(e)
        #expect(z.values.last == R && abs(z.total - R) <= 1e-6)
    }

    @Test("ABC: attention redistribution sums to R", arguments: [UInt64(1), 2, 3])
    func attentionCreditSumsToR(_ seed: UInt64) {
        var g = RandomGenerator(seed: seed)
        let H = 3, S = 9
        var a = Tensor.randomUniform([H, S, S], using: &g)
        a = a / a.sum(axis: -1, keepDims: true)
        let w = AttentionCredit.weights(attention: a, scoringPosition: S - 1, response: 4 ..< 9)
        #expect(abs(w.reduce(0, +) - 1) <= 1e-6 && w.allSatisfy { $0 >= 0 })
        let r = AttentionCredit.tokenRewards(sequenceReward: -2.3, weights: w, beta: 0.8)
        #expect(abs(r.reduce(0, +) + 2.3) <= 1e-5)
        let wd = AttentionCredit.generatorWeights(attention: a, response: 4 ..< 9)
        #expect(abs(wd.reduce(0, +) - 1) <= 1e-6 && wd.last == 0, "ABC-D: the last token is attended by no later step")
    }

    @Test("potential shaping telescopes", arguments: [UInt64(1), 2, 3])
    func potentialShapingTelescopes(_ seed: UInt64) {
        let e = Self.episode(seed)
        let v = PrefixValueFunction { prompt, prefix in
            Float((prompt.reduce(0) { $0 + Int($1) } + 3 * prefix.reduce(0) { $0 + Int($1) }) % 23) / 7 - Float(prefix.count) * 0.1
        }
        let v0 = v.value(prompt: e.prompt, prefix: [])
        let vT = v.value(prompt: e.prompt, prefix: e.response)
        let plain = PotentialShaping(v).tokenRewards(e)
        #expect(abs(plain.total - (vT - v0)) <= 1e-5, "Σ r = V_T − V_0")
        #expect(!plain.returnPreserving)
        let shaped = PotentialShaping(v, terminal: Self.rm).tokenRewards(e)
        let R = Self.rm.score(e)
        #expect(abs(shaped.total - (R - v0)) <= 1e-5, "with a terminal reward: Σ r = R − V(x, ∅)")
        #expect(shaped.returnPreserving)
        // r_t = V_t − V_{t−1} for t < T.
        let v1 = v.value(prompt: e.prompt, prefix: Array(e.response.prefix(1)))
        #expect(abs(shaped.values[0] - (v1 - v0)) <= 1e-6)
        // Two responses of the same prompt: the shaped returns differ exactly as the rewards do.
        let e2 = Episode(prompt: e.prompt, response: Self.episode(seed + 7).response)
        let s2 = PotentialShaping(v, terminal: Self.rm).tokenRewards(e2)
        #expect(abs((shaped.total - s2.total) - (R - Self.rm.score(e2))) <= 1e-5)
    }

    @Test func klShapingAndSum() {
        let e = Self.episode(9)
        let lp = TokenLogProbFunction { e in e.response.map { -Float($0 % 7) / 3 - 0.1 } }
        let lr = TokenLogProbFunction { e in e.response.map { -Float($0 % 5) / 2 - 0.2 } }
        let base = TerminalReward(Self.rm)
        let kl = KLShaped(base, policy: lp, reference: lr, coefficient: 0.05).tokenRewards(e)
        let p = lp.tokenLogProbs(e), q = lr.tokenLogProbs(e), b = base.tokenRewards(e).values
        for t in 0 ..< e.response.count { #expect(abs(kl.values[t] - (b[t] - 0.05 * (p[t] - q[t]))) <= 1e-6) }
        #expect(!kl.returnPreserving)
        let sum = Sum([base, Redistribute.uniform(Self.rm)], weights: [0.3, 2]).tokenRewards(e)
        let u = Redistribute.uniform(Self.rm).tokenRewards(e).values
        for t in 0 ..< e.response.count { #expect(abs(sum.values[t] - (0.3 * b[t] + 2 * u[t])) <= 1e-6) }
        #expect(!sum.returnPreserving)
        #expect(Sum([base]).tokenRewards(e).returnPreserving)
        #expect(KLShaped(base, policy: lp, reference: lr, coefficient: 0.05).cost.needsReferenceModel)
    }

    @Test func implicitRewardSourceAndTensorReadoutsAgree() {
        let rb = RandomBatch(seed: 70)
        let dpo = TokenBatch.tokenLogps(logits: rb.auxLogits[.dpoModel]!, labels: rb.labels, mask: rb.mask)
        let ref = TokenBatch.tokenLogps(logits: rb.referenceLogits, labels: rb.labels, mask: rb.mask)
        let r = ImplicitReward.tokenRewards(dpoLogps: dpo, referenceLogps: ref, mask: rb.mask, beta: 0.1)
        // The sequence implicit reward is DPO's logged reward β Σ m (ℓ^dpo − ℓ^ref).
        let seq = ImplicitReward.sequenceRewards(r, mask: rb.mask)
        expectClose(seq, ((dpo - ref) * rb.mask).sum(axis: 1) * 0.1, atol: 1e-6, "Σ_t r̂_t")
        // Prefix returns end at the sequence reward (masked tails add nothing).
        let prefix = ImplicitReward.prefixReturns(r, mask: rb.mask)
        expectClose(prefix.slice(axis: 1, 4 ..< 5).reshaped([rb.B]), seq, atol: 1e-6, "R̂_{≤T}")
        // The Episode-level source gives the same per-token values.
        let row = 1, T = RandomBatch.T
        let dp = Array(dpo.scalars[(row * T) ..< (row + 1) * T]), rp = Array(ref.scalars[(row * T) ..< (row + 1) * T])
        let src = ImplicitDPOReward(dpo: TokenLogProbFunction { _ in dp }, reference: TokenLogProbFunction { _ in rp }, beta: 0.1)
        let e = Episode(prompt: [1], response: [Int32](repeating: 3, count: T))
        let v = src.tokenRewards(e)
        #expect(zip(v.values, r.scalars[(row * T) ..< (row + 1) * T]).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(src.cost.forwardPassesPerEpisode == 2)
    }

    @Test("the contract: sources name their rewards, batches equal single calls")
    func sourcesNameTheirRewardsAndBatchesAgree() {
        let es = [Self.episode(11), Self.episode(12, length: 4), Self.episode(13, length: 1)]
        let lp = TokenLogProbFunction { e in e.response.map { -Float($0 % 7) / 3 - 0.1 } }
        let lr = TokenLogProbFunction { e in e.response.map { -Float($0 % 5) / 2 - 0.2 } }
        let sources: [any TokenRewardSource] = [
            TerminalReward(Self.rm), Redistribute.uniform(Self.rm), PlacedReward(Self.rm, placement: .spread),
            ImplicitDPOReward(dpo: lp, reference: lr, beta: 0.1), LogProbReward(lp),
            KLShaped(TerminalReward(Self.rm), policy: lp, reference: lr, coefficient: 0.05),
            Sum([TerminalReward(Self.rm), ImplicitDPOReward(dpo: lp, reference: lr, beta: 0.1)], weights: [1, 2]),
        ]
        for s in sources {
            let batch = s.tokenRewards(es)
            #expect(batch == es.map { s.tokenRewards($0) }, "\(s.name)")
            #expect(batch.allSatisfy { $0.source == s.name && !$0.source.isEmpty }, "\(s.name)")
            #expect(zip(batch, es).allSatisfy { $0.values.count == $1.response.count }, "\(s.name)")
        }
        #expect(TerminalReward(Self.rm).tokenRewards(es[0]).sequenceReward == Self.rm.score(es[0]))
        #expect(Sum([TerminalReward(Self.rm), ImplicitDPOReward(dpo: lp, reference: lr, beta: 0.1)]).name == "terminal + implicit-dpo")
    }

    @Test("placing a sequence reward: last token, spread, every token", arguments: [UInt64(1), 2, 3])
    func sequenceRewardPlacement(_ seed: UInt64) {
        let e = Self.episode(seed, length: 2 + Int(seed))
        let R = Self.rm.score(e), T = Float(e.response.count)
        let last = PlacedReward(Self.rm, placement: .lastToken).tokenRewards(e)
        #expect(last.values == TerminalReward(Self.rm).tokenRewards(e).values && last.returnPreserving)
        let spread = PlacedReward(Self.rm, placement: .spread).tokenRewards(e)
        #expect(spread.values.allSatisfy { $0 == R / T } && abs(spread.total - R) <= 1e-5 && spread.returnPreserving)
        let every = PlacedReward(Self.rm, placement: .everyToken).tokenRewards(e)
        #expect(every.values.allSatisfy { $0 == R } && !every.returnPreserving)
        #expect(every.sequenceReward == R)
        // Another source's sequence reward, placed: here a terminal reward's R, spread.
        let placed = PlacedReward(sequenceRewardOf: TerminalReward(Self.rm), placement: .spread).tokenRewards(e)
        #expect(placed.values == spread.values)
        // A source without a sequence reward contributes Σ_t r_t.
        let lp = TokenLogProbFunction { e in e.response.map { -Float($0 % 7) / 3 - 0.1 } }
        let fromSum = PlacedReward(sequenceRewardOf: LogProbReward(lp), placement: .lastToken).tokenRewards(e)
        #expect(fromSum.values.last == lp.tokenLogProbs(e).reduce(0, +))
    }

    @Test("sums compose any sources; the sequence reward adds when every stream has one")
    func sumsComposeSequenceRewards() {
        let e = Self.episode(21)
        let lp = TokenLogProbFunction { e in e.response.map { -Float($0 % 7) / 3 - 0.1 } }
        let withR = Sum([TerminalReward(Self.rm), PlacedReward(Self.rm, placement: .everyToken)], weights: [0.5, 2]).tokenRewards(e)
        let R = Self.rm.score(e)
        #expect(withR.sequenceReward.map { abs($0 - 2.5 * R) <= 1e-6 } == true)
        #expect(Sum([TerminalReward(Self.rm), LogProbReward(lp)]).tokenRewards(e).sequenceReward == nil)
    }

    @Test("the contrastive source computes the tensor read-out's scores", arguments: [Float(1), 0.5, 0])
    func contrastiveSourceMatchesTheTensorScores(_ gamma: Float) {
        let rb = RandomBatch(seed: 74)
        let zp = rb.auxLogits[.positiveModel]!, zn = rb.auxLogits[.negativeModel]!
        let c = ContrastiveCriticalTokens.scores(positiveLogits: zp, negativeLogits: zn, labels: rb.labels, gamma: gamma, mask: rb.mask)
        let row = 1, T = RandomBatch.T, V = RandomBatch.V  // row 1 is fully unmasked
        let slice = (row * T * V) ..< ((row + 1) * T * V)
        let logits = TokenLogitsFunction(vocabularySize: V, modelCount: 2) { _ in [Array(zp.scalars[slice]), Array(zn.scalars[slice])] }
        let e = Episode(prompt: [0], response: Array(rb.labels.data[(row * T) ..< ((row + 1) * T)]))
        let r = ContrastiveCriticalTokenReward(logits: logits, gamma: gamma).tokenRewards(e)
        #expect(r.source == "cdpo-contrastive")
        for t in 0 ..< T { #expect(abs(r.values[t] - c[row, t]) <= 1e-6, "token \(t): \(r.values[t]) vs \(c[row, t])") }
    }

    @Test("the ABC source: R·α with β = 1, Σ r = R for any β", arguments: [Float(1), 0.8, 0.5])
    func attentionCreditSourceSumsToR(_ beta: Float) {
        var g = RandomGenerator(seed: 75)
        let H = 2, S = 8
        var a = Tensor.randomUniform([H, S, S], using: &g)
        a = a / a.sum(axis: -1, keepDims: true)
        let e = Self.episode(5, length: 5)
        let alpha = AttentionCredit.weights(attention: a, scoringPosition: S - 1, response: 3 ..< 8)
        let r = AttentionCreditReward(reward: Self.rm, beta: beta) { es in es.map { _ in alpha } }.tokenRewards(e)
        let R = Self.rm.score(e)
        #expect(abs(r.total - R) <= 1e-5 && r.returnPreserving && r.sequenceReward == R)
        let expected = AttentionCredit.tokenRewards(sequenceReward: R, weights: alpha, beta: beta)
        #expect(zip(r.values, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
        if beta == 1 { #expect(r.values == alpha.map { $0 * R }) }
    }

    @Test func rtoRewardStructure() {
        let rb = RandomBatch(seed: 71)
        let z = Tensor.zeros(rb.mask.shape)
        let R = Tensor([3, -20, 0.5, 12])
        // Only the terminal term: R̃ clamped to ±10 on the last valid token.
        let r = RTOReward.tokenRewards(dpoLogps: z, referenceLogps: z, oldLogps: z, sequenceRewards: R, mask: rb.mask)
        expectClose(r.sum(axis: 1), Tensor([3, -10, 0.5, 10]), atol: 0, "terminal rewards")
        #expect(r[0, 3] == 3 && r[3, 2] == 10, "on the last valid token")
        // The dense term is clipped to ±c.
        let big = Tensor(shape: rb.mask.shape, repeating: 50)
        let d = RTOReward.tokenRewards(dpoLogps: big, referenceLogps: z, oldLogps: z, sequenceRewards: Tensor.zeros([4]), mask: rb.mask)
        expectClose(d, rb.mask * 0.05, atol: 1e-7, "clip(0.05·50, ±0.05)")
    }

    @Test func criticalTokenScores() {
        let rb = RandomBatch(seed: 72)
        let zp = rb.auxLogits[.positiveModel]!, zn = rb.auxLogits[.negativeModel]!
        let c = ContrastiveCriticalTokens.scores(positiveLogits: zp, negativeLogits: zn, labels: rb.labels, mask: rb.mask)
        #expect(c.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // γ = 0 is the positive model's own probability.
        let c0 = ContrastiveCriticalTokens.scores(positiveLogits: zp, negativeLogits: zn, labels: rb.labels, gamma: 0, mask: rb.mask)
        expectClose(c0, TokenBatch.tokenLogps(logits: zp, labels: rb.labels, mask: rb.mask).exp() * rb.mask, atol: 1e-6, "γ = 0")
        // Identical models: the contrast is the model itself.
        let same = ContrastiveCriticalTokens.scores(positiveLogits: zp, negativeLogits: zp, labels: rb.labels, mask: rb.mask)
        expectClose(same, c0, atol: 1e-6, "z⁺ = z⁻")
        let w = ContrastiveCriticalTokens.weights(scores: c, chosen: false)
        expectClose(w, 1 - c, atol: 0, "rejected weights 1 − c")
        #expect(ContrastiveCriticalTokens.weights(scores: c, chosen: true).scalars.allSatisfy { $0 == 1 }, "only_neg chosen weights")
    }

    @Test func spanLabels() {
        let spans = [[LabeledSpan(start: 1, end: 3, label: -0.3), LabeledSpan(start: 3, end: 6, label: 0.3)], [LabeledSpan(start: 4, end: 9, label: 1)]]
        let end = TokenLabels.fromSpans(spans, length: 5, placement: .spanEnd)
        expectClose(end.mask, Tensor(shape: [2, 5], data: [0, 0, 1, 0, 1, 0, 0, 0, 0, 1]), atol: 0, "span-end mask")
        expectClose(end.targets, Tensor(shape: [2, 5], data: [0, 0, -0.3, 0, 0.3, 0, 0, 0, 0, 1]), atol: 0, "span-end targets")
        let all = TokenLabels.fromSpans(spans, length: 5, placement: .everyToken)
        expectClose(all.mask, Tensor(shape: [2, 5], data: [0, 1, 1, 1, 1, 0, 0, 0, 0, 1]), atol: 0, "every-token mask")
    }

    @Test func activationMasks() {
        var g = RandomGenerator(seed: 73)
        let mask = Tensor(shape: [2, 4], data: [0, 1, 1, 1, 1, 0, 0, 0])
        let acts = [[Tensor.randomNormal([2, 4, 3], using: &g), Tensor.randomNormal([2, 4, 5], using: &g)], [Tensor.randomNormal([2, 4, 2], using: &g)]]
        let m = SparsePO.activationMask(acts, mask: mask)
        #expect(m.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(m[0, 0] == 0 && m[1, 1] == 0, "masked positions are 0")
        #expect(m[1, 0] == 1, "a single-token row gets 1, not NaN")
        // Each hook's min–max map reaches 0 and 1 within a row; one hook type, one tensor: exactly.
        let single = SparsePO.activationMask([[acts[1][0]]], mask: mask)
        let row0 = [single[0, 1], single[0, 2], single[0, 3]]
        #expect(row0.min() == 0 && row0.max() == 1)
    }
}
