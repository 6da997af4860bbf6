// Invariants of the online-RL maths: closed forms of the estimators, where clipped gradients are
// zero, the on-policy gradient −A·(aggregation weight), masked positions, gradient accumulation
// with a global normaliser, and bad input (NaN rewards, groups of one, empty rows).
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("Online RL: estimator invariants")
struct RLEstimatorInvariantTests {
    static let seeds: [UInt64] = [41, 42, 43]

    /// Σ_t m r per row, written out.
    static func rowRewards(_ rr: RandomRollout) -> [Float] {
        let r = rr.rewards.scalars, m = rr.mask.scalars, T = RandomRollout.T
        return (0 ..< RandomRollout.B).map { i in (0 ..< T).reduce(Float(0)) { $0 + (m[i * T + $1] != 0 ? r[i * T + $1] : 0) } }
    }

    /// The first trained position's value of each row (advantages are constant along a row).
    static func rowValues(_ a: Tensor, mask: Tensor) -> [Float] {
        let v = a.scalars, m = mask.scalars, T = mask.shape[1]
        return (0 ..< mask.shape[0]).map { i in (0 ..< T).first { m[i * T + $0] != 0 }.map { v[i * T + $0] } ?? 0 }
    }

    @Test("GRPO and Dr. GRPO advantages are zero-mean in every group", arguments: seeds)
    func grpoZeroMean(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed)
        for (name, settings) in [("grpo", AdvantageSettings()), ("grpo", AdvantageSettings(scaleRewards: .batch)), ("dr-grpo", AdvantageSettings())] {
            let a = Self.rowValues(try AdvantageEstimators.make(name, settings: settings).estimate(rr.batch()).advantages, mask: rr.mask)
            for g in [0 ..< 3, 3 ..< 6] {
                expectClose(a[g].reduce(0, +), 0, atol: 1e-5, "\(name) \(settings.scaleRewards?.rawValue ?? "") group mean")
            }
        }
        // Group scaling also gives unit (unbiased) std up to ε.
        let a = Self.rowValues(try AdvantageEstimators.make("grpo", settings: AdvantageSettings(epsilon: 0)).estimate(rr.batch()).advantages, mask: rr.mask)
        for g in [0 ..< 3, 3 ..< 6] {
            let xs = Array(a[g]); let mu = xs.reduce(0, +) / 3
            expectClose(xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 2, 1, atol: 1e-5, "grpo group variance")
        }
    }

    @Test("RLOO = R − mean of the others = k/(k−1)(R − mean)", arguments: seeds)
    func rloo(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed)
        let R = Self.rowRewards(rr)
        let a = Self.rowValues(try RLOOAdvantage().estimate(rr.batch()).advantages, mask: rr.mask)
        for g in [0 ..< 3, 3 ..< 6] {
            let mean = R[g].reduce(0, +) / 3
            for i in g {
                let others = (R[g].reduce(0, +) - R[i]) / 2
                expectClose(a[i], R[i] - others, atol: 1e-5, "leave-one-out")
                expectClose(a[i], 1.5 * (R[i] - mean), atol: 1e-5, "k/(k−1) form")
            }
        }
    }

    @Test("GAE with γ = λ = 1 is reward-to-go − V; with λ = 0 it is δ_t", arguments: seeds)
    func gaeLimits(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed)
        let r = rr.rewards.scalars, v = rr.values.scalars, m = rr.mask.scalars, T = RandomRollout.T
        let full = try GAE(gamma: 1, lambda: 1, whiten: false).estimate(rr.batch())
        let gamma: Float = 0.9
        let td = try GAE(gamma: gamma, lambda: 0, whiten: false).estimate(rr.batch())
        for i in 0 ..< RandomRollout.B {
            let valid = (0 ..< T).filter { m[i * T + $0] != 0 }
            for (k, t) in valid.enumerated() {
                let togo = valid[k...].reduce(Float(0)) { $0 + r[i * T + $1] }
                expectClose(full.advantages[i, t], togo - v[i * T + t], atol: 1e-5, "γ=λ=1 at \(i),\(t)")
                expectClose(full.returns[i, t], togo, atol: 1e-5, "γ=λ=1 return at \(i),\(t)")
                let next: Float = k + 1 < valid.count ? v[i * T + valid[k + 1]] : 0
                expectClose(td.advantages[i, t], r[i * T + t] + gamma * next - v[i * T + t], atol: 1e-5, "λ=0 at \(i),\(t)")
            }
            for t in 0 ..< T where m[i * T + t] == 0 { #expect(full.advantages[i, t] == 0 && full.returns[i, t] == 0) }
        }
    }

    @Test("a masked hole in the middle gives the same GAE, REINFORCE++ and ReMax values as the response without it")
    func holesAreSkipped() throws {
        // Row 0: 5 tokens with a 2-token hole; row 1: the same 5 tokens contiguous.
        let T = 7
        let m0: [Float] = [1, 1, 0, 0, 1, 1, 1], m1: [Float] = [1, 1, 1, 1, 1, 0, 0]
        let r: [Float] = [0.3, -0.2, 0.5, 0.1, 1.5], v: [Float] = [0.4, 0.1, -0.3, 0.2, 0.6]
        func spread(_ x: [Float], _ m: [Float], junk: Float) -> [Float] {
            var k = 0
            return m.map { $0 != 0 ? { defer { k += 1 }; return x[k] }() : junk }
        }
        let mask = Tensor(shape: [2, T], data: m0 + m1)
        let batch = try RolloutBatch(mask: mask, tokenRewards: Tensor(shape: [2, T], data: spread(r, m0, junk: 9) + spread(r, m1, junk: -9)),
                                     values: Tensor(shape: [2, T], data: spread(v, m0, junk: 7) + spread(v, m1, junk: -7)),
                                     rewardBaselines: Tensor([0.2, 0.2]))
        let estimators: [any AdvantageEstimator] = [try GAE(gamma: 0.95, lambda: 0.9, whiten: false),
                                                    try ReinforcePlusPlusAdvantage(gamma: 0.9), ReMaxAdvantage()]
        for e in estimators {
            let out = try e.estimate(batch)
            let holeA = (0 ..< T).filter { m0[$0] != 0 }.map { out.advantages[0, $0] }
            let denseA = (0 ..< T).filter { m1[$0] != 0 }.map { out.advantages[1, $0] }
            let holeG = (0 ..< T).filter { m0[$0] != 0 }.map { out.returns[0, $0] }
            let denseG = (0 ..< T).filter { m1[$0] != 0 }.map { out.returns[1, $0] }
            expectClose(Tensor(holeA), Tensor(denseA), atol: 1e-6, "\(e.name) advantages with a hole")
            expectClose(Tensor(holeG), Tensor(denseG), atol: 1e-6, "\(e.name) returns with a hole")
        }
    }

    @Test("Pass@k: only the best response per group is non-zero, equal to best − second (unscaled)")
    func passK() throws {
        let rr = RandomRollout(seed: 44)
        let R = Self.rowRewards(rr)
        let a = Self.rowValues(try AdvantageEstimators.make("grpo-passk", settings: AdvantageSettings(scaleRewards: RewardScaling.none))
            .estimate(rr.batch()).advantages, mask: rr.mask)
        for g in [0 ..< 3, 3 ..< 6] {
            let sorted = R[g].sorted(by: >)
            let best = g.first { R[$0] == sorted[0] }!
            for i in g { expectClose(a[i], i == best ? sorted[0] - sorted[1] : 0, atol: 1e-6, "pass@k row \(i)") }
        }
    }

    @Test("sequence rewards placed on the last valid token are recovered; ReMax needs its baselines")
    func sequenceRewardPlacement() throws {
        let mask = Tensor(shape: [3, 4], data: [0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0])
        let r = try RolloutBatch.placingSequenceRewards([2, -1, 5], mask: mask)
        #expect(r.scalars == [0, 0, 2, 0, 0, 0, 0, -1, 0, 0, 0, 0])
        let batch = try RolloutBatch(mask: mask, tokenRewards: r)
        #expect(try batch.sequenceRewards() == [2, -1, 0])
        #expect(throws: RLInputError.missing(field: "rewardBaselines (the greedy response's reward per row)", method: "remax")) {
            try ReMaxAdvantage().estimate(batch)
        }
    }
}

