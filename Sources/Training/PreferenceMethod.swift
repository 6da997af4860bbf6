// `--loss a,b --loss-weights x,y` → an objective and what the trainer must feed it
// (objectives.md §5: which per-token quantities each method needs).
import Objectives

/// A preference-optimisation method: the objective plus the inputs it needs.
public struct PreferenceMethod {
    public var objective: any Objective
    /// Policy logits [B, T, V] in the batch (TDPO, SparsePO, RRPO, AlignDistil).
    public var needsPolicyLogits = false
    /// Reference logits [B, T, V] (TDPO, SparsePO, RRPO).
    public var needsReferenceLogits = false
    /// The auxiliary models `--guide` must supply, in order, and whether their logits are needed.
    public var auxiliary: [(key: AuxiliaryKey, logits: Bool)] = []
    /// How many of `auxiliary` may be left out (AlignDistil's reverse-DPO model).
    public var optionalAuxiliary = 0
    /// Fill SparsePO's fixed MaPO masks from the reference's activations (hidden states and logits).
    public var sparsePOMasks = false
    /// SparsePO's learned masks (`sparsepo-learned`): the trainer builds a `SparsePOMaskModule`,
    /// trains it with the policy, and binds its masks into every `LearnedMaskSparsePO` per batch.
    public var learnedSparsePOMasks = false
    /// The objective reads `TokenBatch.tokenRewards`: every row needs `chosen_token_rewards` and
    /// `rejected_token_rewards` (TGDPO guided by an external token reward).
    public var needsTokenRewards = false
    /// With `learnedSparsePOMasks`: separate networks for the reward and the KL masks
    /// (`sparsepo-learned-indp`, the paper's "indp" variant) instead of one common mask.
    public var independentSparsePOMasks = false
    /// Fill RRPO's segment ids (annotated error spans, else the whole response).
    public var segments = false
    /// T-REG's contrastive prompting: texts prepended to the prompt for the "better" and "worse"
    /// no-grad passes of the reference (the paper scores tokens with the reference model); the
    /// trainer tokenizes them (`contrastivePrefixIDs`).
    public var contrastivePrefixes: (better: String, worse: String)?
    /// The tokenized `contrastivePrefixes` (set by `TrainingSetup`).
    public var contrastivePrefixIDs: (better: [Int], worse: [Int])?

    /// T-REG's default contrastive instructions. The wording is ours; the four qualities are the
    /// paper's (helpful, correct, coherent, concise versus unhelpful, incorrect, incoherent, verbose).
    public static let defaultContrastivePrefixes = (better: "Give a helpful, correct, coherent and concise answer. ",
                                                    worse: "Give an unhelpful, incorrect, incoherent and verbose answer. ")

    /// Every `--loss` name the preference trainer accepts.
    public static let tokenLevelNames = ["tdpo1", "tdpo2", "tgdpo", "tgdpo-rewards", "sparsepo", "sparsepo-learned", "sparsepo-learned-indp", "cdpo-critical", "cdpo-critical-code", "rrpo", "aligndistil", "simpo", "treg"]
    public static var allNames: [String] { DPOLossType.allCases.map(\.rawValue) + tokenLevelNames + ["kto", "apo_zero_unpaired"] }

    /// Builds the method for loss names and weights (TRL `loss_type` list + `loss_weights`).
    public static func make(losses: [String], weights: [Float]?, beta: Float, alpha: Float?, labelSmoothing: Float) throws -> PreferenceMethod {
        guard !losses.isEmpty else { throw TrainingError.invalidConfiguration("--loss needs at least one name") }
        let w = weights ?? Array(repeating: 1, count: losses.count)
        guard w.count == losses.count else {
            throw TrainingError.invalidConfiguration("--loss-weights has \(w.count) values for \(losses.count) losses")
        }
        guard beta > 0 else { throw TrainingError.invalidConfiguration("--beta must be > 0, got \(beta)") }
        var method = PreferenceMethod(objective: DPO(.sigmoid, beta: beta))
        var dpoComponents: [DPO.Component] = []
        var others: [(any Objective, Float)] = []
        for (name, weight) in zip(losses, w) {
            if let t = DPOLossType(rawValue: name) {
                if t == .exoPair && labelSmoothing == 0 {
                    throw TrainingError.invalidConfiguration("exo_pair needs --label-smoothing in (0, 1), e.g. 1e-3")
                }
                dpoComponents.append(.init(t, weight: weight))
                continue
            }
            let objective: any Objective
            switch name {
            case "tdpo1", "tdpo2":
                objective = TDPO(name == "tdpo1" ? .tdpo1 : .tdpo2, beta: beta, alpha: alpha ?? 0.5)
                method.needsPolicyLogits = true; method.needsReferenceLogits = true
            case "tgdpo":
                objective = TGDPO(beta: beta, alpha: alpha ?? 0.5)
                method.auxiliary.append((.tokenRewardModel, false))
            case "tgdpo-rewards":
                // TGDPO guided by the data's own token rewards (`chosen_token_rewards` /
                // `rejected_token_rewards`, e.g. a lexicon's per-word valence) instead of a model.
                objective = TGDPO(beta: beta, alpha: alpha ?? 0.5, guidance: .tokenRewards)
                method.needsTokenRewards = true
            case "sparsepo":
                objective = SparsePO(beta: beta)
                method.needsPolicyLogits = true; method.needsReferenceLogits = true; method.sparsePOMasks = true
            case "sparsepo-learned", "sparsepo-learned-indp":
                objective = LearnedMaskSparsePO(SparsePO(beta: beta))
                method.needsPolicyLogits = true; method.needsReferenceLogits = true; method.learnedSparsePOMasks = true
                method.independentSparsePOMasks = name == "sparsepo-learned-indp"
            case "cdpo-critical", "cdpo-critical-code":
                objective = CriticalTokenDPO(beta: beta, labelSmoothing: labelSmoothing, form: name == "cdpo-critical" ? .paper : .referenceCode)
                method.auxiliary += [(.positiveModel, true), (.negativeModel, true)]
            case "rrpo":
                objective = RRPO(beta: beta, alpha: alpha ?? 0.01)
                method.needsPolicyLogits = true; method.needsReferenceLogits = true; method.segments = true
            case "aligndistil":
                objective = AlignDistil(beta: beta)
                method.needsPolicyLogits = true
                method.auxiliary += [(.dpoModel, true), (.reverseDPOModel, true)]
                method.optionalAuxiliary = 1
                method.needsReferenceLogits = true  // z⁻ defaults to the reference
            case "simpo":
                objective = SimPO()
            case "treg":
                // The paper's DPO-REG (arXiv 2412.02685; α searched in {0.1, 0.25, 0.5}).
                objective = TREG(sequenceObjective: DPO(.sigmoid, beta: beta), alpha: alpha ?? 0.1, beta: beta, form: .paper)
                method.contrastivePrefixes = defaultContrastivePrefixes
            default:
                throw TrainingError.invalidConfiguration("unknown loss '\(name)'; expected one of \(allNames.joined(separator: ", "))")
            }
            others.append((objective, weight))
        }
        var components: [(any Objective, Float)] = []
        if !dpoComponents.isEmpty {
            components.append((DPO(losses: dpoComponents, beta: beta, labelSmoothing: labelSmoothing), 1))
        }
        components += others
        method.objective = components.count == 1 && components[0].1 == 1 ? components[0].0 : ObjectiveMix(components)
        return method
    }
}
