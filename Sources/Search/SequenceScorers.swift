// Every scorer `--scorer` accepts: `NAME` or `NAME:ARGUMENT`. Adding one: write the scorer (its own
// file), add one entry here, and test it.
import CreditBench
import Models
import OnlineRL
import Support
import Tokenizers

/// What a scorer may need from the run to be built.
public struct ScorerContext: @unchecked Sendable {
    public var tokenizer: Tokenizer
    public var vocabularySize: Int
    public var maxNewTokens: Int
    /// How reward-model scorers store their matrices (`--rm-weights`, docs/design/quantized.md).
    public var rewardModelWeights: WeightFormat
    /// Scorers that run forward passes per prefix keep a trie KV cache (`--trie-cache`).
    public var trieCache: Bool
    /// The policy itself, for scorers that read its own hidden states (`elhsr`, `clue`); nil where
    /// the caller has none.
    public var policy: (any LanguageModel)?

    public init(tokenizer: Tokenizer, vocabularySize: Int, maxNewTokens: Int, rewardModelWeights: WeightFormat = .f32, trieCache: Bool = false,
                policy: (any LanguageModel)? = nil) {
        self.tokenizer = tokenizer
        self.vocabularySize = vocabularySize
        self.maxNewTokens = maxNewTokens
        self.rewardModelWeights = rewardModelWeights
        self.trieCache = trieCache
        self.policy = policy
    }
}

/// One registered scorer kind.
public struct SequenceScorerEntry: RegistryEntry {
    public var card: MethodCard
    /// What the argument after the colon means ("" when the kind takes none).
    public var argument: String
    /// True when the argument may be left out.
    public var argumentOptional: Bool
    public var make: @Sendable (_ argument: String?, _ context: ScorerContext) throws -> any SequenceScorer

    public init(card: MethodCard, argument: String = "", argumentOptional: Bool = false,
                make: @escaping @Sendable (_ argument: String?, _ context: ScorerContext) throws -> any SequenceScorer) {
        self.card = card
        self.argument = argument
        self.argumentOptional = argumentOptional
        self.make = make
    }
}

