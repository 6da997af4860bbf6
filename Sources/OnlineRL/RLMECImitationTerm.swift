// RLMEC's imitation-based regulariser in the loop (arXiv 2401.06081; docs/design/online-rl.md §18):
// each wrong rollout is corrected by the run's own `rlmec` rewriter, the correction is kept only if
// it is right, and the policy imitates it with the changed tokens weighted twice; a correct rollout
// is imitated as it is. The rewriter, its template, the correctness rule and the rewrite prompt are
// the `rlmec` reward's (`RLMECReward`), so the term reads the same model the rewards come from.
import Decoding
import Objectives
import Autograd
import TensorCore

/// `rlmec_imitation_coef` > 0: the update term of RLMEC's second loss.
public final class RLMECImitationTerm: PolicyUpdateTerm {
    public let reward: RLMECReward
    /// λ.
    public let coefficient: Float
    /// The rewriter's decoding budget per correction (the run's `max_completion_length`; less when
    /// the rewrite prompt leaves fewer of the rewriter's positions).
    public let maxNewTokens: Int
    public var name: String { "rlmec imitation" }

    public init(reward: RLMECReward, coefficient: Float, maxNewTokens: Int) {
        self.reward = reward
        self.coefficient = coefficient
        self.maxNewTokens = maxNewTokens
    }

    /// The rewriter's greedy rewrites of `completions` (as the authors decode theirs, temperature 0),
    /// as completions of the same prompt rows, so the reward's correctness rule can judge them.
    public func corrections(of completions: [Completion]) throws -> [Completion] {
        let model = reward.rewriter.model, tokenizer = reward.rewriter.tokenizer
        let heads = try completions.map { c in
            let solution = try reward.solution(c)
            return reward.rewritePrompt(c, solution: solution)
        }
        var out: [Completion] = []
        out.reserveCapacity(completions.count)
        let chunk = max(reward.rewriter.batchSize, 1)
        for lo in stride(from: 0, to: heads.count, by: chunk) {
            let span = lo ..< min(lo + chunk, heads.count)
            let budget = span.map { model.maxPositions - heads[$0].count }.min() ?? 0
            guard budget > 0 else {
                throw RewardError("rlmec_imitation_coef: a rewrite prompt of \(heads[span].map(\.count).max() ?? 0) tokens leaves no position of the rewriter's \(model.maxPositions) for a correction")
            }
            var p = GenerationParameters(maxNewTokens: min(maxNewTokens, budget), temperature: 0)
            if let eos = tokenizer.eosTokenID { p.stopTokenIDs = [eos] }
            p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
            let results = Generator.generate(model: model, prompts: Array(heads[span]), parameters: p)
            for (i, r) in zip(span, results) {
                out.append(Completion(prompt: completions[i].prompt, ids: r.tokens, text: tokenizer.decode(r.tokens, skipSpecialTokens: true),
                                      finishReason: r.finishReason))
            }
        }
        return out
    }

    /// Correct samples: themselves at weight 0.5. Wrong ones: the rewriter's correction when the
    /// correctness rule accepts it (the authors drop samples whose correction fails verification),
    /// weighted 1 where it changed the sample and 0.5 elsewhere; nil otherwise.
    /// Metrics: `imitation/corrected_fraction` (wrong samples with an accepted correction),
    /// `imitation/targets` (samples with a target) and `imitation/changed_fraction` (the share of the
    /// corrections' tokens with weight 1).
    public func targets(for completions: [Completion]) throws -> (targets: [UpdateTarget?], metrics: [String: Float]) {
        let correct = try reward.correctness(completions)
        let wrong = completions.indices.filter { !correct[$0] && !completions[$0].ids.isEmpty }
        let fixes = try corrections(of: wrong.map { completions[$0] })
        let accepted = try reward.correctness(fixes)
        var targets = [UpdateTarget?](repeating: nil, count: completions.count)
        for (i, c) in completions.enumerated() where correct[i] && !c.ids.isEmpty {
            targets[i] = UpdateTarget(ids: c.ids, weights: RLMECImitation.weights(correctSample: c.ids.count))
        }
        var changed = 0, corrected = 0, kept = 0
        for ((i, fix), ok) in zip(zip(wrong, fixes), accepted) where ok && !fix.ids.isEmpty {
            let w = try RLMECImitation.weights(prediction: completions[i].ids, correction: fix.ids)
            changed += w.filter { $0 == RLMECImitation.changedWeight }.count
            corrected += fix.ids.count
            kept += 1
            targets[i] = UpdateTarget(ids: fix.ids, weights: w)
        }
        return (targets, ["imitation/corrected_fraction": wrong.isEmpty ? 0 : Float(kept) / Float(wrong.count),
                          "imitation/targets": Float(targets.compactMap { $0 }.count),
                          "imitation/changed_fraction": corrected == 0 ? 0 : Float(changed) / Float(corrected)])
    }

    public func loss(logps: Variable, weights: Tensor, mask: Tensor, targetTokens: Float) throws -> ObjectiveOutput {
        try RLMECImitation.loss(logps: logps, weights: weights, mask: mask, targetTokens: targetTokens, coefficient: coefficient)
    }
}
