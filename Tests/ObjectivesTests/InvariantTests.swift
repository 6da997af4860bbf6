// The invariants of docs/design/objectives.md §6 and issue 4: reductions to DPO, stationary points, limits,
// masked positions, gradient accumulation with a global normaliser, loss mixing.
import Autograd
import Objectives
import TensorCore
import TestSupport
import Testing

extension RandomBatch {
    /// The same batch with NaN (constants), huge values (the scores Variable), padding label -100
    /// and stray segment ids written into every masked position.
    func withJunkAtMaskedPositions() -> RandomBatch {
        var r = self
        let m = mask.scalars, V = Self.V
        func junk(_ t: Tensor, perPosition n: Int, value: Float = .nan) -> Tensor {
            var x = t
            for i in 0 ..< m.count where m[i] == 0 { for k in 0 ..< n { x[flat: i * n + k] = value } }
            return x
        }
        r.policyLogits = junk(policyLogits, perPosition: V)
        r.referenceLogits = junk(referenceLogits, perPosition: V)
        r.auxLogits = auxLogits.mapValues { junk($0, perPosition: V) }
        r.betterLogps = junk(betterLogps, perPosition: 1)
        r.worseLogps = junk(worseLogps, perPosition: 1, value: .infinity)
        r.weights = junk(weights, perPosition: 1)
        r.klWeights = junk(klWeights, perPosition: 1)
        r.targets = junk(targets, perPosition: 1)
        r.scores = junk(scores, perPosition: 1, value: 1e4)
        r.labels = IndexTensor(shape: labels.shape, data: zip(labels.data, m).map { $1 == 0 ? -100 : $0 })
        r.segmentIDs = IndexTensor(shape: segmentIDs.shape, data: zip(segmentIDs.data, m).map { $1 == 0 ? 7 : $0 })
        return r
    }
}

