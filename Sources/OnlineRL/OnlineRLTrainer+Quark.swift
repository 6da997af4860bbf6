// Quark's steps in the loop (arXiv 2205.13636): control prefixes, the pool, the training draw, and
// the reference distributions its KL reads. The loss itself: Objectives/RL/QuarkLoss.swift; the
// pool: QuarkPool.swift; the design: docs/design/online-rl.md §13.3.
import Autograd
import Models
import Objectives
import TensorCore
import Tokenizers
import Training

extension OnlineRLTrainer {
    /// The K control prefixes as token ids, lowest-reward quantile first. Quark adds K new tokens
    /// to the vocabulary; here each prefix is text the tokenizer already covers (no vocabulary
    /// surgery, so any model and GGUF file works), encoded without special tokens. Short prefixes
    /// matter on small models: a ten-token prefix such as `<|reward_q5|>` on a character-level
    /// tokenizer moved the addition model's outputs more than the training could correct
    /// (docs/design/online-rl.md §13.3), so the default is `[Q1]` … `[QK]`.
    static func quarkControlIDs(_ c: OnlineRLConfiguration, tokenizer: Tokenizer) throws -> [[Int]] {
        guard c.usesQuark else { return [] }
        let texts = c.quarkControls.isEmpty ? (1 ... c.quarkQuantiles).map { "[Q\($0)]" } : c.quarkControls
        let ids = texts.map { tokenizer.encode($0, addSpecialTokens: false) }
        for (text, v) in zip(texts, ids) where v.isEmpty {
            throw RewardError("quark_controls: the prefix \"\(text)\" encodes to no tokens with this tokenizer")
        }
        for i in ids.indices { for j in ids.indices where j > i && ids[i] == ids[j] {
            throw RewardError("quark_controls: \"\(texts[i])\" and \"\(texts[j])\" encode to the same tokens \(ids[i])")
        } }
        return ids
    }

    /// A prompt behind quantile k's prefix (after a leading BOS, which must stay first).
    func conditioned(_ ids: [Int], quantile k: Int) -> [Int] {
        let control = quarkControls[k]
        if let bos = tokenizer.bosTokenID, ids.first == bos { return [bos] + control + ids.dropFirst() }
        return control + ids
    }

    /// What the policy is prompted with when it generates: under Quark the best quantile's prefix,
    /// except for the first rollout batch, which fills the pool from the initial policy as the
    /// paper's initial pool does; otherwise the prompt itself.
    func generationPromptIDs(_ ids: [Int], initialPool: Bool = false) -> [Int] {
        guard !quarkControls.isEmpty, !initialPool else { return ids }
        return conditioned(ids, quantile: quarkControls.count - 1)
    }

    /// Adds the step's rollouts to the pool, re-cuts the quantiles and draws the samples the update
    /// trains on: as many as a rollout batch, uniformly from the whole pool (seeded by the run's
    /// seed and the step), each behind its quantile's prefix and with the bare prompt for the
    /// reference.
    func quarkTrainingSamples(_ rollouts: [RolloutSample]) -> (samples: [RolloutSample], metrics: [String: Float]) {
        let c = configuration
        quarkPool.append(rollouts.map {
            QuarkPool.Entry(promptIndex: $0.promptIndex, ids: $0.ids, reward: $0.rewards.reduce(0, +), truncated: $0.truncated)
        }, limit: c.quarkPoolMax)
        let k = quarkControls.count
        let quantile = quarkPool.quantiles(k)
        var rng = RandomGenerator(seed: c.seed &+ 0x0A4C_0000 &+ UInt64(step))
        let drawn = quarkPool.draw(c.rolloutSize, rng: &rng)
        let samples = drawn.enumerated().map { j, i in
            let e = quarkPool.entries[i], bare = prompts[e.promptIndex].ids
            var s = RolloutSample(promptIndex: e.promptIndex, group: j, promptIDs: conditioned(bare, quantile: quantile[i]), ids: e.ids,
                                  rolloutLogps: [], entropies: [], truncated: e.truncated, text: "",
                                  trained: !(c.maskTruncatedCompletions && e.truncated))
            s.referencePromptIDs = bare
            return s
        }
        let top = quarkPool.entries.indices.filter { quantile[$0] == k - 1 }.map { quarkPool.entries[$0].reward }
        var metrics: [String: Float] = ["quark/pool_size": Float(quarkPool.entries.count)]
        metrics["quark/top_quantile_min_reward"] = top.min() ?? 0
        metrics["quark/drawn_mean_quantile"] = drawn.isEmpty ? 0 : Float(drawn.reduce(0) { $0 + quantile[$1] }) / Float(drawn.count)
        return (samples, metrics)
    }

    /// The reference's next-token logits at each completion token of `p`'s samples, computed on the
    /// prompts without their control prefix (`referencePromptIDs`) and laid out like `p`'s rows
    /// ([n, T, V], zero outside the completions), so Quark's KL compares π_θ(· | r_k, x, y_<t) with
    /// π_ref(· | x, y_<t). Scaled by the sampling temperature as the policy's logits are.
    func alignedReferenceLogits(_ p: PaddedRollout) -> Tensor {
        let bare = p.samples.map { s -> RolloutSample in
            var r = s
            r.promptIDs = s.referencePromptIDs ?? s.promptIDs
            return r
        }
        let q = PaddedRollout(bare, padID: padID, forLoss: false)
        let logits = withReference { model in
            withoutGradients {
                let h = model.hiddenStates(q.ids, attentionMask: nil, cache: nil)
                var z = model.logits(fromHidden: h.slice(axis: 1, 0 ..< q.ids.shape[1] - 1))
                let t = configuration.temperature
                if t > 0 && t != 1 { z = z * (1 / t) }
                return z.value
            }
        }
        let n = p.samples.count, T = p.length, Tq = q.length, V = logits.shape[2]
        var out = Tensor(shape: [n, T, V], repeating: 0)
        logits.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, s) in p.samples.enumerated() where !s.ids.isEmpty {
                    let from = (i * Tq + bare[i].promptIDs.count - 1) * V, to = (i * T + s.promptIDs.count - 1) * V
                    dst.baseAddress!.advanced(by: to).update(from: src.baseAddress!.advanced(by: from), count: s.ids.count * V)
                }
            }
        }
        return out
    }
}
