// Worked numeric examples: every objective against the independent numpy reference
// (`Tests/Fixtures/objectives/generate_objectives.py`) and the DPO family, KTO and the reward
// model against TRL's own loss code (`generate_trl_reference.py`, TRL 1.16.0). Loss, every metric
// the reference logs, and the whole gradient tensor are matched to 1e-5 (absolute, plus 1e-5
// relative for the large IPO/SPPO values).
import Autograd
import Foundation
import Objectives
import TensorCore
import Testing

@Suite("Worked examples vs the numpy reference")
struct NumpyReferenceTests {
    static let tolerance: Float = 1e-5

    @Test("the fixture covers every objective in the catalogue")
    func coversCatalogue() {
        let names = Set(ObjectivesReference.caseNames)
        for n in Catalogue.all { #expect(names.contains(n), "no numpy case for \(n)") }
    }

    @Test(arguments: ObjectivesReference.caseNames)
    func matchesNumpy(_ name: String) {
        let ref = ObjectivesReference.shared
        let inputs = ref.inputs
        let c = ref.cases[name]!
        let objective = Catalogue.objective(name, similarity: Tensor(shape: [inputs.V, inputs.V], data: floats(inputs.raw["similarity"])))
        let z = Variable(inputs.btv("policy_logits"), requiresGrad: true)
        let s = Variable(inputs.bt("scores"), requiresGrad: true)
        let st = structure(for: name, desirable: inputs.desirable, groups: inputs.groups)
        let batch = inputs.batch(policyLogits: z, scores: s, structure: st)
        let out: ObjectiveOutput
        var learnedMask: Variable?
        if name == "sparsepo_reward_mask_grad" {
            let mu = Variable(inputs.bt("sparse_reward_mask"), requiresGrad: true)
            learnedMask = mu
            out = (objective as! SparsePO).compute(batch, rewardMask: mu, klMask: Variable(inputs.bt("sparse_kl_mask")), normalizer: .local)
        } else {
            out = objective.compute(batch, normalizer: .local)
        }
        let expectedLoss = Float((c["loss"] as! NSNumber).doubleValue)
        expectClose(out.loss.scalar, expectedLoss, atol: Self.tolerance, rtol: Self.tolerance, "\(name) loss")
        expectMetrics(out.metrics, metricsDict(c["metrics"]), atol: Self.tolerance, rtol: Self.tolerance, name)

        out.loss.backward()
        let wrt = c["grad_wrt"] as! String
        let expected = floats(c["grad"])
        let actual: Tensor?
        switch wrt {
        case "policy_logits": actual = z.grad
        case "scores": actual = s.grad
        case "sparse_reward_mask": actual = learnedMask?.grad
        default: actual = nil
        }
        guard let actual else {
            Issue.record("\(name): no gradient for \(wrt)")
            return
        }
        expectClose(actual, Tensor(shape: actual.shape, data: expected), atol: Self.tolerance, rtol: Self.tolerance, "\(name) d loss / d \(wrt)")
    }

    @Test("reward read-outs: implicit rewards, prefix returns, RTO, critical scores, ABC")
    func rewardReadouts() {
        let ref = ObjectivesReference.shared
        let x = ref.inputs
        let mask = x.mask, labels = x.labels
        let refLogps = TokenBatch.tokenLogps(logits: x.btv("reference_logits"), labels: labels, mask: mask)
        let dpoLogps = TokenBatch.tokenLogps(logits: x.btv("dpo_logits"), labels: labels, mask: mask)
        let implicit = ImplicitReward.tokenRewards(dpoLogps: dpoLogps, referenceLogps: refLogps, mask: mask, beta: 0.1)
        let expect = { (key: String) in Tensor(shape: [x.B, x.T], data: floats(ref.rewards[key])) }
        expectClose(implicit, expect("implicit_token_rewards"), atol: 1e-6, "implicit token rewards")
        expectClose(ImplicitReward.prefixReturns(implicit, mask: mask), expect("implicit_prefix_returns"), atol: 1e-6, "prefix returns")
        let rto = RTOReward.tokenRewards(dpoLogps: dpoLogps, referenceLogps: refLogps, oldLogps: x.bt("old_logps"),
                                         sequenceRewards: x.vector("sequence_rewards"), mask: mask)
        expectClose(rto, expect("rto_token_rewards"), atol: 1e-6, "RTO token rewards")
        let ce = ContrastiveCriticalTokens.scores(positiveLogits: x.btv("positive_logits"), negativeLogits: x.btv("negative_logits"),
                                                  labels: labels)
        expectClose(ce, expect("critical_scores"), atol: 1e-6, "critical-token scores")
        let att = Tensor(shape: [2, 8, 8], data: floats(x.raw["attention"]))
        let w = AttentionCredit.weights(attention: att, scoringPosition: 7, response: 2 ..< 8)
        expectClose(Tensor(w), Tensor(floats(ref.rewards["abc_weights"])), atol: 1e-6, "ABC weights")
        let r = AttentionCredit.tokenRewards(sequenceReward: 1.7, weights: w, beta: 0.8)
        expectClose(Tensor(r), Tensor(floats(ref.rewards["abc_rewards_R1.7_beta0.8"])), atol: 1e-6, "ABC rewards")
    }
}

@Suite("TRL parity (DPOTrainer, KTOTrainer, RewardTrainer loss code)")
struct TRLParityTests {
    static let tolerance: Float = 1e-5

