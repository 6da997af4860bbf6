// Finite-difference gradient checks of every objective (TestSupport.gradcheck: central differences,
// Double accumulation) on small random batches, three seeds each, plus the closed-form gradient
// identities of docs/design/objectives.md §0.4 and §1–§3.
import Autograd
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("Gradient checks")
struct ObjectiveGradCheckTests {
    static let seeds: [UInt64] = [11, 12, 13]

    /// TDPO2 is excluded: its stop-gradient makes the analytic gradient differ from the derivative
    /// of the loss *value* by design. It is checked against its closed form below and against the
    /// numpy reference (which freezes the chosen SeqKL).
    static let cases = Catalogue.all.filter { $0 != "tdpo2" }

    @Test(arguments: cases)
    func gradcheckObjective(_ name: String) {
        for seed in Self.seeds {
            let rb = RandomBatch(seed: seed)
            let objective = Catalogue.objective(name, similarity: Catalogue.randomSimilarity(V: RandomBatch.V, seed: seed))
            let st = structure(for: name)
            let wrtScores = Catalogue.gradientInput(name) == "scores"
            // The constant fields are built once; each evaluation swaps in the differentiable input.
            let base = rb.batch(policyLogits: Variable(rb.policyLogits), scores: Variable(rb.scores), structure: st)
            let result = gradcheck([wrtScores ? rb.scores : rb.policyLogits], seed: seed) { v in
                objective.compute(wrtScores ? base.replacingScores(v[0]) : base.replacingPolicy(logits: v[0]), normalizer: .local).loss
            }
            #expect(result.ok, "\(name) seed \(seed): \(result)")
        }
    }

