// Worked examples of the online-RL maths against the independent numpy reference
// (`Tests/Fixtures/objectives/generate_rl_reference.py`): every advantage estimator, every policy
// loss (value, metrics, and the whole gradient w.r.t. the log-probs), the value loss, KL-in-reward
// and the adaptive KL controller. Every masked input position holds junk in the fixture, so these
// also check that masked entries are never read. Estimators and losses are built through the
// registries from the fixture's `config.yaml`-style settings.
import Autograd
import Foundation
import Objectives
import TensorCore
import Testing

@Suite("Online RL: worked examples vs the numpy reference")
struct RLReferenceTests {
    /// Float32 arithmetic against float64: 1e-6 absolute plus 1e-5 relative.
    static let atol: Float = 1e-6, rtol: Float = 1e-5

    @Test(arguments: RLReference.estimatorCases)
    func estimatorMatchesNumpy(_ name: String) throws {
        let ref = RLReference.shared
        let c = try #require(ref.estimators[name])
        let estimator = try AdvantageEstimators.make(try #require(c["estimator"] as? String),
                                                     settings: AdvantageSettings(config: stringDict(c["settings"])))
        let out = try estimator.estimate(try ref.batch())
        expectClose(out.advantages, ref.bt(c["advantages"]), atol: 2e-6, rtol: Self.rtol, "\(name) advantages")
        expectClose(out.returns, ref.bt(c["returns"]), atol: 2e-6, rtol: Self.rtol, "\(name) returns")
    }

    @Test(arguments: RLReference.lossCases)
    func lossMatchesNumpy(_ name: String) throws {
        let ref = RLReference.shared
        let c = try #require(ref.losses[name])
        let loss = try PolicyLosses.make(try #require(c["loss_name"] as? String),
                                         settings: PolicyLossSettings(config: stringDict(c["settings"])))
        let advantages = ref.bt((c["advantages"] as? String) == "sequence" ? "sequence_advantages" : "token_advantages")
        let withEntropy = (c["entropy"] as? Bool) ?? false
        let r = try policyLossAndGradient(loss, batch: try ref.batch(), logps: ref.bt("logps"), advantages: advantages,
                                          entropy: withEntropy ? ref.bt("entropies") : nil)
        expectClose(r.loss, number(c["loss"]), atol: Self.atol, rtol: Self.rtol, "\(name) loss")
        expectMetrics(r.metrics, metricsDict(c["metrics"]), atol: Self.atol, rtol: Self.rtol, name)
        expectClose(r.grad, ref.bt(c["grad_logps"]), atol: Self.atol, rtol: Self.rtol, "\(name) d loss / d logps")
        if withEntropy {
            let g = try #require(r.entropyGrad)
            expectClose(g, ref.bt(c["grad_entropy"]), atol: Self.atol, rtol: Self.rtol, "\(name) d loss / d entropy")
        }
    }