    static func objective(_ name: String, params: [String: Any]) -> any Objective {
        func num(_ k: String) -> Float { Float((params[k] as? NSNumber)?.doubleValue ?? 0) }
        if name.hasPrefix("dpo_") {
            let types = (params["loss_type"] as! [String]).map { DPOLossType(rawValue: $0)! }
            let weights = floats(params["loss_weights"])
            return DPO(losses: zip(types, weights).map { DPO.Component($0, weight: $1) }, beta: num("beta"),
                       labelSmoothing: num("label_smoothing"), discopopTau: num("discopop_tau"))
        }
        if name.hasPrefix("kto") {
            return KTO(lossType: KTO.LossType(rawValue: params["loss_type"] as! String)!, beta: num("beta"),
                       desirableWeight: num("desirable_weight"), undesirableWeight: num("undesirable_weight"))
        }
        let center = params["center_rewards_coefficient"] as? NSNumber
        return BradleyTerryRM(centerCoefficient: center.map { Float($0.doubleValue) })
    }

    @Test("TRL version recorded") func version() { #expect(TRLReference.shared.trlVersion == "1.16.0") }

    @Test(arguments: TRLReference.caseNames)
    func matchesTRL(_ name: String) {
        let c = TRLReference.shared.cases[name]!
        let x = ObjectivesReference.shared.inputs
        let mask = x.mask, labels = x.labels
        let logps = Variable(TokenBatch.tokenLogps(logits: x.btv("policy_logits"), labels: labels, mask: mask), requiresGrad: true)
        let scores = Variable(x.bt("scores"), requiresGrad: true)
        let st: BatchStructure = name.hasPrefix("kto") ? .unpaired(desirable: x.desirable) : .pairs
        let batch = TokenBatch(policyLogps: logps, mask: mask, structure: st, scores: scores,
                               referenceLogps: TokenBatch.tokenLogps(logits: x.btv("reference_logits"), labels: labels, mask: mask),
                               sequenceValues: [.klPolicyLogps: x.vector("kl_policy_logps"),
                                                .klReferenceLogps: x.vector("kl_reference_logps"),
                                                .margin: x.vector("margin")])
        let out = Self.objective(name, params: c["params"] as! [String: Any]).compute(batch, normalizer: .local)
        expectClose(out.loss.scalar, Float((c["loss"] as! NSNumber).doubleValue), atol: Self.tolerance, rtol: Self.tolerance, "\(name) loss")
        expectMetrics(out.metrics, metricsDict(c["metrics"]), atol: Self.tolerance, rtol: Self.tolerance, "\(name) (TRL)")
        out.loss.backward()
        let g = (c["grad_wrt"] as! String) == "scores" ? scores.grad : logps.grad
        guard let g else {
            Issue.record("\(name): no gradient")
            return
        }
        // The stand-in model hands TRL the masked log-probs as plain leaves, so TRL's autograd also
        // reaches the masked positions (TRL's real fused head has no path there: labels are -100).
        // Compare at trained positions; ours are exactly 0 at masked ones (MaskedPositionTests).
        let trained = name.hasPrefix("reward") ? Tensor(shape: mask.shape, repeating: 1) : mask
        expectClose(g * trained, Tensor(shape: g.shape, data: floats(c["grad"])) * trained, atol: Self.tolerance, rtol: Self.tolerance,
                    "\(name) gradient (TRL)")
    }
}
