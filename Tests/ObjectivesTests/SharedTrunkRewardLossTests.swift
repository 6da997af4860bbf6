// The shared-trunk reward-model losses — HaF-RM (arXiv 2407.04185), GRM (arXiv 2406.10216), ODIN
// (arXiv 2402.07319) — against the numpy worked example (`shared_trunk_reference.json`: loss and
// every gradient), finite-difference gradient checks, and their limits (α = 0 is Bradley–Terry).
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite struct SharedTrunkRewardLossTests {
    struct LMInputs {
        var logits: Tensor, labels: IndexTensor, mask: Tensor, readout: Tensor, reference: Tensor, scores: Tensor
    }

    static func lmInputs(_ raw: [String: Any]) -> LMInputs {
        let P = (raw["P"] as! NSNumber).intValue, T = (raw["T"] as! NSNumber).intValue, V = (raw["V"] as! NSNumber).intValue
        let B = 2 * P
        return LMInputs(logits: Tensor(shape: [B, T, V], data: floats(raw["logits"])), labels: IndexTensor(shape: [B, T], data: ints(raw["labels"])),
                        mask: Tensor(shape: [B, T], data: floats(raw["mask"])), readout: Tensor(shape: [B, T], data: floats(raw["readout"])),
                        reference: Tensor(shape: [B, T], data: floats(raw["reference_logps"])), scores: Tensor(shape: [B, T], data: floats(raw["scores"])))
    }

    static func batch(_ x: LMInputs, logits: Variable, scores: Variable, reference: Bool) -> TokenBatch {
        var b = TokenBatch(policyLogits: logits, labels: x.labels, mask: x.mask, structure: .pairs, referenceLogps: reference ? x.reference : nil,
                           tokenWeights: [.rewardReadout: x.readout])
        b.scores = scores
        return b
    }

    /// Loss and both gradients of one fixture case, to 1e-6.
    static func check(_ c: [String: Any], _ x: LMInputs, reference: Bool, _ loss: (TokenBatch) -> ObjectiveOutput) throws {
        let name = c["name"] as! String
        let z = Variable(x.logits, requiresGrad: true), s = Variable(x.scores, requiresGrad: true)
        let out = loss(batch(x, logits: z, scores: s, reference: reference))
        expectClose(out.loss.value.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: 1e-6, rtol: 1e-6, "\(name) loss")
        out.loss.backward()
        expectClose(try #require(z.grad), Tensor(shape: x.logits.shape, data: floats(c["grad_logits"])), atol: 1e-6, "\(name) d/d logits")
        expectClose(try #require(s.grad), Tensor(shape: x.scores.shape, data: floats(c["grad_scores"])), atol: 1e-6, "\(name) d/d scores")
    }

    @Test func hafMatchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("shared_trunk_reference.json")
        let x = Self.lmInputs(raw)
        let cases = raw["haf"] as! [[String: Any]]
        #expect(cases.count == 2)
        for c in cases {
            let loss = HybridRewardModelLoss(alpha: floats([c["alpha"]!])[0], beta: floats([c["beta"]!])[0])
            try Self.check(c, x, reference: c["reference"] as! Bool) { loss.compute($0, normalizer: .local) }
        }
    }

    @Test func grmMatchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("shared_trunk_reference.json")
        let x = Self.lmInputs(raw)
        let cases = raw["grm"] as! [[String: Any]]
        #expect(cases.map { $0["regularizer"] as! String } == ["sft", "nll", "dpo"])
        for c in cases {
            let reg = try #require(GeneralizableRewardModelLoss.Regularizer(rawValue: c["regularizer"] as! String))
            let loss = GeneralizableRewardModelLoss(alpha: floats([c["alpha"]!])[0], beta: floats([c["beta"]!])[0], regularizer: reg)
            try Self.check(c, x, reference: false) { loss.compute($0, normalizer: .local) }
        }
    }

    @Test func odinMatchesTheNumpyWorkedExample() throws {
        let raw = try loadJSON("shared_trunk_reference.json")["odin"] as! [String: Any]
        let C = (raw["C"] as! NSNumber).intValue
        let cases = raw["cases"] as! [[String: Any]]
        #expect(cases.count == 3)
        for c in cases {
            let name = c["name"] as! String
            let q = Variable(Tensor(floats(raw["quality"])), requiresGrad: true), l = Variable(Tensor(floats(raw["length"])), requiresGrad: true)
            let wq = Variable(Tensor(shape: [1, C], data: floats(raw["w_quality"])), requiresGrad: true)
            let wl = Variable(Tensor(shape: [1, C], data: floats(raw["w_length"])), requiresGrad: true)
            let loss = LengthDisentangledRewardLoss(lengthWeight: floats([c["length_weight"]!])[0], orthogonalityWeight: floats([c["orthogonality_weight"]!])[0])
            let out = loss.compute(quality: q, length: l, lengths: Tensor(floats(c["lengths"])), qualityWeight: wq, lengthWeight: wl, normalizer: .local)
            expectClose(out.loss.value.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: 1e-6, rtol: 1e-6, "\(name) loss")
            expectClose(try #require(out.metrics["length/corr_quality"]), floats([c["rho_quality"]!])[0], atol: 1e-6, "\(name) ρ(r_Q)")
            expectClose(try #require(out.metrics["length/corr_length"]), floats([c["rho_length"]!])[0], atol: 1e-6, "\(name) ρ(r_L)")
            out.loss.backward()
            expectClose(try #require(q.grad), Tensor(floats(c["grad_quality"])), atol: 1e-6, "\(name) d/d r_Q")
            expectClose(try #require(l.grad), Tensor(floats(c["grad_length"])), atol: 1e-6, "\(name) d/d r_L")
            expectClose(try #require(wq.grad), Tensor(shape: [1, C], data: floats(c["grad_wq"])), atol: 1e-6, "\(name) d/d w_Q")
            expectClose(try #require(wl.grad), Tensor(shape: [1, C], data: floats(c["grad_wl"])), atol: 1e-6, "\(name) d/d w_L")
        }
    }

    /// Random pairs (prompts, padding), logits, scores and a readout at each row's last response token.
    static func randomInputs(seed: UInt64) -> LMInputs {
        var rng = RandomGenerator(seed: seed)
        let B = 4, T = 6, V = 5
        var m = [Float](repeating: 0, count: B * T), r = m
        for b in 0 ..< B {
            let lo = 1 + b % 2, hi = T - (b % 3 == 0 ? 0 : 1)
            for t in lo ..< hi { m[b * T + t] = 1 }
            r[b * T + hi - 1] = 1
        }
        let labels = IndexTensor(shape: [B, T], data: (0 ..< B * T).map { Int32(($0 * 7 + Int(seed)) % V) })
        let mask = Tensor(shape: [B, T], data: m)
        return LMInputs(logits: Tensor.randomNormal([B, T, V], using: &rng), labels: labels, mask: mask, readout: Tensor(shape: [B, T], data: r),
                        reference: Tensor.randomNormal([B, T], using: &rng) * mask, scores: Tensor.randomNormal([B, T], using: &rng))
    }

    @Test func gradientsMatchFiniteDifferences() {
        for seed: UInt64 in [1, 2] {
            let x = Self.randomInputs(seed: seed)
            let losses: [(String, (TokenBatch) -> ObjectiveOutput, Bool)] = [
                ("haf", { HybridRewardModelLoss(alpha: 0.7, beta: 0.5).compute($0, normalizer: .local) }, true),
                ("haf no ref", { HybridRewardModelLoss(alpha: 0.7, beta: 0.5).compute($0, normalizer: .local) }, false),
                ("grm sft", { GeneralizableRewardModelLoss(alpha: 0.4, beta: 0.5, regularizer: .sft).compute($0, normalizer: .local) }, false),
                ("grm nll", { GeneralizableRewardModelLoss(alpha: 0.4, regularizer: .nll).compute($0, normalizer: .local) }, false),
                ("grm dpo", { GeneralizableRewardModelLoss(alpha: 0.4, beta: 0.5, regularizer: .dpo).compute($0, normalizer: .local) }, false),
            ]
            for (name, loss, ref) in losses {
                let r = gradcheck([x.logits, x.scores], seed: seed) { v in loss(Self.batch(x, logits: v[0], scores: v[1], reference: ref)).loss }
                #expect(r.ok, "\(name) seed \(seed): \(r)")
            }
            var rng = RandomGenerator(seed: seed &+ 10)
            let lengths = Tensor([3, 7, 4, 9, 5, 6] as [Float])
            let odin = LengthDisentangledRewardLoss(lengthWeight: 0.8, orthogonalityWeight: 1.5)
            let r = gradcheck([Tensor.randomNormal([6], using: &rng), Tensor.randomNormal([6], using: &rng), Tensor.randomNormal([1, 4], using: &rng),
                               Tensor.randomNormal([1, 4], using: &rng)], seed: seed) { v in
                odin.compute(quality: v[0], length: v[1], lengths: lengths, qualityWeight: v[2], lengthWeight: v[3], normalizer: .local).loss
            }
            #expect(r.ok, "odin seed \(seed): \(r)")
        }
    }

    /// α = 0: HaF and GRM are the Bradley–Terry loss on the head read at the readout, and the LM
    /// head gets no gradient.
    @Test func alphaZeroIsBradleyTerry() throws {
        let x = Self.randomInputs(seed: 3)
        let bt = BradleyTerryRM().compute(TokenBatch(policyLogps: Variable(Tensor(shape: x.mask.shape, repeating: 0)), mask: x.readout,
                                                     structure: .pairs, scores: Variable(x.scores)), normalizer: .local)
        for loss in [{ HybridRewardModelLoss(alpha: 0).compute($0, normalizer: .local) },
                     { GeneralizableRewardModelLoss(alpha: 0).compute($0, normalizer: .local) }] as [(TokenBatch) -> ObjectiveOutput] {
            let z = Variable(x.logits, requiresGrad: true)
            let out = loss(Self.batch(x, logits: z, scores: Variable(x.scores, requiresGrad: true), reference: true))
            expectClose(out.loss.value.scalar, bt.loss.value.scalar, atol: 1e-7, "loss")
            #expect(out.metrics[MetricName.accuracy] == bt.metrics[MetricName.accuracy])
            out.loss.backward()
            #expect((z.grad?.scalars ?? []).allSatisfy { $0 == 0 })
        }
    }
}
