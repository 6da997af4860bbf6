// Shared helpers for the online-RL tests: the numpy fixture (`generate_rl_reference.py`) and small
// seeded random rollout batches.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

/// The loaded numpy reference `rl_reference.json`.
struct RLReference: @unchecked Sendable {
    let inputs: [String: Any]
    let estimators: [String: [String: Any]]
    let losses: [String: [String: Any]]
    let valueLoss: [String: Any]
    let klInReward: [String: [String: Any]]
    let adaptiveKL: [String: Any]
    let B: Int, T: Int

    static let shared: RLReference = {
        guard let obj = try? loadJSON("rl_reference.json"),
              let inputs = obj["inputs"] as? [String: Any],
              let estimators = obj["estimators"] as? [String: [String: Any]],
              let losses = obj["losses"] as? [String: [String: Any]],
              let value = obj["value_loss"] as? [String: Any],
              let kl = obj["kl_in_reward"] as? [String: [String: Any]],
              let adaptive = obj["adaptive_kl"] as? [String: Any],
              let B = (inputs["B"] as? NSNumber)?.intValue, let T = (inputs["T"] as? NSNumber)?.intValue
        else { preconditionFailure("rl_reference.json is missing or malformed; run generate_rl_reference.py") }
        return RLReference(inputs: inputs, estimators: estimators, losses: losses, valueLoss: value,
                           klInReward: kl, adaptiveKL: adaptive, B: B, T: T)
    }()

    static let estimatorCases: [String] = shared.estimators.keys.sorted()
    static let lossCases: [String] = shared.losses.keys.sorted()

    func bt(_ key: String) -> Tensor { Tensor(shape: [B, T], data: floats(inputs[key])) }
    func bt(_ any: Any?) -> Tensor { Tensor(shape: [B, T], data: floats(any)) }
    var groups: [Int] { ints(inputs["groups"]).map(Int.init) }

    /// The fixture's rollout batch (every per-token input, junk at masked positions).
    func batch() throws -> RolloutBatch {
        try RolloutBatch(mask: bt("mask"), tokenRewards: bt("token_rewards"), groupIDs: groups, values: bt("values"),
                         oldLogps: bt("old_logps"), referenceLogps: bt("reference_logps"),
                         rolloutLogps: bt("rollout_logps"), entropies: bt("entropies"),
                         tokenIDs: IndexTensor(shape: [B, T], data: ints(inputs["token_ids"])),
                         rewardBaselines: Tensor(floats(inputs["reward_baselines"])), tokenWeights: bt("token_weights"),
                         hiddenStates: btw("hidden_states", "hidden_size"), probabilities: btw("probabilities", "vocabulary"))
    }

    /// A [B, T, W] input, W stored under `widthKey`.
    func btw(_ key: String, _ widthKey: String) -> Tensor {
        Tensor(shape: [B, T, (inputs[widthKey] as? NSNumber)?.intValue ?? 0], data: floats(inputs[key]))
    }
}

func number(_ any: Any?) -> Float { Float((any as? NSNumber)?.doubleValue ?? .nan) }

func stringDict(_ any: Any?) -> [String: String] { any as? [String: String] ?? [:] }

// MARK: - Random rollout batches

/// A seeded random rollout batch: B = 6 responses in groups of 3, T = 6, masks with a prompt
/// prefix, padding and a tool-token hole; log-ratios of moderate size so clipping happens.
struct RandomRollout {
    static let B = 6, T = 6
    var mask: Tensor
    var rewards: Tensor
    var values: Tensor
    var logps: Tensor
    var oldLogps: Tensor
    var referenceLogps: Tensor
    var rolloutLogps: Tensor
    var entropies: Tensor
    var tokenAdvantages: Tensor
    var sequenceAdvantages: Tensor
    /// OREAL's token weights ω in [0, 1].
    var tokenWeights: Tensor
    var groups: [Int] = [0, 0, 0, 1, 1, 1]

