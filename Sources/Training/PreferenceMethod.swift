// `--loss a,b --loss-weights x,y` → an objective and what the trainer must feed it, from the
// entries of `PreferenceObjectives.registry` (each declares the per-token quantities it reads).
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

    /// Every `--loss` name the preference trainer accepts (the registry's canonical names).
    public static var allNames: [String] { PreferenceObjectives.registry.names }

    /// Builds the method for loss names and weights (TRL `loss_type` list + `loss_weights`): each
    /// name is looked up in `PreferenceObjectives.registry`; members of the DPO catalogue are summed
    /// into one `DPO`, the others mixed with their weights.
    public static func make(losses: [String], weights: [Float]?, beta: Float, alpha: Float?, labelSmoothing: Float) throws -> PreferenceMethod {
        guard !losses.isEmpty else { throw TrainingError.invalidConfiguration("--loss needs at least one name") }
        let w = weights ?? Array(repeating: 1, count: losses.count)
        guard w.count == losses.count else {
            throw TrainingError.invalidConfiguration("--loss-weights has \(w.count) values for \(losses.count) losses")
        }
        guard beta > 0 else { throw TrainingError.invalidConfiguration("--beta must be > 0, got \(beta)") }
        let settings = ObjectiveSettings(beta: beta, alpha: alpha, labelSmoothing: labelSmoothing)
        var method = PreferenceMethod(objective: DPO(.sigmoid, beta: beta))
        var dpoComponents: [DPO.Component] = []
        var others: [(any Objective, Float)] = []
        do {
            for (name, weight) in zip(losses, w) {
                let entry = try PreferenceObjectives.registry.entry(named: name)
                if entry.needs.contains(.unpairedRows) {
                    throw TrainingError.invalidConfiguration("\(name) trains on unpaired rows and cannot be mixed with pair losses")
                }
                let objective = try entry.make(settings)
                if let t = entry.dpoLossType {
                    dpoComponents.append(.init(t, weight: weight))
                    continue
                }
                method.absorb(entry)
                others.append((objective, weight))
            }
        } catch let e as TrainingError {
            throw e
        } catch {
            throw TrainingError.invalidConfiguration("\(error)")
        }
        var components: [(any Objective, Float)] = []
        if !dpoComponents.isEmpty {
            components.append((DPO(losses: dpoComponents, beta: beta, labelSmoothing: labelSmoothing), 1))
        }
        components += others
        method.objective = components.count == 1 && components[0].1 == 1 ? components[0].0 : ObjectiveMix(components)
        return method
    }

    /// Adds what a registered objective reads to what the trainer must feed.
    mutating func absorb(_ e: PreferenceObjectiveEntry) {
        needsPolicyLogits = needsPolicyLogits || e.needs.contains(.policyLogits)
        needsReferenceLogits = needsReferenceLogits || e.needs.contains(.referenceLogits)
        needsTokenRewards = needsTokenRewards || e.needs.contains(.tokenRewards)
        segments = segments || e.needs.contains(.segments)
        sparsePOMasks = sparsePOMasks || e.needs.contains(.activationMasks)
        learnedSparsePOMasks = learnedSparsePOMasks || e.needs.contains(.learnedMasks)
        independentSparsePOMasks = independentSparsePOMasks || e.needs.contains(.independentLearnedMasks)
        auxiliary += e.auxiliary.map { (key: $0.key, logits: $0.logits) }
        optionalAuxiliary += e.optionalAuxiliary
        if let p = e.contrastivePrefixes { contrastivePrefixes = (p.better, p.worse) }
    }
}