@Suite("Masked positions")
struct MaskedPositionTests {
    /// docs/design/objectives.md §6, invariant 10: masked positions get exactly zero gradient, and the loss (and every metric)
    /// is unchanged by anything written into them (NaN, ±inf, huge values, padding labels).
    @Test(arguments: Catalogue.all)
    func maskedPositionsAreInert(_ name: String) {
        let rb = RandomBatch(seed: 5)
        let objective = Catalogue.objective(name, similarity: Catalogue.randomSimilarity(V: RandomBatch.V, seed: 5))
        let st = structure(for: name)
        let clean = lossAndGradients(objective, rb, structure: st)
        let junk = lossAndGradients(objective, rb.withJunkAtMaskedPositions(), structure: st)
        #expect(clean.loss == junk.loss, "\(name): loss \(clean.loss) vs \(junk.loss) with junk in masked positions")
        #expect(clean.loss.isFinite, "\(name): loss \(clean.loss)")
        for (k, v) in clean.metrics where k != "mean_score" {
            #expect(junk.metrics[k] == v, "\(name): metric \(k) \(v) vs \(String(describing: junk.metrics[k]))")
        }
        let m = rb.mask.scalars, V = RandomBatch.V
        let gc = clean.logits.scalars, gj = junk.logits.scalars
        let sc = clean.scores.scalars, sj = junk.scores.scalars
        for i in 0 ..< m.count {
            for k in 0 ..< V {
                let j = i * V + k
                if m[i] == 0 {
                    #expect(gj[j] == 0 && gc[j] == 0, "\(name): logits gradient \(gc[j]) / \(gj[j]) at masked position \(i)")
                } else {
                    #expect(gj[j] == gc[j], "\(name): logits gradient changed at \(i),\(k): \(gc[j]) vs \(gj[j])")
                }
            }
            if m[i] == 0 { #expect(sj[i] == 0 && sc[i] == 0, "\(name): scores gradient at masked position \(i)") }
            else { #expect(sj[i] == sc[i], "\(name): scores gradient changed at \(i)") }
        }
    }
}

@Suite("Reductions to DPO and other invariants (docs/design/objectives.md §6)")
struct ReductionInvariantTests {
    static let seeds: [UInt64] = [31, 32, 33]

    func expectSame(_ a: any Objective, _ b: any Objective, _ rb: RandomBatch, _ label: String,
                    atol: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = lossAndGradients(a, rb), y = lossAndGradients(b, rb)
        expectClose(x.loss, y.loss, atol: atol, "\(label) loss", sourceLocation: sourceLocation)
        expectClose(x.logits, y.logits, atol: atol, "\(label) gradient", sourceLocation: sourceLocation)
    }

    @Test(arguments: seeds)
    func tgdpoWithAlphaZeroIsDPO(_ seed: UInt64) {
        expectSame(TGDPO(beta: 0.3, alpha: 0), DPO(beta: 0.3), RandomBatch(seed: seed), "TGDPO α=0 vs DPO")
    }

    @Test(arguments: seeds)
    func criticalTokenWithUnitWeightsIsDPO(_ seed: UInt64) {
        var rb = RandomBatch(seed: seed)
        let ones = Tensor(shape: rb.mask.shape, repeating: 1)
        let z = Variable(rb.policyLogits, requiresGrad: true), z2 = Variable(rb.policyLogits, requiresGrad: true)
        var b = rb.batch(policyLogits: z)
        b.tokenWeights[.criticalToken] = ones
        let a = CriticalTokenDPO(beta: 0.3).compute(b, normalizer: .local)
        a.loss.backward()
        let d = DPO(beta: 0.3).compute(rb.batch(policyLogits: z2), normalizer: .local)
        d.loss.backward()
        expectClose(a.loss.scalar, d.loss.scalar, atol: 1e-6, "cDPO-CT all weights 1 vs DPO loss")
        expectClose(z.grad!, z2.grad!, atol: 1e-6, "cDPO-CT all weights 1 vs DPO gradient")
        // Conservative label smoothing in cDPO-CT with unit weights is conservative DPO.
        rb.weights = ones
        let cs = CriticalTokenDPO(beta: 0.3, labelSmoothing: 0.2).compute(b, normalizer: .local).loss.scalar
        let cd = DPO(.conservative, beta: 0.3, labelSmoothing: 0.2).compute(rb.batch(policyLogits: Variable(rb.policyLogits)), normalizer: .local).loss.scalar
        expectClose(cs, cd, atol: 1e-6, "cDPO-CT ε vs conservative DPO")
    }

    @Test(arguments: seeds)
    func sparsePOWithUnitMasksIsTDPO1(_ seed: UInt64) {
        var rb = RandomBatch(seed: seed)
        rb.weights = Tensor(shape: rb.mask.shape, repeating: 1)
        rb.klWeights = rb.weights
        let x = lossAndGradients(SparsePO(beta: 0.3), rb), y = lossAndGradients(TDPO(.tdpo1, beta: 0.3), rb)
        expectClose(x.loss, y.loss, atol: 1e-6, "SparsePO (masks 1) vs TDPO1 loss")
        expectClose(x.logits, y.logits, atol: 1e-6, "SparsePO (masks 1) vs TDPO1 gradient")
        for k in [MetricName.rewardsChosen, MetricName.rewardsRejected, MetricName.rewardsAccuracies, MetricName.klChosen] {
            expectClose(x.metrics[k]!, y.metrics[k]!, atol: 1e-6, "metric \(k)")
        }
        // Not TDPO2: SparsePO has no stop-gradient.
        let t2 = lossAndGradients(TDPO(.tdpo2, beta: 0.3, alpha: 1), rb)
        expectClose(t2.loss, x.loss, atol: 1e-6, "TDPO2 (α = 1) has TDPO1's value")
        #expect(t2.logits.maxAbsDifference(x.logits) > 1e-4, "TDPO2's gradient must differ from TDPO1's")
    }

    @Test(arguments: seeds)
    func rrpoWithOneSegmentAndNoKLIsDPO(_ seed: UInt64) {
        var rb = RandomBatch(seed: seed)
        rb.segmentIDs = IndexTensor(shape: rb.segmentIDs.shape, data: [Int32](repeating: 1, count: rb.segmentIDs.count))
        expectSame(RRPO(beta: 0.3, alpha: 0), DPO(beta: 0.3), rb, "RRPO one segment α=0 vs DPO")
        // Segment labels do not matter beyond "in a segment or not": relabelling keeps the loss.
        var rb2 = RandomBatch(seed: seed)
        let relabelled = RandomBatch(seed: seed).segmentIDs.data.map { $0 == 0 ? Int32(0) : Int32(3 - $0) }
        rb2.segmentIDs = IndexTensor(shape: rb2.segmentIDs.shape, data: relabelled)
        expectClose(lossAndGradients(RRPO(), RandomBatch(seed: seed)).loss, lossAndGradients(RRPO(), rb2).loss, atol: 1e-6, "RRPO segment relabelling")
    }

    @Test(arguments: seeds)
    func tregReductions(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        expectSame(TREG(alpha: 0), DPO(), rb, "T-REG α=0 vs DPO")
        // Mean-one weights average 1 over each row's tokens.
        let b = rb.batch(policyLogits: Variable(rb.policyLogits))
        let w = TREG().weights(b)
        let rowMean = (w * rb.mask).sum(axis: 1) / rb.mask.sum(axis: 1)
        expectClose(rowMean, Tensor(shape: [rb.B], repeating: 1), atol: 1e-5, "T-REG weights average 1")
    }

    @Test func tokenRMPreferenceImplicitSumIsDPO() {
        let rb = RandomBatch(seed: 40)
        var mb = rb
        mb.margin = Tensor(shape: [RandomBatch.P], repeating: 0)
        expectSame(TokenRewardModelPreferenceLoss(source: .implicit(beta: 0.3), aggregation: .sum), DPO(beta: 0.3), mb,
                   "implicit token RM (sum) vs DPO")
    }

    @Test func lossSmoothingLimits() {
        let rb = RandomBatch(seed: 41)
        let sft = lossAndGradients(SFT(), rb, structure: .sequences)
        let uniform0 = lossAndGradients(TokenLevelLossSmoothing(target: .uniform(epsilon: 0)), rb, structure: .sequences)
        expectClose(uniform0.loss, sft.loss, atol: 1e-6, "ε = 0 smoothing is SFT")
        expectClose(uniform0.logits, sft.logits, atol: 1e-6, "ε = 0 smoothing gradient is SFT's")
        let mle = lossAndGradients(TokenLevelLossSmoothing(target: .uniform(epsilon: 0.3), mleWeight: 1), rb, structure: .sequences)
        expectClose(mle.loss, sft.loss, atol: 1e-6, "mleWeight 1 is SFT")
        // A similarity with a single huge diagonal gives one-hot targets.
        var s = Tensor(shape: [RandomBatch.V, RandomBatch.V], repeating: 0)
        for i in 0 ..< RandomBatch.V { s[i, i] = 60 }
        let sharp = lossAndGradients(TokenLevelLossSmoothing(target: .similarity(s, temperature: 1)), rb, structure: .sequences)
        expectClose(sharp.loss, sft.loss, atol: 1e-5, "sharp similarity is SFT")
        // Constant off-diagonal similarity is uniform label smoothing with ε = (V−1)/(e^{d/τ} + V − 1)·V/(V−1)…
        // checked directly: q from similarity diag d equals (1−ε)onehot + ε/V with ε = V/(e^d + V − 1).
        var sd = Tensor(shape: [RandomBatch.V, RandomBatch.V], repeating: 0)
        let dg: Float = 2
        for i in 0 ..< RandomBatch.V { sd[i, i] = dg }
        let eps = Float(RandomBatch.V) / (fexp(dg) + Float(RandomBatch.V - 1))
        let a = lossAndGradients(TokenLevelLossSmoothing(target: .similarity(sd, temperature: 1)), rb, structure: .sequences)
        let u = lossAndGradients(TokenLevelLossSmoothing(target: .uniform(epsilon: eps)), rb, structure: .sequences)
        expectClose(a.loss, u.loss, atol: 1e-5, "constant similarity = label smoothing")
        // RAML with one candidate per group is sequence-level maximum likelihood.
        let one = lossAndGradients(SequenceLevelLossSmoothing(temperature: 1), rb, structure: .groups([0, 1, 2, 3]))
        let ml = lossAndGradients(SFT(reduction: .seqMeanTokenSum), rb, structure: .sequences)
        expectClose(one.loss, ml.loss, atol: 1e-5, "RAML, one candidate per group = sequence ML")
        expectClose(one.logits, ml.logits, atol: 1e-6, "RAML, one candidate per group = sequence ML (gradient)")
    }

    @Test func alignDistilTeacherLimits() {
        // docs/design/objectives.md §6, invariant 8: theorem1 with β/β₂ = 1 has the DPO model as teacher; β/β₂ → 0 the reference.
        let rb = RandomBatch(seed: 42)
        let zp = rb.auxLogits[.dpoModel]!, zm = rb.auxLogits[.reverseDPOModel]!
        let t1 = AlignDistil(mode: .theorem1, beta: 0.5, beta2: 0.5).teacher(dpoLogits: zp, secondLogits: zm)
        expectClose(t1.logProbabilities, zp.logSoftmax(), atol: 1e-6, "β/β₂ = 1: teacher = π_dpo")
        let t0 = AlignDistil(mode: .theorem1, beta: 1e-7, beta2: 1).teacher(dpoLogits: zp, secondLogits: zm)
        expectClose(t0.logProbabilities, zm.logSoftmax(), atol: 1e-5, "β/β₂ → 0: teacher = π_ref")
        // Distilling onto the teacher itself gives zero loss.
        let teacherLogits = zp * 1.5 - zm * 0.5  // theorem1 with β/β₂ = 1.5 (extrapolation)
        let out = lossAndGradients(AlignDistil(mode: .theorem1, beta: 1.5, beta2: 1), rb, structure: .sequences, logits: teacherLogits)
        expectClose(out.loss, 0, atol: 1e-5, "student = teacher")
        expectClose(out.logits, Tensor.zeros(like: out.logits), atol: 1e-5, "student = teacher gradient")
    }
}

@Suite("DPO-family limits (docs/design/objectives.md §2.2–§2.3)")
struct DPOLimitTests {
    /// A single pair whose margin h is the chosen sequence log-ratio (everything else 0).
    func pairLoss(_ objective: DPO, _ type: DPOLossType, h: Float, chosenLength: Float = 1, rejectedLength: Float = 1) -> (Float, Float) {
        let c = Variable(Tensor([h]), requiresGrad: true)
        let x = PreferencePairs(chosenLogps: c, rejectedLogps: Variable(Tensor([0])), referenceChosenLogps: Tensor([0]),
                                referenceRejectedLogps: Tensor([0]), chosenLengths: Tensor([chosenLength]),
                                rejectedLengths: Tensor([rejectedLength]))
        let l = objective.perPairLoss(type, x).sum()
        l.backward()
        return (l.scalar, c.grad!.scalar)
    }

    @Test(arguments: [Float(0.1), 0.2, 0.4])
    func conservativeIsStationaryAtOneMinusEpsilon(_ eps: Float) {
        let beta: Float = 0.5
        let o = DPO(.conservative, beta: beta, labelSmoothing: eps)
        let hStar = flog((1 - eps) / eps) / beta  // logit(1−ε)/β
        let (_, g0) = pairLoss(o, .conservative, h: hStar)
        #expect(abs(g0) < 1e-6, "∂L/∂h at h* = \(hStar): \(g0)")
        #expect(pairLoss(o, .conservative, h: hStar - 1).1 < 0 && pairLoss(o, .conservative, h: hStar + 1).1 > 0,
                "the stationary point is a minimum")
        // ∂L/∂h = −β[(1−ε) − σ(βh)].
        for h: Float in [-3, -0.5, 0.7, 4] {
            let s = 1 / (1 + fexp(-beta * h))
            expectClose(pairLoss(o, .conservative, h: h).1, -beta * ((1 - eps) - s), atol: 1e-6, "conservative gradient at h = \(h)")
        }
    }

    @Test func robustHasNoStationaryPoint() {
        let o = DPO(.robust, beta: 0.5, labelSmoothing: 0.2)
        for i in 0 ... 80 {
            let h = Float(i) * 0.5 - 20
            #expect(pairLoss(o, .robust, h: h).1 < 0, "rDPO gradient at h = \(h) must be negative")
        }
    }

    @Test func epsilonZeroAndSinglePairLimits() {
        let dpo = DPO(.sigmoid, beta: 0.5)
        for h: Float in [-2, 0.3, 1.5] {
            let (l, g) = pairLoss(dpo, .sigmoid, h: h)
            for (t, eps) in [(DPOLossType.conservative, Float(0)), (.robust, 0)] {
                let (l2, g2) = pairLoss(DPO(t, beta: 0.5, labelSmoothing: eps), t, h: h)
                expectClose(l2, l, atol: 1e-6, "\(t) ε=0 loss")
                expectClose(g2, g, atol: 1e-6, "\(t) ε=0 gradient")
            }
            // One pair: AOT's sorting is trivial, so both AOTs are conservative DPO.
            for t in [DPOLossType.aot, .aotUnpaired] {
                let (la, ga) = pairLoss(DPO(t, beta: 0.5, labelSmoothing: 0.1), t, h: h)
                let (lc, gc) = pairLoss(DPO(.conservative, beta: 0.5, labelSmoothing: 0.1), .conservative, h: h)
                expectClose(la, lc, atol: 1e-6, "\(t) with one pair")
                expectClose(ga, gc, atol: 1e-6, "\(t) with one pair (gradient)")
            }
            // Unit lengths: sigmoid_norm is sigmoid, IPO's two conventions agree.
            expectClose(pairLoss(DPO(.sigmoidNorm, beta: 0.5), .sigmoidNorm, h: h).0, l, atol: 1e-6, "sigmoid_norm with unit lengths")
            expectClose(pairLoss(DPO(.ipo, beta: 0.5), .ipo, h: h).0,
                        pairLoss(DPO(.ipo, beta: 0.5, ipoLengthNormalized: false), .ipo, h: h).0, atol: 1e-6, "IPO conventions, unit lengths")
            // Hinge: gradient −β below the margin, 0 above.
            let hg = pairLoss(DPO(.hinge, beta: 0.5), .hinge, h: h).1
            expectClose(hg, 0.5 * h < 1 ? -0.5 : 0, atol: 0, "hinge gradient at h = \(h)")
        }
    }

    @Test func ipoTargetAndLengthConvention() {
        // L = (h̄ − 1/(2τ))², zero loss and gradient at h̄ = 1/(2τ); the mean form divides by |y|.
        let tau: Float = 0.25
        let (l, g) = pairLoss(DPO(.ipo, beta: tau, ipoLengthNormalized: false), .ipo, h: 1 / (2 * tau))
        #expect(l == 0 && g == 0)
        let n: Float = 8
        let (lm, gm) = pairLoss(DPO(.ipo, beta: tau), .ipo, h: n / (2 * tau), chosenLength: n)
        expectClose(lm, 0, atol: 1e-10, "IPO mean form at its target")
        expectClose(gm, 0, atol: 1e-10, "IPO mean form gradient at its target")
        let h: Float = 3
        let (_, gMean) = pairLoss(DPO(.ipo, beta: tau), .ipo, h: h, chosenLength: n)
        expectClose(gMean, 2 * (h / n - 1 / (2 * tau)) / n, atol: 1e-6, "∂L/∂ℓ = 2(h̄ − 1/(2τ))/|y|")
        // As β → 0 DPO's gradient vanishes like β/2 at h = 0: ∂L/∂h = −β σ(0).
        for b: Float in [1e-3, 1e-2] {
            expectClose(pairLoss(DPO(.sigmoid, beta: b), .sigmoid, h: 0).1, -b / 2, atol: 1e-9, "DPO small-β slope")
        }
    }

    @Test func mixingIsTheWeightedSum() {
        let rb = RandomBatch(seed: 50)
        let mix = DPO(losses: [.init(.sigmoid, weight: 0.8), .init(.bcoPair, weight: 0.2), .init(.sft, weight: 1)], beta: 0.3)
        let parts = [(DPOLossType.sigmoid, Float(0.8)), (.bcoPair, 0.2), (.sft, 1)].map { t, w in
            (lossAndGradients(DPO(t, beta: 0.3), rb), w)
        }
        let m = lossAndGradients(mix, rb)
        expectClose(m.loss, parts.reduce(0) { $0 + $1.0.loss * $1.1 }, atol: 1e-6, "mixed loss")
        expectClose(m.logits, parts.dropFirst().reduce(parts[0].0.logits * parts[0].1) { $0 + $1.0.logits * $1.1 }, atol: 1e-6, "mixed gradient")
        #expect(m.metrics["loss/bco_pair"] != nil)
        // The generic mix across objective types.
        let generic = lossAndGradients(ObjectiveMix([(TDPO(.tdpo1, beta: 0.3), 0.5), (SFT(), 2)]), rb)
        let a = lossAndGradients(TDPO(.tdpo1, beta: 0.3), rb), b = lossAndGradients(SFT(), rb)
        expectClose(generic.loss, 0.5 * a.loss + 2 * b.loss, atol: 1e-6, "ObjectiveMix loss")
        expectClose(generic.logits, a.logits * 0.5 + b.logits * 2, atol: 1e-6, "ObjectiveMix gradient")
    }

    @Test func criticalTokenForms() {
        // With π = π_ref every margin is 0: the paper form gives log 2 per pair and the reference-code
        // form log 2 per position, padding included.
        let rb = RandomBatch(seed: 51)
        var same = rb
        same.referenceLogits = rb.policyLogits
        for form in [CriticalTokenDPO.Form.paper, .referenceCode] {
            expectClose(lossAndGradients(CriticalTokenDPO(form: form), same).loss, flog(2), atol: 1e-6, "\(form) at π = π_ref")
        }
        // The forms differ in general.
        let p = lossAndGradients(CriticalTokenDPO(beta: 0.3), rb).loss, c = lossAndGradients(CriticalTokenDPO(beta: 0.3, form: .referenceCode), rb).loss
        #expect(abs(p - c) > 1e-3)
    }

    @Test func ktoBaselineIsClampedAndDetached() {
        let rb = RandomBatch(seed: 52)
        var lower = rb
        lower.klPolicyLogps = rb.klReferenceLogps - 1  // negative KL estimate → z₀ = 0
        let st = BatchStructure.unpaired(desirable: [true, false, false, true])
        let a = lossAndGradients(KTO(beta: 0.3), lower, structure: st)
        let b = lossAndGradients(KTO(beta: 0.3, klBaseline: 0), rb, structure: st)
        #expect(a.metrics[MetricName.kl] == 0)
        expectClose(a.loss, b.loss, atol: 0, "z₀ clamped at 0")
        // The baseline is a constant: the gradient equals the one with z₀ given explicitly.
        let z0 = KTO.klBaseline(policyLogps: rb.klPolicyLogps, referenceLogps: rb.klReferenceLogps)
        let c = lossAndGradients(KTO(beta: 0.3), rb, structure: st), d = lossAndGradients(KTO(beta: 0.3, klBaseline: z0), rb, structure: st)
        expectClose(c.logits, d.logits, atol: 0, "z₀ carries no gradient")
    }
}

@Suite("Reductions and gradient accumulation (docs/design/objectives.md §0.3)")
struct ReductionTests {
    @Test func namedReductionsMatchTheirFormulas() {
        var g = RandomGenerator(seed: 60)
        let L = Variable(Tensor.randomNormal([3, 4], using: &g))
        let mask = Tensor(shape: [3, 4], data: [1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0])
        let l = L.value.scalars, m = mask.scalars
        let S = (0 ..< 3).map { i in (0 ..< 4).reduce(Float(0)) { $0 + l[i * 4 + $1] * m[i * 4 + $1] } }
        let n: [Float] = [2, 4, 1]
        expectClose(reduce(L, mask: mask, .seqSum).value, Tensor(S), atol: 1e-6, "seqSum")
        expectClose(reduce(L, mask: mask, .seqMean).value, Tensor(zip(S, n).map { $0 / $1 }), atol: 1e-6, "seqMean")
        expectClose(reduce(L, mask: mask, .tokenMean).scalar, S.reduce(0, +) / 7, atol: 1e-6, "tokenMean")
        expectClose(reduce(L, mask: mask, .seqMeanTokenMean).scalar, zip(S, n).reduce(0) { $0 + $1.0 / $1.1 } / 3, atol: 1e-6, "seqMeanTokenMean")
        expectClose(reduce(L, mask: mask, .seqMeanTokenSum).scalar, S.reduce(0, +) / 3, atol: 1e-6, "seqMeanTokenSum")
        expectClose(reduce(L, mask: mask, .constNorm(10)).scalar, S.reduce(0, +) / 30, atol: 1e-6, "constNorm")
        let global = Normalizer(tokens: 20, sequences: 9)
        expectClose(reduce(L, mask: mask, .tokenMean, normalizer: global).scalar, S.reduce(0, +) / 20, atol: 1e-6, "tokenMean, global count")
        expectClose(reduce(L, mask: mask, .seqMeanTokenSum, normalizer: global).scalar, S.reduce(0, +) / 9, atol: 1e-6, "seqMeanTokenSum, global N")
    }