@Suite("Online RL: bad input")
struct RLBadInputTests {
    @Test("a NaN reward throws an error naming the row, for every estimator")
    func nanReward() throws {
        let rr = RandomRollout(seed: 51)
        var rewards = rr.rewards
        rewards[4, 2] = .nan  // row 4, position 2 is trained
        let batch = try RolloutBatch(mask: rr.mask, tokenRewards: rewards, groupIDs: rr.groups, values: rr.values,
                                     rewardBaselines: Tensor(shape: [6], repeating: 0))
        for name in AdvantageEstimators.registry.names {
            do {
                _ = try AdvantageEstimators.make(name).estimate(batch)
                Issue.record("\(name): no error for a NaN reward")
            } catch let e as RLInputError {
                guard case let .nonFinite(field, row, position, _) = e else {
                    Issue.record("\(name): \(e)")
                    continue
                }
                #expect(field == "tokenRewards" && row == 4 && position == 2, "\(name): \(e)")
                #expect("\(e)".contains("row 4"), "\(name): \(e)")
            }
        }
        #expect(throws: RLInputError.self) { try RolloutBatch.placingSequenceRewards([1, .nan], mask: Tensor(shape: [2, 2], repeating: 1)) }
        // A NaN at a masked position is never read.
        var masked = rr.rewards
        masked[0, 0] = .nan
        let ok = try RolloutBatch(mask: rr.mask, tokenRewards: masked, groupIDs: rr.groups, values: rr.values)
        #expect(try GRPOAdvantage().estimate(ok).advantages.scalars.allSatisfy { $0.isFinite })
    }