    init(seed: UInt64, logRatioScale: Float = 0.25) {
        let B = Self.B, T = Self.T
        var g = RandomGenerator(seed: seed)
        let rows: [[Float]] = [[0, 1, 1, 1, 1, 0], [1, 1, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0],
                               [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 0], [0, 0, 1, 1, 1, 1]]
        mask = Tensor(shape: [B, T], data: rows.flatMap { $0 })
        rewards = Tensor.randomNormal([B, T], using: &g)
        values = Tensor.randomNormal([B, T], std: 0.5, using: &g)
        oldLogps = -Tensor.randomUniform([B, T], low: 0.2, high: 2.5, using: &g)
        logps = oldLogps + Tensor.randomNormal([B, T], std: logRatioScale, using: &g)
        referenceLogps = oldLogps + Tensor.randomNormal([B, T], std: 0.3, using: &g)
        rolloutLogps = oldLogps + Tensor.randomNormal([B, T], std: 0.5, using: &g)
        entropies = Tensor.randomUniform([B, T], low: 0.5, high: 2, using: &g)
        tokenAdvantages = Tensor.randomNormal([B, T], using: &g)
        let perRow = Tensor.randomNormal([B, 1], using: &g)
        sequenceAdvantages = perRow.broadcasted(to: [B, T]) * mask
        tokenWeights = Tensor.randomUniform([B, T], low: 0, high: 1, using: &g)
    }

    func batch() -> RolloutBatch {
        // Shapes are right by construction. Token ids (KTAE) cycle through a small vocabulary.
        let ids = IndexTensor(shape: [Self.B, Self.T], data: (0 ..< Self.B * Self.T).map { Int32(($0 * 7 + 3) % 5) })
        // THR's hidden states (C = 3) and probability rows (V = 5), from a generator of their own.
        var g = RandomGenerator(seed: 2510)
        let hidden = Tensor.randomNormal([Self.B, Self.T, 3], using: &g)
        let probabilities = (Tensor.randomNormal([Self.B, Self.T, 5], using: &g) * 1.5).softmax()
        return try! RolloutBatch(mask: mask, tokenRewards: rewards, groupIDs: groups, values: values, oldLogps: oldLogps,
                                 referenceLogps: referenceLogps, rolloutLogps: rolloutLogps, entropies: entropies, tokenIDs: ids,
                                 tokenWeights: tokenWeights, hiddenStates: hidden, probabilities: probabilities)
    }

    /// The same batch with NaN, ±inf and huge values written into every masked position.
    func withJunkAtMaskedPositions() -> RandomRollout {
        var r = self
        let m = mask.scalars
        func junk(_ t: Tensor, _ v: Float) -> Tensor {
            var x = t
            for i in 0 ..< m.count where m[i] == 0 { x[flat: i] = v }
            return x
        }
        r.rewards = junk(rewards, .nan)
        r.values = junk(values, .infinity)
        r.logps = junk(logps, .nan)
        r.oldLogps = junk(oldLogps, -.infinity)
        r.referenceLogps = junk(referenceLogps, .nan)
        r.rolloutLogps = junk(rolloutLogps, 1e30)
        r.entropies = junk(entropies, .nan)
        r.tokenAdvantages = junk(tokenAdvantages, .nan)
        r.sequenceAdvantages = junk(sequenceAdvantages, .infinity)
        r.tokenWeights = junk(tokenWeights, .nan)
        return r
    }

    func advantages(_ kind: String) -> Tensor { kind == "sequence" ? sequenceAdvantages : tokenAdvantages }
}

