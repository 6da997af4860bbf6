// Sampling continuations and measuring a policy on held-out prompts for the sentiment experiment.
import Autograd
import Decoding
import Evaluation
import Foundation
import Models
import Reports
import Rewards
import Support
import Tokenizers

/// One sampled continuation.
struct Continuation {
    var text: String
    /// Generated ids (EOS included when emitted).
    var ids: [Int]
}

struct ContinuationSampler {
    let tokenizer: Tokenizer
    let settings: SentimentDemoSettings

    func promptIDs(_ p: String) -> [Int] { tokenizer.encode(p, addSpecialTokens: true) }

    /// `count` continuations per prompt, generated in batches with a seed per batch (`extraProcessors`:
    /// decoding guides, run in every batch).
    func sample(_ model: any LanguageModel, prompts: [String], count: Int, seed: UInt64,
                batchSize: Int = SentimentDemoSettings.sampleBatchSize, extraProcessors: [LogitProcessor] = [],
                progress: ((Int, Int) -> Void)? = nil) -> [[Continuation]] {
        let eos = tokenizer.eosTokenID
        var params = GenerationParameters(maxNewTokens: settings.maxNewTokens, temperature: settings.temperature, topK: settings.topK,
                                          stopTokenIDs: eos.map { [$0] } ?? [])
        params.padTokenID = tokenizer.padTokenID ?? eos ?? 0
        return BatchedGeneration.generateText(model: model, tokenizer: tokenizer, prompts: prompts.map(promptIDs), count: count,
                                              parameters: params, seed: seed, batchSize: batchSize, stopToken: eos, skipSpecialTokens: true,
                                              extraProcessors: extraProcessors, progress: progress).map { rows in rows.map { Continuation(text: $0.text, ids: $0.ids) } }
    }
}

/// Measures policies on the held-out prompts. The token-level truth (lexicon rewards) is computed
/// once, on the reference model's own held-out samples, so every method's implicit reward is
/// compared on the same tokens.
final class SentimentEvaluator {
    let settings: SentimentDemoSettings
    let tokenizer: Tokenizer
    let scorer: SentimentScorer
    let reference: any LanguageModel
    let prompts: [String]
    let sampler: ContinuationSampler
    /// The reference's held-out samples as scoring rows, their prompt index, and lexicon token rewards.
    private(set) var truthRows: [PromptResponse] = []
    private(set) var truthPrompt: [Int] = []
    private(set) var truthRewards: [[Float]] = []
    /// Implicit token rewards of each evaluated policy on `truthRows` (for the heatmaps).
    private(set) var implicit: [(name: String, rewards: [[Float]])] = []
    /// Keep the per-prompt values and the lexicon reward in each result (the online-RL sentiment
    /// demo pairs its methods by prompt); off for the sentiment demo, whose results stay as they were.
    var keepsPerPrompt = false

    init(settings: SentimentDemoSettings, tokenizer: Tokenizer, scorer: SentimentScorer, reference: any LanguageModel,
         prompts: [String], sampler: ContinuationSampler) {
        self.settings = settings
        self.tokenizer = tokenizer
        self.scorer = scorer
        self.reference = reference
        self.prompts = prompts
        self.sampler = sampler
    }

    var padID: Int { tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0 }

    /// Per-token rewards of generated ids exactly as generated (bytes laid end to end after the
    /// prompt, so words that continue across the join are scored as one word).
    func lexiconRewards(prompt: [Int], response: [Int], scorer: SentimentScorer? = nil) -> [Float] {
        let scorer = scorer ?? self.scorer
        let t = TokenizedText(tokenIDs: prompt + response, tokenizer: tokenizer)
        let r = scorer.tokenRewards(utf8: t.bytes, offsets: t.offsets, specialTokensMask: t.specialTokensMask)
        return r[prompt.count...].map(Float.init)
    }