    /// TGDPO guided by the batch's own token rewards (`--loss tgdpo-rewards`): the weights are
    /// constants read from `tokenRewards`, so the gradient flows through the log-ratios only.
    @Test("TGDPO with token-reward guidance: gradcheck", arguments: seeds)
    func tgdpoTokenRewardGuidance(_ seed: UInt64) throws {
        let rb = RandomBatch(seed: seed)
        let objective = TGDPO(beta: 0.3, alpha: 0.5, guidance: .tokenRewards)
        let base = rb.batch(policyLogits: Variable(rb.policyLogits))
        #expect(base.tokenRewards != nil)
        let result = gradcheck([rb.policyLogits], seed: seed) { v in
            objective.compute(base.replacingPolicy(logits: v[0]), normalizer: .local).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
    }

    @Test("SparsePO learned masks: gradcheck w.r.t. logits and both masks", arguments: seeds)
    func sparsePOLearnedMasks(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let objective = SparsePO(beta: 0.3, rewardL1: 0.01, klL1: 0.02)
        let base = rb.batch(policyLogits: Variable(rb.policyLogits))
        let result = gradcheck([rb.policyLogits, rb.weights, rb.klWeights], seed: seed) { v in
            objective.compute(base.replacingPolicy(logits: v[0]), rewardMask: v[1], klMask: v[2], normalizer: .local).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
    }

    @Test("SparsePO mask network: gradcheck through the network's parameters", arguments: seeds)
    func sparsePOMaskNetwork(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let d = 4, L = 2
        var g = RandomGenerator(seed: seed + 100)
        let hidden = (0 ..< L).map { _ in Tensor.randomNormal([rb.B, RandomBatch.T, d], using: &g) }
        let params = [Tensor.randomUniform([d], low: 0.5, high: 1.5, using: &g), Tensor.randomNormal([d], std: 0.1, using: &g)]
            + (0 ..< L).map { _ in Tensor.randomNormal([d, 1], using: &g) }
            + (0 ..< L).map { _ in Tensor(shape: [1], data: [0.8]) }
            + [Tensor.randomUniform([L, 1], low: 0.5, high: 1, using: &g)]
        let objective = SparsePO(beta: 0.3, rewardL1: 0.01)
        let base = rb.batch(policyLogits: Variable(rb.policyLogits))
        let result = gradcheck(params, step: 5e-3, seed: seed) { v in
            let net = SparsePOMaskNetwork(normWeight: v[0], normBias: v[1], layerWeights: Array(v[2 ..< 2 + L]),
                                          layerBiases: Array(v[2 + L ..< 2 + 2 * L]), mixer: v[2 + 2 * L])
            let m = net(hidden)
            return objective.compute(base, rewardMask: m, klMask: m, normalizer: .local).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
    }
}

/// Closed-form gradients (docs/design/objectives.md §0.4, §1.1, §1.4, §2.1, §2.5, §3.1, §3.2).
@Suite("Closed-form gradient identities")
struct GradientIdentityTests {
    /// p = softmax(z), onehot(y): [B, T, V].
    static func softmaxAndOneHot(_ z: Tensor, _ labels: IndexTensor) -> (Tensor, Tensor) {
        let onehot = Tensor.scatterLast(Tensor(shape: labels.shape, repeating: 1), index: labels, shape: z.shape)
        return (z.softmax(), onehot)
    }

    /// Per-row coefficient c_b broadcast over [B, T, V] and masked.
    static func rowScaled(_ x: Tensor, _ c: [Float], _ mask: Tensor) -> Tensor {
        let B = mask.shape[0], T = mask.shape[1]
        let scale = Tensor(shape: [B, 1, 1], data: c)
        return x * scale * mask.reshaped([B, T, 1])
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func sftIsMaskedG1(_ seed: UInt64) {
        // ∂L/∂z = m (p − onehot) / N_tok.
        let rb = RandomBatch(seed: seed)
        let g = lossAndGradients(SFT(), rb, structure: .sequences).logits
        let (p, oh) = Self.softmaxAndOneHot(rb.policyLogits, rb.labels)
        let n = rb.mask.sum().scalar
        let expected = (p - oh) * rb.mask.reshaped([rb.B, RandomBatch.T, 1]) * (1 / n)
        expectClose(g, expected, atol: 1e-6, "SFT gradient")
    }

    /// σ(−z) per pair and the DPO-margin argument z, from token sums.
    static func dpoSigmoidTerms(_ rb: RandomBatch, beta: Float, weights w: Tensor? = nil) -> [Float] {
        let lp = TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask)
        let lr = TokenBatch.tokenLogps(logits: rb.referenceLogits, labels: rb.labels, mask: rb.mask)
        let d = (lp - lr) * (w ?? Tensor(shape: rb.mask.shape, repeating: 1)) * rb.mask
        let s = d.sum(axis: 1).scalars
        let P = rb.B / 2
        return (0 ..< P).map { i in
            let z = beta * (s[i] - s[P + i])
            return 1 / (1 + fexp(z))
        }
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func dpoGradient(_ seed: UInt64) {
        // ∂L/∂ℓ^w_t = −βσ(−z) m^w / P, ∂L/∂ℓ^l_t = +βσ(−z) m^l / P.
        let rb = RandomBatch(seed: seed)
        let beta: Float = 0.4
        let logps = Variable(TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask), requiresGrad: true)
        let batch = TokenBatch(policyLogps: logps, mask: rb.mask, structure: .pairs,
                               referenceLogps: TokenBatch.tokenLogps(logits: rb.referenceLogits, labels: rb.labels, mask: rb.mask))
        DPO(beta: beta).compute(batch, normalizer: .local).loss.backward()
        let sig = Self.dpoSigmoidTerms(rb, beta: beta)
        let P = rb.B / 2
        let c = sig.map { -beta * $0 / Float(P) } + sig.map { beta * $0 / Float(P) }
        let expected = Tensor(shape: [rb.B, 1], data: c) * rb.mask
        expectClose(logps.grad!, expected, atol: 1e-6, "DPO gradient w.r.t. ℓ")
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func tgdpoGradient(_ seed: UInt64) {
        // ∂L/∂ℓ^w_t = −β w^w_t σ(−z), ∂L/∂ℓ^l_t = +β w^l_t σ(−z) (per pair, / P).
        let rb = RandomBatch(seed: seed)
        let tg = TGDPO(beta: 0.3, alpha: 0.5)
        let logps = Variable(TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask), requiresGrad: true)
        var batch = rb.batch(policyLogits: Variable(rb.policyLogits))
        batch.policyLogps = logps
        tg.compute(batch, normalizer: .local).loss.backward()
        let w = tg.weights(batch)
        let sig = Self.dpoSigmoidTerms(rb, beta: 0.3, weights: w)
        let P = rb.B / 2
        let c = sig.map { -0.3 * $0 / Float(P) } + sig.map { 0.3 * $0 / Float(P) }
        expectClose(logps.grad!, Tensor(shape: [rb.B, 1], data: c) * w * rb.mask, atol: 1e-6, "TGDPO gradient")
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func simpoGradient(_ seed: UInt64) {
        // ∂L/∂ℓ^w_t = −(β/|y^w|)σ(−z) m^w / P, rejected +(β/|y^l|)σ(−z) m^l / P.
        let rb = RandomBatch(seed: seed)
        let logps = Variable(TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask), requiresGrad: true)
        let batch = TokenBatch(policyLogps: logps, mask: rb.mask, structure: .pairs)
        SimPO().compute(batch, normalizer: .local).loss.backward()
        let n = rb.mask.sum(axis: 1).scalars
        let s = (logps.value * rb.mask).sum(axis: 1).scalars
        let P = rb.B / 2
        var c = [Float](repeating: 0, count: rb.B)
        for i in 0 ..< P {
            let z = 2.0 * (s[i] / n[i] - s[P + i] / n[P + i] - 0.25)
            let sig = 1 / (1 + fexp(z))
            c[i] = -2.0 * sig / n[i] / Float(P)
            c[P + i] = 2.0 * sig / n[P + i] / Float(P)
        }
        expectClose(logps.grad!, Tensor(shape: [rb.B, 1], data: c) * rb.mask, atol: 1e-6, "SimPO gradient")
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func bradleyTerryGradient(_ seed: UInt64) {
        // ∂L/∂r_c = (−σ(−(r_c−r_r−μ)) + 2λ(r_c+r_r))/P, ∂L/∂r_r = (σ(−(…)) + 2λ(r_c+r_r))/P.
        var g = RandomGenerator(seed: seed)
        let rc = Variable(Tensor.randomNormal([3], using: &g), requiresGrad: true)
        let rr = Variable(Tensor.randomNormal([3], using: &g), requiresGrad: true)
        let mu = Tensor([0.1, 0.2, 0.0]), lam: Float = 0.05
        bradleyTerryLoss(chosen: rc, rejected: rr, margin: mu, centerCoefficient: lam).backward()
        let a = rc.value.scalars, b = rr.value.scalars, m = mu.scalars
        var gc = [Float](), gr = [Float]()
        for i in 0 ..< 3 {
            let s = 1 / (1 + fexp(a[i] - b[i] - m[i]))
            gc.append((-s + 2 * lam * (a[i] + b[i])) / 3)
            gr.append((s + 2 * lam * (a[i] + b[i])) / 3)
        }
        expectClose(rc.grad!, Tensor(gc), atol: 1e-6, "∂L/∂r_c")
        expectClose(rr.grad!, Tensor(gr), atol: 1e-6, "∂L/∂r_r")
    }

    /// TDPO's logits gradients (docs/design/objectives.md §3.1 and §6, invariant 3).
    @Test(arguments: [UInt64(21), 22, 23])
    func tdpoLogitGradients(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let beta: Float = 0.3, alpha: Float = 0.5
        let (p, oh) = Self.softmaxAndOneHot(rb.policyLogits, rb.labels)
        let q = rb.referenceLogits.softmax()
        let P = rb.B / 2
        // Sigmoid arguments z per pair for each variant (values: TDPO1 and TDPO2 differ by α).
        let lp = TokenBatch.tokenLogps(logits: rb.policyLogits, labels: rb.labels, mask: rb.mask)
        let lr = TokenBatch.tokenLogps(logits: rb.referenceLogits, labels: rb.labels, mask: rb.mask)
        let d = ((lp - lr) * rb.mask).sum(axis: 1).scalars
        let kl = TokenDivergence.forwardKL(policyLogits: rb.policyLogits, referenceLogits: rb.referenceLogits, mask: rb.mask).sum(axis: 1).scalars
        for variant in [TDPO.Variant.tdpo1, .tdpo2] {
            let g = lossAndGradients(TDPO(variant, beta: beta, alpha: alpha), rb).logits
            var coef = [Float](repeating: 0, count: rb.B)
            for i in 0 ..< P {
                let u = d[i] - d[P + i]
                let z = variant == .tdpo1 ? beta * (u - (kl[P + i] - kl[i])) : beta * (u - alpha * (kl[P + i] - kl[i]))
                let sig = 1 / (1 + fexp(z))
                coef[i] = -beta * sig / Float(P)
                coef[P + i] = beta * sig / Float(P)
            }
            let expected: Tensor
            switch variant {
            case .tdpo1:
                // DPO's gradient with p → q: ∓βσ(−z)(onehot − q).
                expected = Self.rowScaled(oh - q, coef, rb.mask)
            case .tdpo2:
                // Chosen: DPO's; rejected: DPO's + α(p − q).
                let (gc, gr) = (oh - p, (oh - p) + (p - q) * alpha)
                let stacked = Tensor.concatenate([gc.rows(0 ..< P), gr.rows(P ..< 2 * P)], axis: 0)
                expected = Self.rowScaled(stacked, coef, rb.mask)
            }
            expectClose(g, expected, atol: 1e-6, "\(variant) logits gradient")
        }
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func forwardKLIsG2AndReverseKLIsG3(_ seed: UInt64) {
        let rb = RandomBatch(seed: seed)
        let z = Variable(rb.policyLogits, requiresGrad: true)
        TokenDivergence.forwardKL(policyLogits: z, referenceLogits: rb.referenceLogits, mask: rb.mask).sum().backward()
        let p = rb.policyLogits.softmax(), q = rb.referenceLogits.softmax()
        let m3 = rb.mask.reshaped([rb.B, RandomBatch.T, 1])
        expectClose(z.grad!, (p - q) * m3, atol: 1e-6, "G2: ∂KL(q‖p)/∂z = p − q")

        let z2 = Variable(rb.policyLogits, requiresGrad: true)
        let logr = rb.referenceLogits.logSoftmax()
        let kl = TokenDivergence.reverseKL(policyLogits: z2, targetLogProbabilities: logr, mask: rb.mask)
        kl.sum().backward()
        let logp = rb.policyLogits.logSoftmax()
        let expected = p * (logp - logr - kl.value.reshaped([rb.B, RandomBatch.T, 1])) * m3
        expectClose(z2.grad!, expected, atol: 1e-6, "G3: ∂KL(p‖r)/∂z = p(log p − log r − KL)")
    }
}
