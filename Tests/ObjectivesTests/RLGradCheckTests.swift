// Finite-difference gradient checks (TestSupport.gradcheck, central differences in Double) of every
// policy-loss configuration in `RLCatalogue`, the value loss and the KL estimators, three seeds each.
import Autograd
import Objectives
import TensorCore
import TestSupport
import Testing

@Suite("Online RL: gradient checks")
struct RLGradCheckTests {
    static let seeds: [UInt64] = [71, 72, 73]

    /// GSPO's straight-through ratio has the sequence ratio's gradient only with per-sequence
    /// advantages (the catalogue uses those); with token advantages the analytic gradient differs
    /// from the derivative of the value by design (checked against the numpy reference instead).
    @Test(arguments: RLCatalogue.labels)
    func gradcheckLoss(_ label: String) throws {
        let (loss, kind, entropy) = try RLCatalogue.loss(label)
        for seed in Self.seeds {
            let rr = RandomRollout(seed: seed, logRatioScale: 0.2)
            let batch = rr.batch(), adv = rr.advantages(kind)
            var inputs = [rr.logps]
            if entropy { inputs.append(rr.entropies) }
            let result = gradcheck(inputs, step: 1e-3, seed: seed) { v in
                // The inputs are valid by construction.
                try! loss.compute(PolicyLossInput(logps: v[0], advantages: adv, batch: batch, entropy: entropy ? v[1] : nil)).loss
            }
            #expect(result.ok, "\(label) seed \(seed): \(result)")
        }
    }

    @Test("GSPO with the paper's tiny clip range (3e-4/4e-4), near ρ = 1", arguments: seeds)
    func gspoDefaults(_ seed: UInt64) throws {
        var rr = RandomRollout(seed: seed)
        rr.oldLogps = rr.logps
        let batch = rr.batch(), adv = rr.sequenceAdvantages
        let loss = try PolicyLosses.make("gspo")
        let result = gradcheck([rr.logps], step: 1e-4, atol: 2e-3, seed: seed) { v in
            try! loss.compute(PolicyLossInput(logps: v[0], advantages: adv, batch: batch)).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
    }

    @Test("clipped value loss", arguments: seeds)
    func valueLoss(_ seed: UInt64) throws {
        let rr = RandomRollout(seed: seed)
        var g = RandomGenerator(seed: seed + 1000)
        let newValues = rr.values + Tensor.randomNormal(rr.values.shape, std: 0.4, using: &g)
        let batch = rr.batch(), returns = rr.rewards
        let result = gradcheck([newValues], step: 1e-3, seed: seed) { v in
            try! ClippedValueLoss().compute(values: v[0], returns: returns, batch: batch).loss
        }
        #expect(result.ok, "seed \(seed): \(result)")
    }

    @Test("KL estimators: k1' = 1, k2' = Δ, k3' = 1 − e^{−Δ}", arguments: KLEstimator.allCases)
    func klGradients(_ estimator: KLEstimator) {
        let rr = RandomRollout(seed: 74)
        let l = Variable(rr.logps, requiresGrad: true)
        estimator(l, rr.referenceLogps).sum().backward()
        let d = rr.logps - rr.referenceLogps
        let expected: Tensor = switch estimator {
        case .k1: Tensor(shape: d.shape, repeating: 1)
        case .k2: d
        case .k3: 1 - (-d).exp()
        }
        expectClose(l.grad!, expected, atol: 1e-6, rtol: 1e-5, "\(estimator)")
        let result = gradcheck([rr.logps], step: 1e-3) { v in estimator(v[0], rr.referenceLogps) }
        #expect(result.ok, "\(estimator): \(result)")
    }
}