    /// - Parameter saveTo: a JSONL file for the held-out continuations and their scores.
    func evaluate(method: String, beta: Float?, policy: any LanguageModel, trainSeconds: Double, saveTo: URL? = nil) throws -> SentimentRunResult {
        let s = settings
        let samples = sampler.sample(policy, prompts: prompts, count: s.evalSamples, seed: s.seed &+ SentimentDemoSettings.evaluationSampleSeedOffset)
        if let saveTo {
            try JSONL.write(zip(prompts, samples).flatMap { p, ss in
                ss.map { ["prompt": p, "continuation": $0.text, "score": scorer.sequenceScore($0.text)] as [String: Any] }
            }, to: saveTo)
        }
        var rewardGroups = [[Double]](repeating: [], count: prompts.count)
        var rows: [PromptResponse] = [], owner: [Int] = []
        for (i, (p, ss)) in zip(prompts, samples).enumerated() {
            let pid = sampler.promptIDs(p)
            for c in ss {
                rewardGroups[i].append(scorer.sequenceScore(c.text))
                if !c.ids.isEmpty {
                    rows.append(PromptResponse(prompt: pid, response: c.ids))
                    owner.append(i)
                }
            }
        }
        if method == "reference" && truthRows.isEmpty {
            truthRows = rows
            truthPrompt = owner
            truthRewards = rows.map { lexiconRewards(prompt: $0.prompt, response: $0.response) }
        }
        let V = reference.vocabularySize
        var klGroups = [[Double]](repeating: [], count: prompts.count)
        var nll = 0.0, tokens = 0
        var klRows = [[Float]](repeating: [], count: rows.count)
        var refLogps = [[Float]](repeating: [], count: rows.count)
        ResponseScoring.visit(models: [policy, reference], rows: rows, padID: padID, batchSize: 16) { r, j, z, y in
            klRows[r].append(ResponseScoring.kl(z[0], z[1], V))
            refLogps[r].append(ResponseScoring.logProb(z[1], V, y))
        }
        for (r, o) in owner.enumerated() {
            klGroups[o] += klRows[r].map(Double.init)
            nll -= refLogps[r].reduce(0) { $0 + Double($1) }
            tokens += refLogps[r].count
        }
        let texts = samples.flatMap { $0.map(\.text) }
        let ids = samples.flatMap { $0.map(\.ids) }
        let B = s.bootstrapResamples
        var result = SentimentRunResult(
            method: method, beta: beta,
            reward: Bootstrap.meanOverGroups(rewardGroups, resamples: B, seed: s.seed &+ 1),
            kl: Bootstrap.meanOverGroups(klGroups, resamples: B, seed: s.seed &+ 2),
            distinct1: TextDiversity.distinctN(ids, n: 1), distinct2: TextDiversity.distinctN(ids, n: 2),
            selfBLEU: TextDiversity.selfBLEU(texts.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }),
            referencePerplexity: tokens > 0 ? exp(nll / Double(tokens)) : .nan,
            rankCorrelation: nil, rankCorrelationLexiconTokens: nil, heldOutRewardAccuracy: nil, trainSeconds: trainSeconds,
            examples: Array(samples.prefix(3).map { $0.first?.text ?? "" }))
        if keepsPerPrompt {
            var lexiconGroups = [[Double]](repeating: [], count: prompts.count)
            for (r, o) in owner.enumerated() {
                lexiconGroups[o].append(lexiconRewards(prompt: rows[r].prompt, response: rows[r].response).reduce(0) { $0 + Double($1) })
            }
            result.rewardByPrompt = rewardGroups
            result.klByPrompt = klGroups
            result.lexiconByPrompt = lexiconGroups
            result.lexiconReward = Bootstrap.meanOverGroups(lexiconGroups, resamples: B, seed: s.seed &+ 3)
        }
        if let beta, !truthRows.isEmpty {
            let r = ResponseScoring.perToken(models: [policy, reference], rows: truthRows, padID: padID) { z, y in
                beta * (ResponseScoring.logProb(z[0], V, y) - ResponseScoring.logProb(z[1], V, y))
            }
            implicit.append(("\(method) β=\(beta)", r))
            result.rankCorrelation = spearman(r, onlyLexiconTokens: false)
            result.rankCorrelationLexiconTokens = spearman(r, onlyLexiconTokens: true)
        }
        return result
    }

    /// Spearman ρ pooled over tokens, with a bootstrap CI from resampling held-out prompts.
    /// - Parameters:
    ///   - implicit: per-token scores on `truthRows`.
    ///   - truth: what they are ranked against (default: the lexicon's token rewards).
    ///   - onlyLexiconTokens: keep only tokens whose lexicon reward (`truthRewards`) is nonzero.
    ///   - bootstrap: false gives the point estimate alone.
    func spearman(_ implicit: [[Float]], truth: [[Float]]? = nil, onlyLexiconTokens: Bool, bootstrap: Bool = true) -> Estimate? {
        let truth = truth ?? truthRewards
        var byPrompt: [Int: (x: [Double], y: [Double])] = [:]
        for (k, p) in truthPrompt.enumerated() {
            for (t, (a, b)) in zip(truth[k], implicit[k]).enumerated() where !onlyLexiconTokens || truthRewards[k][t] != 0 {
                byPrompt[p, default: ([], [])].x.append(Double(a))
                byPrompt[p, default: ([], [])].y.append(Double(b))
            }
        }
        let groups = byPrompt.keys.sorted().map { byPrompt[$0]! }
        let x = groups.flatMap(\.x), y = groups.flatMap(\.y)
        guard let rho = RankCorrelation.spearman(x, y) else { return nil }
        var rng = SplitMix64(seed: settings.seed &+ 77)
        var stats: [Double] = []
        for _ in 0 ..< (bootstrap ? settings.bootstrapResamples : 0) where groups.count > 1 {
            var xs: [Double] = [], ys: [Double] = []
            for _ in 0 ..< groups.count {
                let g = groups[Int(rng.next() % UInt64(groups.count))]
                xs += g.x
                ys += g.y
            }
            if let r = RankCorrelation.spearman(xs, ys) { stats.append(r) }
        }
        stats.sort()
        guard !stats.isEmpty else { return Estimate(value: rho, low: rho, high: rho, count: x.count) }
        let lo = stats[Int(0.025 * Double(stats.count))], hi = stats[min(stats.count - 1, Int(0.975 * Double(stats.count)))]
        return Estimate(value: rho, low: lo, high: hi, count: x.count)
    }

    /// How well single human ratings rank the tokens against the lexicon: the noise ceiling for
    /// the implicit rewards' ρ. For each of VADER's ten raters, the reference's held-out samples
    /// are rescored with that rater's rating of every word in place of the mean (same rules, same
    /// tokens), and ranked against the ten-rater truth the methods are scored on, and against the
    /// mean of the other nine (which leaves the rater's own vote out). nil before the reference
    /// has been evaluated.
    func raterAgreement() throws -> RaterAgreement? {
        guard !truthRows.isEmpty else { return nil }
        let lexicon = scorer.lexicon.analyzer.lexicon
        func rewards(_ l: SentimentLexicon) -> [[Float]] {
            let rater = scorer.replacingLexicon(l)
            return truthRows.map { lexiconRewards(prompt: $0.prompt, response: $0.response, scorer: rater) }
        }
        var out = RaterAgreement()
        for k in 0 ..< SentimentLexicon.ratingsPerWord {
            let one = rewards(try lexicon.rater(k)), others = rewards(try lexicon.rater(k, leaveOut: true))
            guard let lex = spearman(one, onlyLexiconTokens: true, bootstrap: false),
                  let all = spearman(one, onlyLexiconTokens: false, bootstrap: false),
                  let lexLOO = spearman(one, truth: others, onlyLexiconTokens: true, bootstrap: false),
                  let allLOO = spearman(one, truth: others, onlyLexiconTokens: false, bootstrap: false) else { return nil }
            out.lexiconTokens.append(lex.value)
            out.allTokens.append(all.value)
            out.lexiconTokensLeaveOneOut.append(lexLOO.value)
            out.allTokensLeaveOneOut.append(allLOO.value)
        }
        return out
    }

    /// Lexicon truth beside each method's implicit token reward, for the first `count` samples that
    /// contain a lexicon word.
    func heatmaps(count: Int) -> [(title: String, maps: [TokenHeatmap])] {
        var out: [(String, [TokenHeatmap])] = []
        for k in truthRows.indices where truthRewards[k].contains(where: { $0 != 0 }) {
            let tokens = truthRows[k].response.map { tokenizer.decode([$0]) }
            let prompt = tokenizer.decode(truthRows[k].prompt, skipSpecialTokens: true)
            var maps = [TokenHeatmap(title: "lexicon (truth)", tokens: tokens, rewards: truthRewards[k])]
            maps += implicit.map { TokenHeatmap(title: "implicit: \($0.name)", tokens: tokens, rewards: $0.rewards[k]) }
            out.append(("“\(prompt)” →", maps))
            if out.count == count { break }
        }
        return out
    }
}
