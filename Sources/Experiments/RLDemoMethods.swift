// The methods `tokenalign demo rl` compares: each is a reward (verifier, token credit, a trained
// reward model, an implicit DPO reward, or none) plus an advantage estimator and a policy loss, set
// on the shared online-RL configuration. Budgets are the demo's, never the method's.
import Foundation
import Objectives
import OnlineRL

/// Where a method's auxiliary models come from: a finished CreditBench demo run folder, and the
/// rl run's own `auxiliary/` folder for the models the demo trains itself (`RLDemoAuxiliary`).
public struct RLDemoInputs: Sendable {
    public var creditRun: URL
    public var auxiliary: URL
    func model(_ name: String) -> String { creditRun.appendingPathComponent("models/\(name)").path }
    /// The folder of a model the demo trains itself.
    func trained(_ m: RLDemoAuxiliaryModel) -> String { auxiliary.appendingPathComponent(m.rawValue).path }
    /// The rewriter's template file (`rlmec:DIR,FILE`).
    var rewriteTemplate: String { auxiliary.appendingPathComponent(RLDemoAuxiliary.templateFile).path }
}

/// One method of the comparison: how it sets up the shared online-RL loop.
public struct RLDemoMethod: Sendable {
    public var label: String
    public var summary: String
    /// Folders under the credit run's `models/` it reads (checked before anything trains).
    public var needs: [String] = []
    /// The method it changes one thing of, for the paired comparison that isolates that change
    /// (GRPO's variants against GRPO, PPO's against PPO, ABC against PPO on the same RM).
    public var baseline = "grpo"
    /// Models it trains inside the demo from the credit run's data (`RLDemoAuxiliary`), once per run.
    public var trains: [RLDemoAuxiliaryModel] = []
    /// Methods it is also compared with, paired by seed and prompt, besides GRPO and its baseline
    /// (RLMEC's own objective against PPO on the same rewards as well as against PPO).
    public var alsoPairedWith: [String] = []
    let configure: @Sendable (inout OnlineRLConfiguration, RLDemoSettings, RLDemoInputs) -> Void
}

extension RLDemo {
    /// PPO as the demo runs it: one completion per prompt, GAE over a value head, KL 0.05 in the
    /// reward, 4 epochs per batch, its own learning rate.
    static func ppo(_ c: inout OnlineRLConfiguration, _ s: RLDemoSettings) {
        c.estimator = "gae"
        c.promptsPerStep = s.completionsPerStep
        c.numGenerations = 1
        c.klCoef = 0.05
        c.numIterations = 4
        c.learningRate = s.ppoLearningRate
    }

