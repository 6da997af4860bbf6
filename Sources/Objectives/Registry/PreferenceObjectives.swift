// Every preference objective `tokenalign dpo --loss NAME` accepts, with its paper and what it reads.
// Adding one: write the objective (its own file), add one entry here, and give it a worked-example
// case, a gradient check and a learning test (the tests iterate this registry and fail otherwise).
import Support

public enum PreferenceObjectives {
    /// The registry. Canonical names follow TRL's `loss_type` spelling where TRL has the method.
    public static let registry = Registry<PreferenceObjectiveEntry>(family: "preference objective", dpoCatalogue + tokenLevel + unpaired)

    /// TRL's DPO `loss_type` catalogue: one `DPO` objective sums every member named in `--loss`.
    static let dpoCatalogue: [PreferenceObjectiveEntry] = {
        let facts: [(DPOLossType, String, [String])] = [
            (.sigmoid, "DPO: −log σ(β·margin of the pair's log-ratios)", ["2305.18290"]),
            (.hinge, "SLiC hinge: max(0, 1 − β·margin)", ["2305.10425"]),
            (.ipo, "IPO: squared distance of the per-token-average margin from 1/(2β)", ["2310.12036"]),
            (.exoPair, "EXO (pair form): reverse KL between the policy's and the label's pair distributions; needs label_smoothing", ["2402.00856"]),
            (.ncaPair, "NCA: noise-contrastive alignment on absolute rewards", ["2402.05369"]),
            (.robust, "Robust DPO: unbiased under flipped labels (label_smoothing = flip rate)", ["2403.00409"]),
            (.bcoPair, "BCO (pair form): binary classification of chosen vs rejected rewards", ["2404.04656"]),
            (.sppoHard, "SPPO with hard probabilities: squared distances of each reward from ±1/(2β)", ["2405.00675"]),
            (.aot, "AOT (paired): distributional alignment via sorted margins in the batch", ["2406.05882"]),
            (.aotUnpaired, "AOT (unpaired): sorted chosen vs sorted rejected log-ratios in the batch", ["2406.05882"]),
            (.apoZero, "APO-zero: raise chosen, lower rejected likelihood (anchored)", ["2408.06266"]),
            (.apoDown, "APO-down: lower both, rejected more", ["2408.06266"]),
            (.discopop, "DiscoPOP: log-ratio-modulated blend of logistic and exponential losses", ["2406.08414"]),
            (.sft, "NLL of the chosen responses, for mixing (MPO's sigmoid + bco_pair + sft)", ["2411.10442"]),
            (.sigmoidNorm, "DPO on per-token-average log-ratios", []),
            (.conservative, "Conservative DPO: label smoothing ε, stationary at σ(β·margin) = 1 − ε", []),
        ]
        return facts.map { t, summary, arxiv in
            PreferenceObjectiveEntry(card: MethodCard(name: t.rawValue, summary: summary, arxiv: arxiv, defaults: ["beta": "0.1"]),
                                     dpoLossType: t) { s in
                if t == .exoPair && s.labelSmoothing == 0 {
                    throw ObjectiveSettingError("exo_pair needs --label-smoothing in (0, 1), e.g. 1e-3")
                }
                return DPO(losses: [.init(t, weight: 1)], beta: s.beta, labelSmoothing: s.labelSmoothing)
            }
        }
    }()

    /// T-REG's default contrastive instructions. The wording is ours; the four qualities are the
    /// paper's (helpful, correct, coherent, concise versus unhelpful, incorrect, incoherent, verbose).
    public static let tregPrefixes = ContrastivePrefixes(better: "Give a helpful, correct, coherent and concise answer. ",
                                                         worse: "Give an unhelpful, incorrect, incoherent and verbose answer. ")