/// Loss, gradient w.r.t. ℓ (and w.r.t. the entropy) and metrics of a policy loss.
func policyLossAndGradient(_ loss: any PolicyLoss, batch: RolloutBatch, logps: Tensor, advantages: Tensor,
                           entropy: Tensor? = nil, normalizer: Normalizer = .local) throws
    -> (loss: Float, grad: Tensor, entropyGrad: Tensor?, metrics: [String: Float]) {
    let l = Variable(logps, requiresGrad: true)
    let h = entropy.map { Variable($0, requiresGrad: true) }
    let out = try loss.compute(PolicyLossInput(logps: l, advantages: advantages, batch: batch, entropy: h), normalizer: normalizer)
    out.loss.backward()
    return (out.loss.scalar, l.grad ?? Tensor.zeros(like: logps), h.map { $0.grad ?? Tensor.zeros(like: $0.value) }, out.metrics)
}

/// The registry entries' loss cases, with the advantages each uses (GSPO's straight-through form
/// and GMPO are sequence-advantage methods).
enum RLCatalogue {
    /// (case label, registry name, settings, advantages kind, with entropy).
    static let losses: [(String, String, [String: String], String, Bool)] = [
        ("ppo", "ppo", [:], "token", false),
        ("ppo-clip-higher-dual", "ppo", ["clip_ratio_high": "0.28", "dual_clip": "true"], "token", false),
        ("ppo-seq-mean-token-mean-kl", "ppo", ["loss_agg_mode": "seq-mean-token-mean", "kl_loss_coef": "0.04"], "token", false),
        ("ppo-dr-grpo", "ppo", ["loss_agg_mode": "seq-mean-token-sum-norm", "loss_scale_factor": "8"], "sequence", false),
        ("ppo-entropy-k2", "ppo", ["entropy_coeff": "0.01", "kl_loss_coef": "0.1", "kl_loss_type": "k2",
                                   "loss_agg_mode": "seq-mean-token-sum"], "token", true),
        ("gspo", "gspo", ["clip_ratio_low": "0.2", "clip_ratio_high": "0.2"], "sequence", false),
        ("gmpo", "gmpo", [:], "sequence", false),
        ("gmpo-kl", "gmpo", ["kl_loss_coef": "0.02", "clip_ratio_low": "0.1"], "sequence", false),
        ("reinforce-is-token", "reinforce-is", [:], "token", false),
        ("reinforce-is-token-mask", "reinforce-is", ["rollout_is_mode": "mask"], "token", false),
        ("reinforce-is-sequence", "reinforce-is", ["rollout_is_level": "sequence"], "sequence", false),
        ("reinforce-is-sequence-mask", "reinforce-is", ["rollout_is_level": "sequence", "rollout_is_mode": "mask"], "token", false),
        ("em-ft", "em-ft", [:], "token", true),
        ("em-ft-kl", "em-ft", ["kl_loss_coef": "0.05", "loss_agg_mode": "token-mean"], "token", true),
        ("oreal", "oreal", [:], "sequence", false),
        ("oreal-factors-kl", "oreal", ["positive_loss_factor": "1.5", "negative_loss_factor": "1", "pos_mult_adv": "false",
                                       "kl_loss_coef": "0.02"], "sequence", false),
        // Quark's full-vocabulary KL needs logits, which these [B, T] cases do not have: its NLL and
        // entropy terms here, the KL in QuarkLossTests (numpy example and gradient check).
        ("quark-nll-entropy", "quark", ["quark_kl_coef": "0"], "token", true),
        ("rlmec", "rlmec", [:], "token", false),
        ("rlmec-tight-kl", "rlmec", ["clip_ratio_low": "0.1", "clip_ratio_high": "0.15", "kl_loss_coef": "0.05",
                                     "loss_agg_mode": "seq-mean-token-sum"], "token", false),
    ]

    static var labels: [String] { losses.map(\.0) }

    static func loss(_ label: String) throws -> (loss: any PolicyLoss, advantages: String, entropy: Bool) {
        guard let c = losses.first(where: { $0.0 == label }) else { throw RLInputError.invalidSetting(key: "case", value: label, reason: "unknown") }
        return (try PolicyLosses.make(c.1, settings: PolicyLossSettings(config: c.2)), c.3, c.4)
    }
}