    @Test("clipped value loss: value, metrics, gradient w.r.t. the new values")
    func valueLoss() throws {
        let ref = RLReference.shared
        let c = ref.valueLoss
        let v = Variable(ref.bt("new_values"), requiresGrad: true)
        let out = try ClippedValueLoss(clipRange: number(c["clip_range"]))
            .compute(values: v, returns: ref.bt(c["returns"]), batch: try ref.batch())
        expectClose(out.loss.scalar, number(c["loss"]), atol: Self.atol, rtol: Self.rtol, "value loss")
        expectMetrics(out.metrics, metricsDict(c["metrics"]), atol: Self.atol, rtol: Self.rtol, "value loss")
        out.loss.backward()
        expectClose(try #require(v.grad), ref.bt(c["grad_values"]), atol: Self.atol, rtol: Self.rtol, "d value loss / d V")
    }

    @Test("KL-in-reward with k1, k2, k3 and the batch's mean KL")
    func klInReward() throws {
        let ref = RLReference.shared
        for (name, c) in ref.klInReward.sorted(by: { $0.key < $1.key }) {
            let est = try KLEstimator(name: try #require(c["estimator"] as? String))
            let (rewards, meanKL) = try KLPenalty.rewards(try ref.batch(), coefficient: number(c["beta"]), estimator: est)
            expectClose(rewards, ref.bt(c["rewards"]), atol: 2e-6, rtol: Self.rtol, "\(name) shaped rewards")
            expectClose(meanKL, number(c["mean_kl"]), atol: Self.atol, rtol: Self.rtol, "\(name) mean KL")
        }
    }

    @Test("adaptive KL controller follows β ← β(1 + clip(KL/target − 1, ±0.2)·n/horizon); fixed stays put")
    func adaptiveController() throws {
        let c = RLReference.shared.adaptiveKL
        var ctrl = try AdaptiveKLController(coefficient: number(c["initial"]), target: number(c["target"]), horizon: number(c["horizon"]))
        var fixed = FixedKLController(coefficient: 0.05)
        for u in try #require(c["updates"] as? [[String: Any]]) {
            ctrl.update(currentKL: number(u["kl"]), steps: Int(number(u["steps"])))
            fixed.update(currentKL: number(u["kl"]), steps: Int(number(u["steps"])))
            expectClose(ctrl.value, number(u["value"]), atol: 1e-8, rtol: 1e-6, "β after KL \(number(u["kl"]))")
        }
        #expect(fixed.value == 0.05)
        #expect(throws: RLInputError.self) { try AdaptiveKLController(coefficient: 0.1, target: 0) }
    }
}

@Suite("Online RL: registries")
struct RLRegistryTests {
    /// A future entry cannot be added untested: every registered estimator and loss needs a worked
    /// example in `rl_reference.json` (matched by canonical name or alias).
    @Test("every advantage estimator has a worked-example case")
    func estimatorsCovered() throws {
        let used = try Set(RLReference.shared.estimators.values.map {
            try AdvantageEstimators.registry.entry(named: try #require($0["estimator"] as? String)).card.name
        })
        for name in AdvantageEstimators.registry.names {
            #expect(used.contains(name), "advantage estimator \(name) has no case in rl_reference.json")
        }
    }

    @Test("every policy loss has a worked-example case")
    func lossesCovered() throws {
        let used = try Set(RLReference.shared.losses.values.map {
            try PolicyLosses.registry.entry(named: try #require($0["loss_name"] as? String)).card.name
        })
        // Quark's loss reads full-vocabulary logits; its worked example is quark_reference.json
        // (QuarkLossTests).
        for name in PolicyLosses.registry.names where name != "quark" {
            #expect(used.contains(name), "policy loss \(name) has no case in rl_reference.json")
        }
    }

    @Test("every policy loss has a gradient check and a masked-position case")
    func lossesInCatalogue() {
        let checked = Set(RLCatalogue.losses.map(\.1))
        for name in PolicyLosses.registry.names { #expect(checked.contains(name), "policy loss \(name) is not in RLCatalogue") }
    }

    @Test("cards: arXiv ids, and their defaults are accepted settings that reproduce the built method")
    func cards() throws {
        #expect(AdvantageEstimators.registry.names == ["gae", "grpo", "dr-grpo", "rloo", "reinforce++",
                                                       "reinforce++-baseline", "remax", "grpo-passk", "ktae", "gtpo", "grpo-s", "ma-gae", "thr",
                                                       "rlmec"])
        #expect(PolicyLosses.registry.names == ["ppo", "gspo", "gmpo", "reinforce-is", "em-ft", "oreal", "quark", "rlmec"])
        for e in AdvantageEstimators.registry.entries {
            #expect(!e.card.arxiv.isEmpty, "\(e.card.name): no arXiv id")
            let fromDefaults = try e.make(AdvantageSettings(config: e.card.defaults))
            #expect(fromDefaults.name == e.card.name)
        }
        for e in PolicyLosses.registry.entries {
            #expect(!e.card.arxiv.isEmpty, "\(e.card.name): no arXiv id")
            let fromDefaults = try e.make(PolicyLossSettings(config: e.card.defaults))
            let plain = try e.make(PolicyLossSettings())
            #expect(fromDefaults.name == e.card.name)
            #expect(fromDefaults.regularizers == plain.regularizers, "\(e.card.name): card defaults differ from built defaults")
        }
    }

    @Test("unknown names and settings are thrown, not trapped")
    func badNames() {
        #expect(throws: (any Error).self) { try AdvantageEstimators.make("gea") }
        #expect(throws: (any Error).self) { try PolicyLosses.make("ppo2") }
        #expect(throws: RLInputError.self) { try AdvantageSettings(config: ["gama": "1"]) }
        #expect(throws: RLInputError.self) { try AdvantageSettings(config: ["scale_rewards": "grp"]) }
        #expect(throws: RLInputError.self) { try PolicyLossSettings(config: ["loss_agg_mode": "seq-mean-token-sum-norm"]) }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("ppo", settings: PolicyLossSettings(clipLow: 1.5)) }
        #expect(throws: RLInputError.self) { try PolicyLosses.make("ppo", settings: PolicyLossSettings(dualClip: true, dualClipBound: 0.5)) }
        #expect(throws: RLInputError.self) { try AdvantageEstimators.make("gae", settings: AdvantageSettings(lambda: 1.5)) }
    }
}