    @Test("a group of size 1 follows verl's rule: mean 0, std 1 (GRPO A = R/(1+ε), RLOO and Dr. GRPO A = R); Pass@k throws")
    func singletonGroup() throws {
        let mask = Tensor(shape: [3, 3], data: [1, 1, 0, 1, 1, 1, 0, 1, 1])
        let rewards = try RolloutBatch.placingSequenceRewards([0.7, 1.3, -0.4], mask: mask)
        let batch = try RolloutBatch(mask: mask, tokenRewards: rewards, groupIDs: [0, 0, 9])
        let eps: Float = 1e-4
        expectClose(try GRPOAdvantage().estimate(batch).advantages[2, 2], -0.4 / (1 + eps), atol: 1e-7, "GRPO singleton")
        expectClose(try GRPOAdvantage.drGRPO().estimate(batch).advantages[2, 2], -0.4, atol: 1e-7, "Dr. GRPO singleton")
        expectClose(try RLOOAdvantage().estimate(batch).advantages[2, 2], -0.4, atol: 1e-7, "RLOO singleton")
        #expect(throws: RLInputError.groupTooSmall(method: "grpo-passk", group: 9, size: 1, needed: 2)) {
            try AdvantageEstimators.make("grpo-passk").estimate(batch)
        }
    }

    @Test("an all-masked row gives finite advantages, losses and gradients (0 for that row)")
    func emptyRow() throws {
        var rr = RandomRollout(seed: 52)
        var m = rr.mask
        for t in 0 ..< RandomRollout.T { m[2, t] = 0 }
        rr.mask = m
        let batch = rr.batch()
        var withBaselines = batch
        withBaselines.rewardBaselines = Tensor(shape: [6], repeating: 0.1)
        for name in AdvantageEstimators.registry.names {
            let out = try AdvantageEstimators.make(name).estimate(withBaselines)
            #expect(out.advantages.scalars.allSatisfy { $0.isFinite } && out.returns.scalars.allSatisfy { $0.isFinite }, "\(name)")
            for t in 0 ..< RandomRollout.T { #expect(out.advantages[2, t] == 0, "\(name)") }
        }
        for label in RLCatalogue.labels {
            let (loss, kind, entropy) = try RLCatalogue.loss(label)
            let r = try policyLossAndGradient(loss, batch: batch, logps: rr.logps, advantages: rr.advantages(kind),
                                              entropy: entropy ? rr.entropies : nil)
            #expect(r.loss.isFinite, "\(label)")
            #expect(r.grad.scalars.allSatisfy { $0.isFinite }, "\(label)")
            for t in 0 ..< RandomRollout.T { #expect(r.grad[2, t] == 0, "\(label)") }
            for (k, v) in r.metrics { #expect(v.isFinite, "\(label) metric \(k)") }
        }
        // A batch with no trained token at all.
        let empty = try RolloutBatch(mask: Tensor.zeros([2, 3]), tokenRewards: Tensor.zeros([2, 3]), groupIDs: [0, 0], values: Tensor.zeros([2, 3]))
        for name in ["gae", "grpo", "rloo", "reinforce++", "reinforce++-baseline"] {
            #expect(try AdvantageEstimators.make(name).estimate(empty).advantages.scalars.allSatisfy { $0 == 0 }, "\(name)")
        }
        let r = try policyLossAndGradient(PPOLoss(), batch: empty, logps: Tensor.zeros([2, 3]), advantages: Tensor.zeros([2, 3]))
        #expect(r.loss == 0)
    }

    @Test("shape mismatches and missing inputs are thrown")
    func shapesAndMissing() throws {
        let rr = RandomRollout(seed: 53)
        #expect(throws: RLInputError.self) { try RolloutBatch(mask: rr.mask, tokenRewards: Tensor.zeros([6, 5])) }
        #expect(throws: RLInputError.self) { try RolloutBatch(mask: rr.mask, tokenRewards: rr.rewards, groupIDs: [0, 1]) }
        let bare = try RolloutBatch(mask: rr.mask, tokenRewards: rr.rewards)
        #expect(throws: RLInputError.missing(field: "values", method: "gae")) { try GAE().estimate(bare) }
        #expect(throws: RLInputError.self) {
            try policyLossAndGradient(ReinforceISLoss(), batch: bare, logps: rr.logps, advantages: rr.tokenAdvantages)
        }
        #expect(throws: RLInputError.self) {
            try policyLossAndGradient(PPOLoss(regularizers: PolicyRegularizers(klCoefficient: 0.1)), batch: bare,
                                      logps: rr.logps, advantages: rr.tokenAdvantages)
        }
        var nanAdv = rr.tokenAdvantages
        nanAdv[3, 1] = .nan
        do {
            _ = try policyLossAndGradient(PPOLoss(), batch: rr.batch(), logps: rr.logps, advantages: nanAdv)
            Issue.record("no error for a NaN advantage")
        } catch let e as RLInputError {
            #expect("\(e)".contains("row 3"), "\(e)")
        }
    }
}

