// The credit sources of the CreditBench localisation table (docs/design/rewards.md §4.3): one
// registry, which the table iterates. An entry builds its rows from what the demo has trained (the
// SFT model, the preference policies, cDPO's positive and negative models, the two reward models);
// each row is a `TokenRewardSource` (the contract of Sources/Rewards/TokenRewards.swift), so
// adding a source to the table is one registration.
import CreditBench
import Models
import Objectives
import Rewards
import Support
import Tokenizers

/// What the demo has when it localises credit: the inputs every credit source is built from.
public struct CreditDemoModels {
    public var settings: CreditDemoSettings
    public var task: any CreditTask
    public var tokenizer: Tokenizer
    /// The SFT model: the start and reference of every preference method.
    public var sft: any LanguageModel
    /// The trained preference policies, in the order of `settings.methods`.
    public var policies: [(name: String, model: any LanguageModel)]
    /// cDPO's models fine-tuned on correct and on wrong samples.
    public var positive: any LanguageModel
    public var negative: any LanguageModel
    /// A Bradley–Terry reward model and a token-level one (trained on the verifier's error spans).
    public var sequenceRM: CreditDemo.RewardModel
    public var tokenRM: CreditDemo.RewardModel

    public init(settings: CreditDemoSettings, task: any CreditTask, tokenizer: Tokenizer, sft: any LanguageModel,
                policies: [(name: String, model: any LanguageModel)], positive: any LanguageModel, negative: any LanguageModel,
                sequenceRM: CreditDemo.RewardModel, tokenRM: CreditDemo.RewardModel) {
        self.settings = settings
        self.task = task
        self.tokenizer = tokenizer
        self.sft = sft
        self.policies = policies
        self.positive = positive
        self.negative = negative
        self.sequenceRM = sequenceRM
        self.tokenRM = tokenRM
    }

    /// The id batches are padded with.
    public var padID: Int { tokenizer.padTokenID ?? 0 }
}

/// One row of the localisation table: a source and how the report names and explains it.
public struct CreditSourceRow {
    public var name: String
    public var explanation: String
    public var source: any TokenRewardSource

    public init(name: String, explanation: String, source: any TokenRewardSource) {
        self.name = name
        self.explanation = explanation
        self.source = source
    }
}

/// A registered credit source: its card, the rows it adds to the demo's table (most add one; the
/// implicit reward adds one per trained policy) and, for `tokenalign credit` / `eval credit`, how to
/// build it from a spec's argument and the models it names (nil: the source exists only in the demo).
public struct CreditSourceEntry: RegistryEntry {
    public typealias Load = @Sendable (_ argument: String?, _ spec: String, _ loader: CreditSourceLoader) throws -> any TokenRewardSource
    public var card: MethodCard
    /// The argument's shape after `NAME:` in a spec ("POLICY,REF[,BETA]"); nil when it takes none.
    public var argument: String?
    public var load: Load?
    public var make: @Sendable (CreditDemoModels) -> [CreditSourceRow]

    public init(card: MethodCard, argument: String? = nil, load: Load? = nil, make: @escaping @Sendable (CreditDemoModels) -> [CreditSourceRow]) {
        self.card = card
        self.argument = argument
        self.load = load
        self.make = make
    }
}