    /// Objectives whose optimizer-batch loss is a sum over pairs/rows/tokens (AOT sorts across the
    /// batch and is not decomposable; KTO is decomposable once z₀ is fixed).
    static let decomposable = Catalogue.all.filter { !$0.hasPrefix("dpo_aot") }

    @Test(arguments: decomposable)
    func microBatchesSumToTheFullBatch(_ name: String) {
        let rb = RandomBatch(seed: 61)
        let objective: any Objective = name.hasPrefix("kto")
            ? (Catalogue.objective(name) as! KTO).withBaseline(0.7)
            : Catalogue.objective(name, similarity: Catalogue.randomSimilarity(V: RandomBatch.V, seed: 61))
        let desirable = [true, false, false, true]
        func st(_ rows: [Int]) -> BatchStructure {
            if name.hasPrefix("kto") { return .unpaired(desirable: rows.map { desirable[$0] }) }
            if name.hasPrefix("raml") { return .groups(rows.map { $0 % 2 }) }  // groups {0, 2} and {1, 3}
            return .pairs
        }
        let full = lossAndGradients(objective, rb, structure: st([0, 1, 2, 3]))
        let micro = [[0, 2], [1, 3]]  // pair 0 (chosen row 0, rejected row 2), pair 1
        let parts = micro.enumerated().map { k, rows in rb.rows(rows, pairs: [k]) }
        var normalizer = Normalizer.global(masks: parts.map(\.mask))
        if name.hasPrefix("kto") { normalizer.items = 4 }  // KTO averages over rows
        var loss: Float = 0
        var grads = [Tensor](repeating: Tensor.zeros([1]), count: 4)
        for (rows, part) in zip(micro, parts) {
            let z = Variable(part.policyLogits, requiresGrad: true), s = Variable(part.scores, requiresGrad: true)
            let out = objective.compute(part.batch(policyLogits: z, scores: s, structure: st(rows)), normalizer: normalizer)
            out.loss.backward()
            loss += out.loss.scalar
            let gz = Catalogue.gradientInput(name) == "scores" ? s.grad! : z.grad!
            for (i, r) in rows.enumerated() { grads[r] = gz.rows(i ..< i + 1) }
        }
        expectClose(loss, full.loss, atol: 1e-5, rtol: 1e-5, "\(name): Σ micro-batch losses vs full batch")
        let fullGrad = Catalogue.gradientInput(name) == "scores" ? full.scores : full.logits
        expectClose(Tensor.concatenate(grads, axis: 0), fullGrad, atol: 1e-6, "\(name): Σ micro-batch gradients vs full batch")
    }

    @Test func localAveragingIsNotTokenMean() {
        // The pitfall of docs/design/objectives.md §0.3: averaging per micro-batch, then over micro-batches, is not tokenMean.
        let rb = RandomBatch(seed: 62)
        let full = lossAndGradients(SFT(), rb, structure: .sequences).loss
        let parts = [[0, 1], [2, 3]].enumerated().map { k, rows in rb.rows(rows, pairs: [k]) }
        let local = parts.map { lossAndGradients(SFT(), $0, structure: .sequences).loss }.reduce(0, +) / 2
        #expect(abs(local - full) > 1e-3, "local mean \(local) should differ from tokenMean \(full)")
    }
}

extension KTO {
    func withBaseline(_ z0: Float) -> KTO {
        var k = self
        k.klBaseline = z0
        return k
    }
}