@Suite("Online RL: policy-loss invariants")
struct RLLossInvariantTests {
    static let seeds: [UInt64] = [61, 62, 63]

    /// verl's and TRL's rule for where the clipped surrogate passes gradient.
    @Test("clip-higher and dual-clip: gradient −Aρ/N_tok, exactly 0 where the clip binds", arguments: seeds)
    func ppoClipZeros(_ seed: UInt64) throws {
        var rr = RandomRollout(seed: seed, logRatioScale: 0.6)
        var old = rr.oldLogps
        old[5, 3] = rr.logps[5, 3] - 1.6  // ρ ≈ 5 > c
        rr.oldLogps = old
        var adv = rr.tokenAdvantages
        adv[5, 3] = -0.7
        rr.tokenAdvantages = adv
        let (el, eh, c): (Float, Float, Float) = (0.2, 0.28, 3)
        let loss = try PPOLoss(clipLow: el, clipHigh: eh, dualClip: c)
        let r = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: rr.tokenAdvantages)
        let m = rr.mask.scalars, n = rr.mask.sum().scalar
        var zeros = 0, dual = 0
        for k in 0 ..< m.count where m[k] != 0 {
            let a = rr.tokenAdvantages[flat: k], rho = fexp(rr.logps[flat: k] - rr.oldLogps[flat: k])
            let bound = (a > 0 && rho > 1 + eh) || (a < 0 && rho < 1 - el) || (a < 0 && rho > c)
            if a < 0 && rho > c { dual += 1 }
            if bound {
                zeros += 1
                #expect(r.grad[flat: k] == 0, "token \(k): ρ = \(rho), A = \(a), gradient \(r.grad[flat: k])")
            } else {
                expectClose(r.grad[flat: k], -a * rho / n, atol: 1e-6, rtol: 1e-5, "token \(k)")
            }
        }
        #expect(zeros > 1 && dual >= 1, "the example exercises the clip (\(zeros) clipped, \(dual) dual)")
        // Clip-higher only changes tokens with A > 0: symmetric ε_high = 0.2 differs exactly there.
        let sym = try policyLossAndGradient(PPOLoss(clipLow: el, clipHigh: 0.2, dualClip: c), batch: rr.batch(),
                                            logps: rr.logps, advantages: rr.tokenAdvantages)
        for k in 0 ..< m.count where m[k] != 0 && rr.tokenAdvantages[flat: k] < 0 { #expect(sym.grad[flat: k] == r.grad[flat: k]) }
    }