public enum CreditSources {
    /// Every credit source of the localisation table, in the table's order.
    public static let registry = Registry<CreditSourceEntry>(family: "credit source", [
        CreditSourceEntry(card: MethodCard(
            name: "implicit-reward", summary: "β·log π_θ(y_t)/π_SFT(y_t) of every trained preference policy (one row each)",
            arxiv: ["2404.12358"], inputs: ["each trained policy", "the SFT model (reference)"], defaults: ["beta": "the run's beta (0.1 by name)"]),
            argument: "POLICY,REF[,BETA]", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 2, optional: 1, shape: "implicit-reward:POLICY,REF[,BETA]")
                let beta = p.count > 2 ? try CreditSourceLoader.number(p[2], of: spec, name: "BETA") : 0.1
                return ImplicitDPOReward(dpo: ModelLogProbs(try l.model(p[0]), padID: l.padID),
                                         reference: ModelLogProbs(try l.model(p[1]), padID: l.padID), beta: beta)
            }) { m in
            let reference = ModelLogProbs(m.sft, padID: m.padID)
            return m.policies.map { p in
                CreditSourceRow(
                    name: "implicit reward (\(p.name))",
                    explanation: "β·log π_\(p.name)(y_t)/π_SFT(y_t): the \(p.name) model's implicit token reward (r→Q*, arXiv:2404.12358)",
                    source: ImplicitDPOReward(dpo: ModelLogProbs(p.model, padID: m.padID), reference: reference, beta: m.settings.beta))
            }
        },
        CreditSourceEntry(card: MethodCard(
            name: "cdpo-contrastive", summary: "cDPO's contrastive score softmax((1+γ)·z⁺ − γ·z⁻)[y_t]: low on tokens the positive model avoids",
            arxiv: ["2411.19943"], inputs: ["positive model (correct samples)", "negative model (wrong samples)"], defaults: ["gamma": "1"]),
            argument: "POSITIVE,NEGATIVE[,GAMMA]", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 2, optional: 1, shape: "cdpo-contrastive:POSITIVE,NEGATIVE[,GAMMA]")
                let gamma = p.count > 2 ? try CreditSourceLoader.number(p[2], of: spec, name: "GAMMA") : 1
                return ContrastiveCriticalTokenReward(logits: ModelLogits([try l.model(p[0]), try l.model(p[1])], padID: l.padID), gamma: gamma)
            }) { m in
            [CreditSourceRow(name: "cDPO contrastive",
                             explanation: "softmax(2·z⁺ − z⁻)[y_t] from models fine-tuned on correct / wrong samples (arXiv:2411.19943)",
                             source: ContrastiveCriticalTokenReward(logits: ModelLogits([m.positive, m.negative], padID: m.padID), gamma: 1))]
        },
        CreditSourceEntry(card: MethodCard(
            name: "token-rm", summary: "per-token scores of a reward head trained on the verifier's error spans (token-level RM loss)",
            inputs: ["token-level reward model"]),
            argument: "DIR", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 1, shape: "token-rm:DIR (a `tokenalign reward --token-level` folder)")
                return RewardModelTokenRewards(RewardModelReadout(try l.rewardModel(p[0]), padID: l.padID))
            }) { m in
            [CreditSourceRow(name: "token RM",
                             explanation: "per-token score of a reward head trained on the verifier's error spans (token-level RM loss)",
                             source: RewardModelTokenRewards(RewardModelReadout(m.tokenRM, padID: m.padID)))]
        },
        CreditSourceEntry(card: MethodCard(
            name: "attention-abc", summary: "ABC: the sequence RM's score spread by its last-layer attention from the scoring position",
            arxiv: ["2402.00782"], inputs: ["sequence reward model (score and attention)"], defaults: ["beta": "1"]),
            argument: "DIR[,BETA]", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 1, optional: 1, shape: "attention-abc:DIR[,BETA] (a `tokenalign reward` folder)")
                let beta = p.count > 1 ? try CreditSourceLoader.number(p[1], of: spec, name: "BETA") : 1
                let rm = RewardModelReadout(try l.rewardModel(p[0]), padID: l.padID)
                return AttentionCreditReward(reward: rm, beta: beta, weights: rm.attentionWeights)
            }) { m in
            let rm = RewardModelReadout(m.sequenceRM, padID: m.padID)
            return [CreditSourceRow(
                name: "attention (ABC)",
                explanation: "sequence RM score R spread by the RM's last-layer attention from the scoring position, head-averaged: R·α_t (arXiv:2402.00782, β = 1)",
                source: AttentionCreditReward(reward: rm, beta: 1, weights: rm.attentionWeights))]
        },
        CreditSourceEntry(card: MethodCard(
            name: "entropy", summary: "minus the entropy of π_SFT's next-token distribution: blame where the starting policy was unsure (baseline)", inputs: ["the SFT model"]),
            argument: "MODEL", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 1, shape: "entropy:MODEL")
                return NegativeEntropyReward(logits: ModelLogits([try l.model(p[0])], padID: l.padID))
            }) { m in
            [CreditSourceRow(name: "entropy (SFT)", explanation: "−H(π_SFT(·|y_<t)): blame where the starting policy was unsure",
                             source: NegativeEntropyReward(logits: ModelLogits([m.sft], padID: m.padID)))]
        },
        CreditSourceEntry(card: MethodCard(
            name: "confidence", summary: "log π_SFT(y_t): blame the tokens the starting policy found unlikely (baseline)",
            arxiv: ["2510.13501"], inputs: ["the SFT model"]),
            argument: "MODEL", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 1, shape: "confidence:MODEL")
                return LogProbReward(ModelLogProbs(try l.model(p[0]), padID: l.padID), name: "confidence")
            }) { m in
            [CreditSourceRow(name: "confidence (SFT)",
                             explanation: "log π_SFT(y_t): blame the tokens the starting policy found unlikely (CRew-style, arXiv:2510.13501)",
                             source: LogProbReward(ModelLogProbs(m.sft, padID: m.padID), name: "confidence"))]
        },
        CreditSourceEntry(card: MethodCard(
            name: "advantage", summary: "an advantage estimator's per-token advantages on the response inside a group sampled from the model and judged by the verifier (one row per estimator in the demo)",
            inputs: ["the SFT model (samples G − 1 more responses per prompt)", "the task's verifier"],
            defaults: ["G": "8", "demo estimators": AdvantageCredit.demoEstimators.joined(separator: " ")]),
            argument: "ESTIMATOR,MODEL,TASK[,G]", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 3, optional: 1, shape: "advantage:ESTIMATOR,MODEL,TASK[,G]")
                guard let name = CreditTaskName(rawValue: p[2]) else {
                    throw CreditSourceError.invalidArgument("\(spec): TASK '\(p[2])' is not one of \(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard let g = p.count > 3 ? Int(p[3]) : 8 else { throw CreditSourceError.invalidArgument("\(spec): G '\(p[3])' is not an integer") }
                let groups = try AdvantageGroups(model: try l.model(p[1]), task: try name.task(), tokenizer: l.tokenizer, groupSize: g, seed: l.seed &+ 555)
                return try AdvantageCredit(estimator: p[0], groups: groups)
            }) { m in
            guard let groups = try? AdvantageGroups(model: m.sft, task: m.task, tokenizer: m.tokenizer, seed: m.settings.seed &+ 555) else { return [] }
            return AdvantageCredit.demoEstimators.compactMap { try? AdvantageCredit(estimator: $0, groups: groups) }.map { source in
                CreditSourceRow(name: "advantage (\(source.estimator.name))",
                                explanation: "\(source.estimator.name)'s per-token advantage of the response in a group of 8 sampled from π_SFT, verifier reward",
                                source: source)
            }
        },
        CreditSourceEntry(card: MethodCard(
            name: "random", summary: "uniform noise: the chance level", defaults: ["seed": "seed + 999"]),
            argument: "[SEED]", load: { arg, spec, l in
                let p = try CreditSourceLoader.parts(arg, of: spec, required: 0, optional: 1, shape: "random or random:SEED")
                guard let seed = p.isEmpty ? l.seed &+ 999 : UInt64(p[0]) else {
                    throw CreditSourceError.invalidArgument("\(spec): SEED must be a non-negative integer")
                }
                return UniformNoiseReward(seed: seed)
            }) { m in
            [CreditSourceRow(name: "random", explanation: "uniform noise: the chance level", source: UniformNoiseReward(seed: m.settings.seed &+ 999))]
        },
    ])
}
