// The decoding demo's methods on the held-out prompts, each measured the same way: plain sampling
// from a model, the base model with a guide, and best-of-N through the search library. Every
// method's outputs get the same measures; its forward work comes from the cost ledger (sampling and
// best-of-N) or the guide's own counter.
import Datasets
import Decoding
import Evaluation
import Foundation
import Guidance
import Models
import OnlineRL
import Search
import Tokenizers

final class HeldOutDecoding {
    /// The sentiment demo's evaluator: its settings, tokenizer, reward, base model (the reference),
    /// held-out prompts and sampler, and the lexicon's token rewards of generated ids.
    let evaluator: SentimentEvaluator
    let promptIDs: [[Int]]

    init(evaluator: SentimentEvaluator) {
        self.evaluator = evaluator
        promptIDs = evaluator.prompts.map(evaluator.sampler.promptIDs)
    }

    var settings: SentimentDemoSettings { evaluator.settings }
    var tokenizer: Tokenizer { evaluator.tokenizer }
    var scorer: SentimentScorer { evaluator.scorer }
    var reference: any LanguageModel { evaluator.reference }
    var prompts: [String] { evaluator.prompts }
    var sampler: ContinuationSampler { evaluator.sampler }
    var padID: Int { evaluator.padID }
    var evaluationSeed: UInt64 { settings.seed &+ SentimentDemoSettings.evaluationSampleSeedOffset }

    /// `eval_samples` samples per prompt from `model` (the base model, or the DPO policy).
    func sampled(method: String, strength: Double?, model: any LanguageModel) throws -> DecodingRun {
        let samples = sampler.sample(model, prompts: prompts, count: settings.evalSamples, seed: evaluationSeed)
        let ledger = Self.generationLedger(promptIDs: promptIDs, samples: samples.map { $0.map(\.ids) },
                                           batchSize: SentimentDemoSettings.sampleBatchSize)
        return measure(method: method, strength: strength, outputs: samples.map { $0.map { body($0.ids) } },
                       baseTokens: ledger.policy.tokens, rewardTokens: 0)
    }

    /// The base model's samples with one guide at `weight`, the same seeds as plain sampling.
    func guided(_ guide: any Guide, weight: Float, topK: Int) throws -> DecodingRun {
        let combined = try GuidedLogits(terms: [(guide: guide, weight: weight)], topK: topK, maxNewTokens: settings.maxNewTokens,
                                        padTokenID: padID)
        try combined.check(vocabularySize: reference.vocabularySize, longestPrompt: promptIDs.map(\.count).max() ?? 0)
        let before = guide.forwardTokens
        let samples = sampler.sample(reference, prompts: prompts, count: settings.evalSamples, seed: evaluationSeed, extraProcessors: [combined])
        let ledger = Self.generationLedger(promptIDs: promptIDs, samples: samples.map { $0.map(\.ids) },
                                           batchSize: SentimentDemoSettings.sampleBatchSize)
        return measure(method: guide.name, strength: Double(weight), outputs: samples.map { $0.map { body($0.ids) } },
                       baseTokens: ledger.policy.tokens, rewardTokens: guide.forwardTokens - before)
    }

    /// Best-of-N (the search library's `best-of-n`): per prompt, `eval_samples` searches, search k
    /// seeded with the evaluation seed + k.
    func bestOfN(_ n: Int, scorer rankBy: any SequenceScorer, method: String, seed: UInt64) throws -> DecodingRun {
        var p = GenerationParameters(maxNewTokens: settings.maxNewTokens, temperature: settings.temperature, topK: settings.topK)
        if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
        p.padTokenID = padID
        let policy = SearchPolicy(model: reference, tokenizer: tokenizer, parameters: p)
        let entry = try Searchers.registry.entry(named: "best-of-n")
        var ledger = CostLedger()
        var outputs = [[[Int]]](repeating: [], count: prompts.count)
        for k in 0 ..< settings.evalSamples {
            var search = SearchSettings()
            search.n = n
            search.seed = evaluationSeed &+ UInt64(k)
            let searcher = entry.make(search)
            for (i, ids) in promptIDs.enumerated() {
                let prompt = RLPrompt(location: RowLocation(file: "held-out prompts", line: i + 1), text: prompts[i], ids: ids)
                outputs[i].append(try searcher.search(prompt, index: i, policy: policy, scorer: rankBy, ledger: &ledger).answer.ids)
            }
        }
        return measure(method: method, strength: Double(n), outputs: outputs, baseTokens: ledger.policy.tokens,
                       rewardTokens: ledger.scoring.tokens)
    }