    @Test("GMPO: every unclipped token of a response has the same gradient −Āρ̄/(N|y|); clipped ones 0", arguments: seeds)
    func gmpoEqualGradients(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed, logRatioScale: 0.3)
        let (el, eh): (Float, Float) = (0.2, 0.25)
        let r = try policyLossAndGradient(GMPOLoss(clipLow: el, clipHigh: eh), batch: rr.batch(), logps: rr.logps,
                                          advantages: rr.sequenceAdvantages)
        let B = RandomRollout.B, T = RandomRollout.T
        var clippedSeen = 0
        for i in 0 ..< B {
            let valid = (0 ..< T).filter { rr.mask[i, $0] != 0 }
            guard !valid.isEmpty else { continue }
            let a = rr.sequenceAdvantages[i, valid[0]]
            let n = Float(valid.count)
            var sumC: Float = 0
            var unclipped: [Int] = []
            for t in valid {
                let d = rr.logps[i, t] - rr.oldLogps[i, t]
                let c = a > 0 ? min(d, eh) : max(d, -el)
                sumC += c
                if c == d { unclipped.append(t) } else { clippedSeen += 1 }
            }
            let expected = -a * fexp(sumC / n) / (Float(B) * n)
            for t in valid {
                if unclipped.contains(t) { expectClose(r.grad[i, t], expected, atol: 1e-6, rtol: 1e-5, "row \(i) token \(t)") }
                else { #expect(r.grad[i, t] == 0, "clipped token \(i),\(t)") }
            }
        }
        #expect(clippedSeen > 0)
    }

