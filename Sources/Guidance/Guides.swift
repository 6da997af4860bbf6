// The decoding-guide registry: `tokenalign generate --guide NAME:ARG --weight W` (repeatable),
// `tokenalign methods`, the benchmark and the tests read it (docs/design/README.md, "The seam";
// docs/design/decoding.md).
import Models
import Support
import Training

/// One registered guide: its card, what its argument is, and a factory.
public struct GuideEntry: RegistryEntry {
    public var card: MethodCard
    /// What ARG in `NAME:ARG` is, in words (for help and for the missing-argument error).
    public var argument: String
    /// Builds the guide from its argument.
    public var make: @Sendable (_ argument: String, _ environment: GuideEnvironment) throws -> any Guide

    public init(card: MethodCard, argument: String, make: @escaping @Sendable (String, GuideEnvironment) throws -> any Guide) {
        self.card = card
        self.argument = argument
        self.make = make
    }
}

public enum Guides {
    public static let registry = Registry<GuideEntry>(family: "decoding guide", [
        rewardModelGuide(MethodCard(name: "rad", summary: "RAD: the top-k candidates rescored by a causal reward model with its own KV cache, z + β·r",
                                    arxiv: ["2310.09520"], inputs: ["reward model (tokenalign reward)", "top-k candidates"],
                                    defaults: ["weight": "β (the paper's 30 for [0, 1] rewards)", "guide_top_k": "20"]),
                         build: { RewardAugmentedGuide(model: $0, head: $1) }),
        rewardModelGuide(MethodCard(name: "args", summary: "ARGS: the top-k candidates scored by a sequence reward model on prefix + candidate (recomputed), z + w·r",
                                    arxiv: ["2402.01694"], inputs: ["reward model (tokenalign reward)", "top-k candidates"],
                                    defaults: ["weight": "1.5", "guide_top_k": "10"]),
                         build: { RewardSearchGuide(model: $0, head: $1) }),
        logProbabilityGuide(MethodCard(name: "genarm", summary: "GenARM: an autoregressive reward model's log-probs added every step, z + (1/β)·log π_r",
                                       arxiv: ["2410.08193"], inputs: ["autoregressive reward model (tokenalign reward --kind autoregressive)"],
                                       defaults: ["weight": "1 (= 1/β; one --guide per objective for multi-objective)"]),
                            argument: "ARM_DIR, a causal LM trained with `tokenalign reward --kind autoregressive`"),
        logProbabilityGuide(MethodCard(name: "logits", aliases: ["unir"],
                                       summary: "UniR-style logit addition: a small trained module's log-probs added to a frozen base, z + w·log π_module",
                                       arxiv: ["2505.19075"], inputs: ["small causal LM sharing the vocabulary"], defaults: ["weight": "1"]),
                            argument: "DIR, a causal LM (folder or .gguf) with the policy's vocabulary"),
        GuideEntry(
            card: MethodCard(name: "layer-contrast", aliases: ["dola"],
                             summary: "DoLa layer contrast: −log q of an early-exit layer (final norm + LM head), within the adaptive plausibility set",
                             arxiv: ["2309.03883", "2505.23657"], inputs: ["the policy's early-exit layer"],
                             defaults: ["weight": "1", "plausibility_alpha": "0.1"]),
            argument: "N, the number of decoder layers before the early exit (0 = embeddings only)") { arg, env in
            guard let n = Int(arg), n >= 0, n < env.policy.layerCount else {
                throw GuideError("--guide layer-contrast:\(arg): expected a layer count from 0 to \(env.policy.layerCount - 1) (the policy has \(env.policy.layerCount) layers)")
            }
            guard env.policy is any EarlyExiting else {
                throw GuideError("--guide layer-contrast: a \(env.policy.modelType) model cannot exit early")
            }
            return LayerContrastGuide(model: env.policy, exitLayers: n)
        },
        GuideEntry(
            card: MethodCard(name: "pad", summary: "PAD-style personalisation: the policy conditioned on a preference text rescoring its top-k, z + w·(log-softmax_k(z_p) − log-softmax_k(z))",
                             arxiv: ["2410.04070"], inputs: ["preference description (text)", "top-k candidates"],
                             defaults: ["weight": "1.5", "guide_top_k": "10"]),
            argument: "TEXT, the preference description put before every prompt") { arg, env in
            guard let tokenizer = env.tokenizer else { throw GuideError("--guide pad needs the policy's tokenizer to encode the description") }
            let ids = tokenizer.encode(arg + "\n")
            guard !ids.isEmpty else { throw GuideError("--guide pad:\(arg): the description encodes to no tokens") }
            return PreferenceConditionedGuide(model: env.policy, preference: ids)
        },
    ])

    /// A guide on a reward-model folder (`rad`, `args`), which `build` makes from its model and head.
    static func rewardModelGuide(_ card: MethodCard, build: @escaping @Sendable (any LanguageModel, RewardHead) -> any Guide) -> GuideEntry {
        GuideEntry(card: card, argument: "RM_DIR, a reward-model folder written by `tokenalign reward`") { arg, env in
            let rm = try GuideModels.rewardModel(arg, for: card.name, environment: env)
            return build(rm.model, rm.head)
        }
    }

    /// A guide adding a second causal LM's next-token log-probabilities (`genarm`, `logits`).
    static func logProbabilityGuide(_ card: MethodCard, argument: String) -> GuideEntry {
        GuideEntry(card: card, argument: argument) { arg, env in
            LogProbabilityGuide(name: card.name, model: try GuideModels.languageModel(arg, for: card.name, environment: env))
        }
    }

    /// Builds the guide a `NAME:ARG` specification names.
    /// - Throws: `GuideError` for an unknown name (listing the known ones), a missing argument, or
    ///   a model that cannot guide this policy.
    public static func make(_ specification: String, environment: GuideEnvironment) throws -> any Guide {
        let parts = specification.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let entry: GuideEntry
        do {
            entry = try registry.entry(named: name)
        } catch {
            throw GuideError("--guide \(specification): \(error)")
        }
        guard parts.count == 2, !parts[1].isEmpty else {
            throw GuideError("--guide \(name) needs an argument: \(entry.card.name):\(entry.argument)")
        }
        return try entry.make(String(parts[1]), environment)
    }
}