    static let tokenLevel: [PreferenceObjectiveEntry] = [
        PreferenceObjectiveEntry(
            card: MethodCard(name: "tdpo1", summary: "TDPO1: DPO margin minus β·(sequential KL difference) of chosen and rejected",
                             arxiv: ["2404.11999"], defaults: ["beta": "0.1"]),
            needs: [.policyLogits, .referenceLogits]) { s in TDPO(.tdpo1, beta: s.beta, alpha: s.alpha ?? 0.5) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "tdpo2", summary: "TDPO2: TDPO1 with α-weighted, stop-gradient-on-chosen sequential KL",
                             arxiv: ["2404.11999"], defaults: ["beta": "0.1", "alpha": "0.5"]),
            needs: [.policyLogits, .referenceLogits]) { s in TDPO(.tdpo2, beta: s.beta, alpha: s.alpha ?? 0.5) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "tgdpo", summary: "TGDPO: token log-ratios weighted by a guide model's implicit token reward",
                             arxiv: ["2506.14574"], defaults: ["beta": "0.1", "alpha": "0.5"]),
            auxiliary: [AuxiliaryModel(.tokenRewardModel, logits: false)]) { s in TGDPO(beta: s.beta, alpha: s.alpha ?? 0.5) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "tgdpo-rewards", summary: "TGDPO guided by the data's own token rewards (e.g. a lexicon's word valences)",
                             arxiv: ["2506.14574"], defaults: ["beta": "0.1", "alpha": "0.5"]),
            needs: [.tokenRewards]) { s in TGDPO(beta: s.beta, alpha: s.alpha ?? 0.5, guidance: .tokenRewards) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "sparsepo", summary: "SparsePO: token masks from the reference's activations on the reward and the KL",
                             arxiv: ["2410.05102"], defaults: ["beta": "0.1"]),
            needs: [.policyLogits, .referenceLogits, .activationMasks]) { s in SparsePO(beta: s.beta) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "sparsepo-learned", summary: "SparsePO with one learned mask network over the reference's layers",
                             arxiv: ["2410.05102"], defaults: ["beta": "0.1"]),
            needs: [.policyLogits, .referenceLogits, .learnedMasks]) { s in LearnedMaskSparsePO(SparsePO(beta: s.beta)) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "sparsepo-learned-indp", summary: "SparsePO's 'indp' variant: separate reward and KL mask networks",
                             arxiv: ["2410.05102"], defaults: ["beta": "0.1"]),
            needs: [.policyLogits, .referenceLogits, .learnedMasks, .independentLearnedMasks]) { s in LearnedMaskSparsePO(SparsePO(beta: s.beta)) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "cdpo-critical", summary: "Critical-token cDPO: token weights from positive/negative model contrast (paper form)",
                             arxiv: ["2411.19943"], defaults: ["beta": "0.1"]),
            auxiliary: [AuxiliaryModel(.positiveModel, logits: true), AuxiliaryModel(.negativeModel, logits: true)]) { s in
            CriticalTokenDPO(beta: s.beta, labelSmoothing: s.labelSmoothing, form: .paper)
        },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "cdpo-critical-code", summary: "Critical-token cDPO as the reference code computes it",
                             arxiv: ["2411.19943"], defaults: ["beta": "0.1"]),
            auxiliary: [AuxiliaryModel(.positiveModel, logits: true), AuxiliaryModel(.negativeModel, logits: true)]) { s in
            CriticalTokenDPO(beta: s.beta, labelSmoothing: s.labelSmoothing, form: .referenceCode)
        },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "rrpo", summary: "RRPO: segment-level refined rewards with token-wise KL on the chosen response",
                             arxiv: ["2504.12083"], defaults: ["beta": "0.1", "alpha": "0.01"]),
            needs: [.policyLogits, .referenceLogits, .segments]) { s in RRPO(beta: s.beta, alpha: s.alpha ?? 0.01) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "aligndistil", summary: "AlignDistil: token-adaptive distillation from a DPO model's logit extrapolation",
                             arxiv: ["2503.02832"], defaults: ["beta": "0.1"]),
            // z⁻ defaults to the reference when the reverse-DPO model is left out.
            needs: [.policyLogits, .referenceLogits],
            auxiliary: [AuxiliaryModel(.dpoModel, logits: true), AuxiliaryModel(.reverseDPOModel, logits: true)],
            optionalAuxiliary: 1) { s in AlignDistil(beta: s.beta) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "simpo", summary: "SimPO: length-normalised, reference-free margin with target γ",
                             arxiv: ["2405.14734"], defaults: ["beta": "2.0", "gamma_beta_ratio": "0.25"])) { _ in SimPO() },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "treg", summary: "T-REG: DPO regularised by self-generated token rewards from contrastive prompts",
                             arxiv: ["2412.02685"], defaults: ["beta": "0.1", "alpha": "0.1"]),
            contrastivePrefixes: tregPrefixes) { s in
            // The paper's DPO-REG (α searched in {0.1, 0.25, 0.5}).
            TREG(sequenceObjective: DPO(.sigmoid, beta: s.beta), alpha: s.alpha ?? 0.1, beta: s.beta, form: .paper)
        },
    ]

    static let unpaired: [PreferenceObjectiveEntry] = [
        PreferenceObjectiveEntry(
            card: MethodCard(name: "kto", summary: "KTO: prospect-theoretic loss on unpaired desirable/undesirable rows",
                             arxiv: ["2402.01306"], defaults: ["beta": "0.1"]),
            needs: [.unpairedRows]) { s in KTO(lossType: .kto, beta: s.beta) },
        PreferenceObjectiveEntry(
            card: MethodCard(name: "apo_zero_unpaired", summary: "APO-zero on unpaired rows",
                             arxiv: ["2408.06266"], defaults: ["beta": "0.1"]),
            needs: [.unpairedRows]) { s in KTO(lossType: .apoZeroUnpaired, beta: s.beta) },
    ]
}

extension PreferenceObjectives {
    /// The canonical names of the pair objectives a pipeline can train with nothing but a policy, a
    /// reference and pairs: no `--guide` model, no contrastive prompts, and token rewards only when
    /// `withTokenRewards` (the pairs carry them). The demos offer these beside their own wired
    /// methods.
    public static func selfContainedNames(withTokenRewards: Bool) -> [String] {
        registry.entries.filter { e in
            e.auxiliary.isEmpty && e.contrastivePrefixes == nil && !e.needs.contains(.unpairedRows)
                && (withTokenRewards || !e.needs.contains(.tokenRewards))
        }.map(\.card.name)
    }
}