    /// At ρ = 1 (ℓ^old = ℓ; for REINFORCE-IS also ℓ^μ = ℓ^old so w = 1) every loss's gradient is −A
    /// times the aggregation weight of the token (for GMPO, −Ā_i/(N|y_i|)); EM-FT's is 0 in ℓ and the
    /// weight itself in H.
    @Test("on-policy (ρ = 1) gradient = −A · aggregation weight", arguments: RLCatalogue.labels)
    func onPolicyGradient(_ label: String) throws {
        var rr = RandomRollout(seed: 64)
        rr.oldLogps = rr.logps
        rr.rolloutLogps = rr.logps
        // ℓ^ref = ℓ too: the k2/k3 KL-loss gradients vanish there, so the identity covers the
        // regularised configurations (the entropy bonus has no ℓ-gradient).
        rr.referenceLogps = rr.logps
        let (loss, kind, entropy) = try RLCatalogue.loss(label)
        #expect(loss.regularizers.klCoefficient == 0 || loss.regularizers.klEstimator != .k1)
        let adv = rr.advantages(kind)
        let r = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: adv,
                                          entropy: entropy ? rr.entropies : nil)
        let B = RandomRollout.B, T = RandomRollout.T
        let nTok = rr.mask.sum().scalar
        let positive = try OREALLoss.positiveMask(rr.batch())
        let nPositive = positive.sum().scalar
        for i in 0 ..< B {
            let n = Float((0 ..< T).filter { rr.mask[i, $0] != 0 }.count)
            for t in 0 ..< T {
                guard rr.mask[i, t] != 0 else { #expect(r.grad[i, t] == 0); continue }
                let weight: Float
                if loss is GMPOLoss { weight = 1 / (Float(B) * n) }
                else if let oreal = loss as? OREALLoss {
                    // OREAL: −ω λ⁺ A/N⁺ on a positive row (−ω λ⁺/N⁺ without pos_mult_adv), −ω λ⁻ A/N⁻ on a negative one.
                    let onPositive = positive[i, t] != 0
                    let factor = onPositive ? oreal.positiveFactor / nPositive : oreal.negativeFactor / (nTok - nPositive)
                    let a = onPositive && !oreal.multiplyPositiveByAdvantage ? 1 : adv[i, t]
                    expectClose(r.grad[i, t], -a * rr.tokenWeights[i, t] * factor, atol: 1e-6, rtol: 1e-5, "\(label) at \(i),\(t)")
                    continue
                } else {
                    switch loss.regularizers.aggregation {
                    case .tokenMean: weight = 1 / nTok
                    case .seqMeanTokenSum: weight = 1 / Float(B)
                    case .seqMeanTokenMean: weight = 1 / (Float(B) * n)
                    case .seqMeanTokenSumNorm(let l): weight = 1 / (Float(B) * l)
                    }
                }
                if loss is EntropyMinimizationLoss {
                    // EM-FT ignores A: no ℓ-gradient, and the entropy's gradient is the aggregation weight.
                    expectClose(r.grad[i, t], 0, atol: 1e-7, "\(label) at \(i),\(t)")
                    expectClose(try #require(r.entropyGrad)[i, t], weight, atol: 1e-6, rtol: 1e-5, "\(label) H at \(i),\(t)")
                } else {
                    expectClose(r.grad[i, t], -adv[i, t] * weight, atol: 1e-6, rtol: 1e-5, "\(label) at \(i),\(t)")
                }
            }
        }
    }

    @Test("masked positions: exactly zero gradient, and junk (NaN, ±inf) there changes nothing", arguments: RLCatalogue.labels)
    func maskedPositions(_ label: String) throws {
        let rr = RandomRollout(seed: 65)
        let junk = rr.withJunkAtMaskedPositions()
        let (loss, kind, entropy) = try RLCatalogue.loss(label)
        let clean = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: rr.advantages(kind),
                                              entropy: entropy ? rr.entropies : nil)
        let dirty = try policyLossAndGradient(loss, batch: junk.batch(), logps: junk.logps, advantages: junk.advantages(kind),
                                              entropy: entropy ? junk.entropies : nil)
        #expect(clean.loss == dirty.loss, "\(label): \(clean.loss) vs \(dirty.loss)")
        #expect(clean.metrics == dirty.metrics, "\(label): metrics changed")
        let m = rr.mask.scalars
        for k in 0 ..< m.count {
            if m[k] == 0 {
                #expect(clean.grad[flat: k] == 0 && dirty.grad[flat: k] == 0, "\(label): gradient at masked \(k)")
                if entropy { #expect(dirty.entropyGrad?[flat: k] == 0) }
            } else {
                #expect(clean.grad[flat: k] == dirty.grad[flat: k], "\(label): gradient changed at \(k)")
            }
        }
        // The estimators and the value loss likewise.
        for name in AdvantageEstimators.registry.names where name != "remax" {
            let a = try AdvantageEstimators.make(name).estimate(rr.batch()), b = try AdvantageEstimators.make(name).estimate(junk.batch())
            #expect(a.advantages.scalars == b.advantages.scalars && a.returns.scalars == b.returns.scalars, "\(name)")
        }
        let v1 = Variable(rr.values + 0.1, requiresGrad: true), v2 = Variable(junk.values + 0.1, requiresGrad: true)
        let l1 = try ClippedValueLoss().compute(values: v1, returns: rr.rewards, batch: rr.batch())
        let l2 = try ClippedValueLoss().compute(values: v2, returns: junk.rewards, batch: junk.batch())
        #expect(l1.loss.scalar == l2.loss.scalar)
        l1.loss.backward(); l2.loss.backward()
        #expect(v1.grad?.scalars == v2.grad?.scalars)
    }

    @Test("gradient accumulation: micro-batch losses with a global normaliser sum to the full-batch loss", arguments: RLCatalogue.labels)
    func globalNormalizer(_ label: String) throws {
        let rr = RandomRollout(seed: 66)
        let (loss, kind, entropy) = try RLCatalogue.loss(label)
        let full = try policyLossAndGradient(loss, batch: rr.batch(), logps: rr.logps, advantages: rr.advantages(kind),
                                             entropy: entropy ? rr.entropies : nil)
        let norm = Normalizer(tokens: rr.mask.sum().scalar, sequences: Float(RandomRollout.B),
                              positiveTokens: try OREALLoss.positiveMask(rr.batch()).sum().scalar)
        var total: Float = 0
        var grads: [Tensor] = []
        for rows in [0 ..< 2, 2 ..< 6] {
            let mb = try RolloutBatch(mask: rr.mask.rows(rows), tokenRewards: rr.rewards.rows(rows), groupIDs: Array(rr.groups[rows]),
                                      oldLogps: rr.oldLogps.rows(rows), referenceLogps: rr.referenceLogps.rows(rows),
                                      rolloutLogps: rr.rolloutLogps.rows(rows), tokenWeights: rr.tokenWeights.rows(rows))
            let r = try policyLossAndGradient(loss, batch: mb, logps: rr.logps.rows(rows), advantages: rr.advantages(kind).rows(rows),
                                              entropy: entropy ? rr.entropies.rows(rows) : nil, normalizer: norm)
            total += r.loss
            grads.append(r.grad)
        }
        expectClose(total, full.loss, atol: 1e-6, rtol: 1e-5, "\(label) summed micro-batch loss")
        expectClose(Tensor.concatenate(grads, axis: 0), full.grad, atol: 1e-7, rtol: 1e-5, "\(label) gradients")
    }
}
