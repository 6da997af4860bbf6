// Held-out measurements of a policy, shared by the CreditBench demo and `tokenalign demo rl`:
// greedy and sampled (T = 1) accuracy judged by the task's verifier, and KL to the start on the
// policy's own samples.
import CreditBench
import Models
import Tokenizers

struct HeldOutEvaluator {
    var task: any CreditTask
    var tokenizer: Tokenizer
    var examples: [CreditExample]
    var start: any LanguageModel
    var maxNewTokens: Int
    var samples: Int

    /// Greedy correctness per prompt, and the correctness of each sampled completion per prompt
    /// (with the samples, for the KL).
    func accuracies(_ model: any LanguageModel, seed: UInt64) -> (greedy: [Double], sampled: [[Double]], samples: [[SampledResponse]]) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let greedy = Sampling.sample(model: model, tokenizer: tokenizer, task: task, examples: examples, count: 1, temperature: 0,
                                     maxNewTokens: maxNewTokens, seed: seed)
        let sampled = Sampling.sample(model: model, tokenizer: tokenizer, task: task, examples: examples, count: samples, temperature: 1,
                                      maxNewTokens: maxNewTokens, seed: seed &+ 1)
        return (greedy.map { $0[0].isCorrect ? 1 : 0 }, sampled.map { $0.map { $0.isCorrect ? 1 : 0 } }, sampled)
    }

    /// KL(π‖π_start) summed over the vocabulary, per token of the policy's samples, grouped by prompt.
    func kl(_ model: any LanguageModel, samples: [[SampledResponse]]) -> [[Double]] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var rows: [PromptResponse] = [], owner: [Int] = []
        for (i, e) in examples.enumerated() {
            let p = tokenizer.encode(e.prompt)
            for r in samples[i] where !r.ids.isEmpty {
                rows.append(PromptResponse(prompt: p, response: r.ids))
                owner.append(i)
            }
        }
        let V = model.vocabularySize
        let perToken = ResponseScoring.perToken(models: [model, start], rows: rows, padID: tokenizer.padTokenID ?? 0) { z, _ in
            ResponseScoring.kl(z[0], z[1], V)
        }
        var groups = [[Double]](repeating: [], count: examples.count)
        for (r, k) in zip(owner, perToken) { groups[r] += k.map(Double.init) }
        return groups
    }
}