    /// Every method the demo can run, by label.
    public static let methods: [RLDemoMethod] = [
        RLDemoMethod(label: "grpo", summary: "GRPO: group-normalised verifier reward, PPO clip") { _, _, _ in },
        RLDemoMethod(label: "dr-grpo", summary: "Dr. GRPO: no std scaling, constant length normaliser") { c, _, _ in
            c.estimator = "dr-grpo"
            c.lossAggMode = "seq-mean-token-sum-norm"
        },
        RLDemoMethod(label: "dapo", summary: "DAPO: clip-higher (0.2, 0.28), token-mean loss, soft overlong penalty; no dynamic sampling (it would sample past the budget)") { c, _, _ in
            c.clipRatioLow = 0.2
            c.clipRatioHigh = 0.28
            c.lossAggMode = "token-mean"
            c.rewards += ["overlong"]
        },
        RLDemoMethod(label: "rloo", summary: "RLOO: leave-one-out baseline") { c, _, _ in c.estimator = "rloo" },
        RLDemoMethod(label: "reinforce++", summary: "REINFORCE++: discounted token returns, batch whitening, no group baseline") { c, _, _ in
            c.estimator = "reinforce++"
        },
        RLDemoMethod(label: "reinforce++-baseline", summary: "REINFORCE++ with a group-mean baseline, batch whitening") { c, _, _ in
            c.estimator = "reinforce++-baseline"
        },
        RLDemoMethod(label: "gspo", summary: "GSPO: sequence-level importance ratio") { c, _, _ in c.policyLoss = "gspo" },
        RLDemoMethod(label: "ktae", summary: "KTAE: GRPO plus key-token bonuses from correct-vs-wrong token statistics") { c, _, _ in
            c.estimator = "ktae"
        },
        RLDemoMethod(label: "grpo-token-credit", summary: "GRPO on the verifier's first-error token penalty (−1 on the wrong token)") { c, _, _ in
            c.rewards = ["creditbench-token"]
        },
        RLDemoMethod(label: "ppo", summary: "PPO: GAE over a value head on the verifier reward, KL 0.05 in the reward, 4 epochs") { c, s, _ in
            ppo(&c, s)
        },
        RLDemoMethod(label: "ppo-token-credit", summary: "PPO on the verifier reward plus its first-error token penalty (ground-truth dense credit)", baseline: "ppo") { c, s, _ in
            ppo(&c, s)
            c.rewards = ["creditbench-token"]
        },
        RLDemoMethod(label: "rto", summary: "RTO: PPO on the verifier reward plus the DPO policy's implicit token reward (credit run's models/dpo)",
                     needs: ["dpo"], baseline: "ppo") { c, s, i in
            ppo(&c, s)
            c.rewards = ["creditbench", "implicit-dpo:\(i.model("dpo"))"]
        },
        RLDemoMethod(label: "ppo-token-rm", summary: "PPO on the verifier reward plus a token RM's dense reward (credit run's models/token-rm)",
                     needs: ["token-rm"], baseline: "ppo") { c, s, i in
            ppo(&c, s)
            c.rewards = ["creditbench", "token-rm:\(i.model("token-rm"))"]
        },
        RLDemoMethod(label: "ppo-rm", summary: "PPO on a sequence RM's score alone (credit run's models/sequence-rm; the verifier only judges)",
                     needs: ["sequence-rm"], baseline: "ppo") { c, s, i in
            ppo(&c, s)
            c.rewards = ["rm:\(i.model("sequence-rm"))"]
        },
        RLDemoMethod(label: "abc", summary: "ABC: PPO on the same sequence RM's score spread by its attention (β = 0.5); same return as ppo-rm",
                     needs: ["sequence-rm"], baseline: "ppo-rm") { c, s, i in
            ppo(&c, s)
            c.rewards = ["abc:\(i.model("sequence-rm"))"]
        },
        RLDemoMethod(label: "em-rl", summary: "EM-RL: GRPO on the trajectory log-probability alone (no verifier reward at all)") { c, _, _ in
            c.rewards = ["neg-trajectory-entropy"]
        },
        RLDemoMethod(label: "em-rl-token", summary: "EM-RL, token variant: negative token entropy as the only reward, KL 0.04") { c, _, _ in
            c.rewards = ["neg-entropy"]
            c.beta = 0.04
        },
        RLDemoMethod(label: "em-ft", summary: "EM-FT: token-entropy minimisation on the policy's own samples, KL 0.04 (no reward)") { c, _, _ in
            c.policyLoss = "em-ft"
            c.beta = 0.04
        },
        RLDemoMethod(label: "gtpo", summary: "GTPO: entropy-weighted token rewards, normalised over the group's tokens") { c, _, _ in
            c.estimator = "gtpo"
        },
        RLDemoMethod(label: "grpo-s", summary: "GRPO-S: outcome rewards reshaped by each response's mean entropy") { c, _, _ in
            c.estimator = "grpo-s"
        },
        RLDemoMethod(label: "oreal", summary: "OREAL: BC on one correct rollout per group, reshaped policy gradient on one wrong one (RLOO advantages), token weights from a token RM head trained online, KL 0.01") { c, _, _ in
            c.estimator = "rloo"
            c.policyLoss = "oreal"
            c.beta = 0.01
        },
        RLDemoMethod(label: "ma-rlhf", summary: "MA-RLHF: the ppo method with GAE over macro actions of 2 tokens", baseline: "ppo") { c, s, _ in
            ppo(&c, s)
            c.estimator = "ma-gae"
            c.macro = "ngram:2"
        },
        RLDemoMethod(label: "fine-grained-rlhf", summary: "Fine-grained RLHF: PPO on the verifier reward, the token RM at every token and the sequence RM at every clause end, weights 1, 0.5, 0.5",
                     needs: ["token-rm", "sequence-rm"], baseline: "ppo") { c, s, i in
            ppo(&c, s)
            c.rewards = ["creditbench", "token-rm:\(i.model("token-rm"))", "rm-span:\(i.model("sequence-rm"))"]
            c.rewardWeights = [1, 0.5, 0.5]
        },
        RLDemoMethod(label: "thr", summary: "THR: GRPO's advantage steered per token by the token hidden reward (reconstructed; the estimator's defaults)") { c, _, _ in
            c.estimator = "thr"
        },
        RLDemoMethod(label: "thr-exploit", summary: "THR at p = 0.5: dominant tokens that raise the correct responses' likelihood get 1.5× GRPO's advantage, the others 0.5× (the paper's exploitation side)") { c, _, _ in
            c.estimator = "thr"
            c.thrP = 0.5
        },
        RLDemoMethod(label: "thr-explore", summary: "THR at p = −0.5: the opposite tilt, keeping probability mass for alternatives (the paper's exploration side)") { c, _, _ in
            c.estimator = "thr"
            c.thrP = -0.5
        },
        RLDemoMethod(label: "quark", summary: "Quark: NLL on the reward-quantile pool behind control prefixes (5 quantiles), KL \(QuarkLoss.defaultKLCoefficient) and entropy \(QuarkLoss.defaultEntropyCoefficient) over the vocabulary; rollouts behind the best prefix") { c, _, _ in
            c.policyLoss = "quark"
        },
        // RLMEC's objective is a clipped token-level surrogate weighted by each token's own reward,
        // with a KL to the SFT model: PPO's shape, and a per-token estimator (GAE) keeps where the
        // reward is, which GRPO's group normalisation of the summed reward would discard.
        RLDemoMethod(label: "rlmec", summary: "RLMEC: PPO on a minimal-edit rewriter's clipped token probabilities alone (the rewriter: the SFT model fine-tuned in the run on the credit run's pairs)",
                     baseline: "ppo", trains: [.rewriter]) { c, s, i in
            ppo(&c, s)
            c.rewards = ["rlmec:\(i.trained(.rewriter)),\(i.rewriteTemplate)"]
        },
        RLDemoMethod(label: "segment-rm", summary: "Segment RM: PPO on a segment reward model's rewards alone, spread over the SFT model's entropy segments (the RM trained in the run on the credit run's pairs)",
                     baseline: "ppo", trains: [.segmentRM]) { c, s, i in
            ppo(&c, s)
            c.rewards = ["segment-rm:\(i.trained(.segmentRM))"]
        },
        // RLMEC's own objective (docs/design/online-rl.md §18): the same rewriter rewards as `rlmec`,
        // but each token weighted by its own reward (no critic) in the authors' clipped surrogate,
        // with a KL to the SFT model as a loss in place of PPO's KL in the reward, plus the imitation
        // of the rewriter's verified corrections. PPO's sampling budget, epochs and learning rate.
        RLDemoMethod(label: "rlmec-objective", summary: "RLMEC's own objective: the rewriter's token rewards as advantages in its clipped surrogate (ε 0.3, 4 epochs, KL 0.05 to the SFT model as a loss) plus the imitation term (λ 1) on the rewriter's verified corrections of the wrong rollouts",
                     baseline: "ppo", trains: [.rewriter], alsoPairedWith: ["rlmec"]) { c, s, i in
            ppo(&c, s)
            c.klCoef = 0
            c.beta = 0.05
            c.estimator = "rlmec"
            c.policyLoss = "rlmec"
            c.rewards = ["rlmec:\(i.trained(.rewriter)),\(i.rewriteTemplate)"]
            c.rlmecImitationCoef = RLMECImitation.defaultCoefficient
        },
    ]

    public static func method(_ label: String) -> RLDemoMethod? { methods.first { $0.label == label } }
}
