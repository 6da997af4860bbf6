// Every reward kind `--reward` accepts. Adding one: write the function (its own file), add one
// entry here, and test it.
import Foundation
import Support

public enum RewardFunctions {
    public static let registry = Registry<RewardFunctionEntry>(family: "reward function", [
        RewardFunctionEntry(card: MethodCard(name: "creditbench", summary: "CreditBench verifier: 1 if the completion is correct, else 0 (rows need a \"task\" column)")) { _, ctx in
            CreditBenchVerifierReward(tokenLevel: false, tokenizer: ctx.tokenizer)
        },
        RewardFunctionEntry(card: MethodCard(name: "creditbench-token", summary: "CreditBench verifier with −1 on the token of the first error (ground-truth token credit)")) { _, ctx in
            CreditBenchVerifierReward(tokenLevel: true, tokenizer: ctx.tokenizer)
        },
        RewardFunctionEntry(card: MethodCard(name: "exact-match", summary: "1 if the trimmed completion equals the row's column (default \"answer\")",
                                             defaults: ["column": "answer"]), argument: "COLUMN") { arg, _ in
            ExactMatchReward(column: arg ?? "answer")
        },
        RewardFunctionEntry(card: MethodCard(name: "regex", summary: "1 if the regular expression matches anywhere in the completion"), argument: "PATTERN") { arg, _ in
            guard let arg else { throw RewardError("--reward regex needs a pattern: regex:PATTERN") }
            return try PatternReward(pattern: arg, whole: false)
        },
        RewardFunctionEntry(card: MethodCard(name: "format", summary: "1 if the trimmed completion matches the regular expression as a whole"), argument: "PATTERN") { arg, _ in
            guard let arg else { throw RewardError("--reward format needs a pattern: format:PATTERN") }
            return try PatternReward(pattern: arg, whole: true)
        },
        RewardFunctionEntry(card: MethodCard(name: "overlong", summary: "DAPO's soft overlong punishment: 0, then a ramp to −1 over the last CACHE tokens before MAX",
                                             arxiv: ["2503.14476"], defaults: ["max": "max_new_tokens", "cache": "max/4"]), argument: "MAX,CACHE") { arg, ctx in
            let parts = CommaList.strings(arg ?? "").map { Int($0) }
            if arg != nil && (parts.count != 2 || parts.contains(nil)) { throw RewardError("--reward overlong:MAX,CACHE takes two integers, got '\(arg!)'") }
            let maxLength = parts.first.flatMap { $0 } ?? ctx.maxNewTokens
            return try OverlongPenalty(maxLength: maxLength, cache: parts.count == 2 ? parts[1]! : max(1, maxLength / 4))
        },
        RewardFunctionEntry(card: MethodCard(name: "lexicon", summary: "VADER word valences on the tokens that carry each word (dense token reward)"), argument: "LEXICON_FILE") { arg, ctx in
            try LexiconTokenReward(lexiconFile: URL(fileURLWithPath: arg ?? ".assets/vader/vader_lexicon.txt"), tokenizer: ctx.tokenizer)
        },
        RewardFunctionEntry(card: MethodCard(name: "rm", summary: "A sequence reward model folder from `tokenalign reward`: its score at the last token (transform=logsigmoid: LSC-transformed, arXiv 2402.00742)"),
                           argument: "DIR[,transform=NAME[,ref-quantile=Q|ref-column=NAME]]") { arg, ctx in
            guard let arg else { throw RewardError("--reward rm needs a folder: rm:DIR") }
            let (rest, transform) = try RewardTransform.parse(CommaList.strings(arg), spec: "rm:\(arg)")
            guard rest.count == 1, let dir = rest.first, !dir.isEmpty else {
                throw RewardError("--reward rm:\(arg): expected one folder, then options: rm:DIR[,transform=logsigmoid[,ref-quantile=Q|ref-column=NAME]]")
            }
            let rm = try RewardModelReward(folder: dir, tokenLevel: false, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer,
                                           weights: ctx.rewardModelWeights)
            return transform == .identity ? rm : TransformedSequenceReward(base: rm, transform: transform)
        },
        RewardFunctionEntry(card: MethodCard(name: "token-rm", summary: "A token reward model folder from `tokenalign reward --token-level`: its score at every token"), argument: "DIR") { arg, ctx in
            guard let arg else { throw RewardError("--reward token-rm needs a folder: token-rm:DIR") }
            return try RewardModelReward(folder: arg, tokenLevel: true, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer,
                                         weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "segment-rm", summary: "A segment reward model (`tokenalign reward --kind segment`): its head at the ends of the reference's entropy segments, normalised by relative position, spread over each segment",
                                             arxiv: ["2501.02790"], defaults: ["threshold": "the folder's", "bins": "10", "spread": "split"]),
                           argument: "DIR[,THRESHOLD[,BINS[,SPREAD]]]") { arg, ctx in
            guard let arg else { throw RewardError("--reward segment-rm needs a folder: segment-rm:DIR[,THRESHOLD[,BINS[,SPREAD]]]") }
            return try SegmentRewardModelReward(argument: arg, referencePath: ctx.referencePath, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer,
                                                weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "rm-span", summary: "A reward model folder read at the end of every sentence or clause and at the last token (fine-grained RLHF's span density)",
                                             arxiv: ["2306.01693"]), argument: "DIR") { arg, ctx in
            guard let arg else { throw RewardError("--reward rm-span needs a folder: rm-span:DIR") }
            return try RewardModelReward(folder: arg, density: .span, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer,
                                         weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "abc", summary: "ABC: a sequence RM's score spread over the tokens by its last-layer attention, β·R·α_t + (1 − β)·R at the end",
                                             arxiv: ["2402.00782"], defaults: ["beta": "0.5"]), argument: "DIR[,BETA]") { arg, ctx in
            let parts = (arg ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard let dir = parts.first, !dir.isEmpty, parts.count <= 2 else { throw RewardError("--reward abc needs a reward-model folder: abc:DIR[,BETA]") }
            var beta: Float = 0.5
            if parts.count == 2 {
                guard let b = Float(parts[1]) else { throw RewardError("--reward abc:\(arg ?? ""): BETA must be a number, got '\(parts[1])'") }
                beta = b
            }
            return try AttentionCreditRLReward(folder: dir, beta: beta, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer,
                                              weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "rm-ensemble", summary: "Several sequence reward models combined: mean, median, min, mean − λ·std, mean − λ·variance or sum (with transform=logsigmoid each member is LSC-transformed first: sum is the soft AND of arXiv 2402.00742)",
                                             arxiv: ["2312.09244", "2310.02743"], defaults: ["mode": "mean"]), argument: "DIR1,DIR2[,transform=NAME,…][:MODE]") { arg, ctx in
            guard let arg else { throw RewardError("--reward rm-ensemble needs folders: rm-ensemble:DIR1,DIR2[:MODE]") }
            return try RewardModelEnsembleReward(argument: arg, vocabularySize: ctx.vocabularySize, tokenizer: ctx.tokenizer, weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "implicit-dpo", summary: "RTO's dense token reward: clip(scale·(ℓ_dpo − ℓ_ref), ±clip), ref = the run's reference",
                                             arxiv: ["2404.18922"], defaults: ["scale": "0.05", "clip": "0.05"]), argument: "DPO_DIR[,SCALE[,CLIP]]") { arg, ctx in
            let parts = CommaList.strings(arg ?? "")
            guard let dir = parts.first, !dir.isEmpty else { throw RewardError("--reward implicit-dpo needs a DPO model: implicit-dpo:DIR") }
            let numbers = parts.dropFirst().map { Float($0) }
            guard numbers.allSatisfy({ $0 != nil }), numbers.count <= 2 else {
                throw RewardError("--reward implicit-dpo:\(arg!): after the folder, SCALE and CLIP are numbers")
            }
            return try ImplicitDPOReward(dpoPath: dir, referencePath: ctx.referencePath, scale: numbers.first.flatMap { $0 } ?? 0.05,
                                         clip: numbers.count > 1 ? numbers[1]! : 0.05, vocabularySize: ctx.vocabularySize,
                                         tokenizer: ctx.tokenizer, weights: ctx.rewardModelWeights)
        },
        RewardFunctionEntry(card: MethodCard(name: "neg-entropy", summary: "Entropy minimisation, token variant: r_t = −H_t of the sampler's distribution",
                                             arxiv: ["2505.15134"])) { _, _ in SelfCertaintyReward(negativeEntropy: true) },
        RewardFunctionEntry(card: MethodCard(name: "neg-trajectory-entropy", summary: "Entropy minimisation, sequence variant: R = Σ_t ℓ_t of the sampled tokens",
                                             arxiv: ["2505.15134"])) { _, _ in SelfCertaintyReward(negativeEntropy: false) },
        RewardFunctionEntry(card: MethodCard(name: "judge", summary: "A language model as judge: p(Yes)/(p(Yes)+p(No)) of its next token after a rubric question about the response",
                                             arxiv: ["2306.05685", "2408.15240"], defaults: ["template": "GenerativeJudge.defaultTemplate", "verdicts": "Yes|No"]),
                           argument: "MODEL[,TEMPLATE_FILE[,YES|NO]]") { arg, ctx in try LMJudgeReward(kind: "judge", argument: arg, context: ctx) },
        RewardFunctionEntry(card: MethodCard(name: "crew", summary: "CRew: a language model's mean probability of the final answer's tokens (after \\boxed{, the marker, or a CreditBench task's answer)",
                                             arxiv: ["2510.13501"], defaults: ["aggregate": "mean", "marker": "The answer is"]),
                           argument: "MODEL[,mean|geometric[,MARKER]]") { arg, ctx in try LMJudgeReward(kind: "crew", argument: arg, context: ctx) },
        RewardFunctionEntry(card: MethodCard(name: "follow-up", summary: "FLR: mean log-likelihood of positive follow-up utterances after the response minus that of negative ones",
                                             arxiv: ["2409.13948"], defaults: ["utterances": "FollowUpLikelihood.defaultPositive/defaultNegative"]),
                           argument: "MODEL[,FILE]") { arg, ctx in try LMJudgeReward(kind: "follow-up", argument: arg, context: ctx) },
        RewardFunctionEntry(card: MethodCard(name: "rlmec", summary: "RLMEC: a minimal-edit rewriter's probability p_t of each sampled token, clip(p_t − 0.5, 0, 0.5) on correct samples and clip(p_t − 0.5, −0.1, 0) on wrong ones (rows need \"answer\")",
                                             arxiv: ["2401.06081"], inputs: ["a causal LM trained on `tokenalign data rewrites` rows"], defaults: ["template": "RLMECRewriting.template"]),
                           argument: "MODEL[,TEMPLATE_FILE]") { arg, ctx in try RLMECReward(argument: arg, context: ctx) },
        RewardFunctionEntry(card: MethodCard(name: "sentiment", summary: "The sentiment demo's score at the last token: VADER compound of the completion − λ·(profane words)",
                                             arxiv: ["2305.18290"], defaults: ["lexicon": SentimentSequenceReward.defaultLexicon,
                                                                               "profanity": SentimentSequenceReward.defaultProfanity + " (if present)",
                                                                               "lambda": "1"]),
                           argument: "LEXICON_FILE[,PROFANITY_FILE|none[,LAMBDA]]") { arg, _ in try SentimentSequenceReward(argument: arg) },
        RewardFunctionEntry(card: MethodCard(name: "cloud-rm", aliases: ["cloud"], summary: "A CLoud reward model (`tokenalign reward --kind cloud`): writes its critique of the response, then its head at the critique's end; samples=K averages K sampled critiques",
                                             arxiv: ["2408.11791"], defaults: ["samples": "1", "temperature": "the folder's (0: greedy)", "seed": "0"]),
                           argument: "DIR[,samples=K][,temperature=T][,seed=S]") { arg, ctx in
            try CritiqueOutLoudReward(argument: arg, weights: ctx.rewardModelWeights)
        },
    ])

    /// Builds `NAME` or `NAME:ARGUMENT` (the argument may itself contain colons).
    public static func make(_ spec: String, context: RewardContext) throws -> any RewardFunction {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let entry: RewardFunctionEntry
        do { entry = try registry.entry(named: parts.first ?? "") } catch { throw RewardError("--reward \(spec): \(error)") }
        if parts.count > 1 && entry.argument.isEmpty { throw RewardError("--reward \(parts[0]) takes no argument, got '\(parts[1])'") }
        return try entry.make(parts.count > 1 ? parts[1] : nil, context)
    }
}