    /// Generated ids without a final stop token.
    func body(_ ids: [Int]) -> [Int] {
        guard let eos = tokenizer.eosTokenID, ids.last == eos else { return ids }
        return Array(ids.dropLast())
    }

    /// The base model's forward work of `BatchedGeneration.generate` over these samples (prompt-major
    /// rows, `batchSize` rows a batch): per batch, the longest prompt for every row (the prefill,
    /// padding included) and one position per row for every later step, the batch running as many
    /// steps as its longest generation (`CostLedger.recordGeneration`, as `SearchPolicy` counts).
    static func generationLedger(promptIDs: [[Int]], samples: [[[Int]]], batchSize: Int) -> CostLedger {
        var rows: [(prompt: Int, generated: Int)] = []
        for (i, ss) in samples.enumerated() { for ids in ss { rows.append((promptIDs[i].count, ids.count)) } }
        var ledger = CostLedger()
        for lo in stride(from: 0, to: rows.count, by: batchSize) {
            let chunk = rows[lo ..< min(lo + batchSize, rows.count)]
            ledger.recordGeneration(rows: chunk.count, contextLength: chunk.map(\.prompt).max() ?? 0, steps: chunk.map(\.generated).max() ?? 0)
        }
        return ledger
    }

    /// The measures of one method's outputs (ids per prompt, stop token dropped).
    func measure(method: String, strength: Double?, outputs: [[[Int]]], baseTokens: Int, rewardTokens: Int) -> DecodingRun {
        var rewards = [[Double]](repeating: [], count: prompts.count), lexicon = rewards
        var rows: [PromptResponse] = []
        for (i, ss) in outputs.enumerated() {
            for ids in ss {
                rewards[i].append(scorer.sequenceScore(tokenizer.decode(ids, skipSpecialTokens: true)))
                lexicon[i].append(evaluator.lexiconRewards(prompt: promptIDs[i], response: ids).reduce(0) { $0 + Double($1) })
                if !ids.isEmpty { rows.append(PromptResponse(prompt: promptIDs[i], response: ids)) }
            }
        }
        let V = reference.vocabularySize
        var nll = 0.0, tokens = 0
        ResponseScoring.visit(models: [reference], rows: rows, padID: padID, batchSize: 16) { _, _, z, y in
            nll -= Double(ResponseScoring.logProb(z[0], V, y))
            tokens += 1
        }
        let all = outputs.flatMap { $0 }
        let B = settings.bootstrapResamples
        return DecodingRun(method: method, strength: strength,
                           reward: Bootstrap.meanOverGroups(rewards, resamples: B, seed: settings.seed &+ 1),
                           lexiconReward: Bootstrap.meanOverGroups(lexicon, resamples: B, seed: settings.seed &+ 2),
                           referencePerplexity: tokens > 0 ? exp(nll / Double(tokens)) : .nan,
                           distinct1: TextDiversity.distinctN(all, n: 1), distinct2: TextDiversity.distinctN(all, n: 2),
                           generatedTokens: all.reduce(0) { $0 + $1.count }, baseForwardTokens: baseTokens, rewardForwardTokens: rewardTokens,
                           examples: outputs.prefix(3).map { $0.first.map { tokenizer.decode($0, skipSpecialTokens: true) } ?? "" })
    }
}