public enum SequenceScorers {
    public static let registry = Registry<SequenceScorerEntry>(family: "scorer", [
        SequenceScorerEntry(card: MethodCard(
            name: "verifier", aliases: ["prm-oracle"],
            summary: "CreditBench verifier: 1 if correct, else 0; a prefix scores 1 until its first error (the oracle PRM)",
            inputs: ["the prompt row's \"task\" column, or TASK"]), argument: "TASK", argumentOptional: true) { arg, _ in
            guard let arg else { return VerifierScorer(task: nil) }
            guard let kind = CreditTaskName(rawValue: arg) else {
                throw SearchError.invalidSetting("--scorer verifier:\(arg): unknown task; expected one of "
                    + CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return VerifierScorer(task: kind)
        },
        folderScorer(MethodCard(
            name: "rm", summary: "A sequence reward model folder (`tokenalign reward`): σ(score) at the answer's last token (also on prefixes)",
            inputs: ["reward model"]), tokenLevel: false),
        folderScorer(MethodCard(
            name: "token-rm", summary: "A token reward model folder (`tokenalign reward --token-level`): the mean of σ(token score)",
            inputs: ["token reward model"]), tokenLevel: true),
        folderScorer(MethodCard(
            name: "value", summary: "A token-supervised value model (a reward-model folder trained on `tokenalign value-targets` rows): σ(head) at the prefix's last token",
            arxiv: ["2407.12863"], inputs: ["value model"]), tokenLevel: false),
        SequenceScorerEntry(card: MethodCard(
            name: "mrm", aliases: ["multifurcation"],
            summary: "A multifurcation reward model (`tokenalign reward --kind multifurcation`): every child's reward from one pass; a sequence scores its last transition",
            arxiv: ["2506.06444"], inputs: ["multifurcation reward model"]), argument: "DIR") { arg, ctx in
            guard let arg else { throw SearchError.invalidSetting("--scorer mrm needs a folder: mrm:DIR") }
            return try MultifurcationScorer(folder: arg, policyTokenizer: ctx.tokenizer, policyVocabulary: ctx.vocabularySize,
                                            weights: ctx.rewardModelWeights, trieCache: ctx.trieCache)
        },
        SequenceScorerEntry(card: MethodCard(
            name: "reward", summary: "Any model-free `--reward` function of online RL (lexicon, exact-match, regex, creditbench…): the sum of its token rewards",
            inputs: ["the reward function's inputs"]), argument: "NAME[:ARG]") { arg, ctx in
            guard let arg else { throw SearchError.invalidSetting("--scorer reward needs a reward function: reward:NAME[:ARG]") }
            return try RewardFunctionScorer(spec: arg, context: RewardContext(tokenizer: ctx.tokenizer, maxNewTokens: ctx.maxNewTokens,
                                                                                vocabularySize: ctx.vocabularySize,
                                                                                rewardModelWeights: ctx.rewardModelWeights))
        },
        judgeScorer(MethodCard(name: "judge", summary: "A language model as judge: p(Yes)/(p(Yes)+p(No)) after a rubric question about the answer",
                               arxiv: ["2306.05685", "2408.15240"], inputs: ["language model"])),
        judgeScorer(MethodCard(name: "crew", summary: "CRew: a language model's mean probability of the final answer's tokens",
                               arxiv: ["2510.13501"], inputs: ["language model"])),
        judgeScorer(MethodCard(name: "follow-up", summary: "FLR: mean log-likelihood of positive follow-ups after the answer minus that of negative ones",
                               arxiv: ["2409.13948"], inputs: ["language model"])),
        hiddenStateScorer(MethodCard(
            name: "elhsr", summary: "ELHSR: a gated linear reward on the policy's own hidden states of the answer's tokens (`tokenalign verifier-fit --method elhsr`), σ(R)",
            arxiv: ["2505.12225"], inputs: ["policy hidden states", "verifier file"])),
        hiddenStateScorer(MethodCard(
            name: "clue", summary: "CLUE: distance of the answer's hidden-state delta to the failure centroid minus that to the success centroid (`tokenalign verifier-fit --method clue`)",
            arxiv: ["2510.01591"], inputs: ["policy hidden states", "verifier file"])),
        SequenceScorerEntry(card: MethodCard(
            name: "cloud-rm", aliases: ["cloud"],
            summary: "A CLoud reward model (`tokenalign reward --kind cloud`): σ(head) after the model's own critique of the answer; the critique's generation is the scorer's forward work",
            arxiv: ["2408.11791"], inputs: ["CLoud reward model"]), argument: "DIR[,samples=K][,temperature=T][,seed=S]") { arg, ctx in
            try CritiqueOutLoudScorer(argument: arg, context: ctx)
        },
    ])

    /// A scorer read from the policy's own hidden states and a fitted verifier file (`elhsr`,
    /// `clue`): `NAME:FILE`; the search must hand over its policy (`ScorerContext.policy`).
    static func hiddenStateScorer(_ card: MethodCard) -> SequenceScorerEntry {
        SequenceScorerEntry(card: card, argument: "FILE") { arg, ctx in
            guard let arg else { throw SearchError.invalidSetting("--scorer \(card.name) needs a verifier file: \(card.name):FILE") }
            return try HiddenStateScorer(kind: card.name, file: arg, context: ctx)
        }
    }

    /// A scorer read from a frozen language model (`judge`, `crew`, `follow-up`), with `--reward`'s
    /// argument grammar (`LMJudges.usage`).
    static func judgeScorer(_ card: MethodCard) -> SequenceScorerEntry {
        SequenceScorerEntry(card: card, argument: LMJudges.usage[card.name].map { String($0.dropFirst(card.name.count + 1)) } ?? "MODEL") { arg, ctx in
            try LMJudgeScorer(kind: card.name, argument: arg, context: ctx)
        }
    }

    /// A scorer read from a reward-model folder (`rm`, `token-rm`, `value`): `NAME:DIR`, the folder
    /// required; the scorer is named as the entry.
    static func folderScorer(_ card: MethodCard, tokenLevel: Bool) -> SequenceScorerEntry {
        SequenceScorerEntry(card: card, argument: "DIR") { arg, ctx in
            guard let arg else { throw SearchError.invalidSetting("--scorer \(card.name) needs a folder: \(card.name):DIR") }
            return try RewardModelScorer(folder: arg, tokenLevel: tokenLevel, name: card.name, policyTokenizer: ctx.tokenizer,
                                         policyVocabulary: ctx.vocabularySize, weights: ctx.rewardModelWeights)
        }
    }

    /// Builds `NAME` or `NAME:ARGUMENT` (the argument may itself contain colons).
    public static func make(_ spec: String, context: ScorerContext) throws -> any SequenceScorer {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let entry: SequenceScorerEntry
        do { entry = try registry.entry(named: parts.first ?? "") } catch {
            throw SearchError.invalidSetting("--scorer \(spec): \(error)")
        }
        if parts.count > 1 && entry.argument.isEmpty {
            throw SearchError.invalidSetting("--scorer \(parts[0]) takes no argument, got '\(parts[1])'")
        }
        return try entry.make(parts.count > 1 ? parts[1] : nil, context)
    }
}
