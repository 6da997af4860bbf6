// The steps of `tokenalign demo sentiment`, one public function each. The demo chains them; the
// command line exposes each one (`tokenalign data prompts`, `tokenalign generate --prompts`,
// `tokenalign data sentiment-pairs`, `tokenalign dpo`, `tokenalign eval sentiment`), so the same
// settings give the same files and numbers whichever way the experiment is run.
import Evaluation
import Foundation
import Models
import Rewards
import Support
import Tokenizers

public enum SentimentSteps {
    /// The settings' reward: VADER compound − λ·(profane words); per token, each word's valence ×
    /// `tokenRewardScale` and the profanity penalty on the word's tokens.
    public static func scorer(_ s: SentimentDemoSettings) throws -> SentimentScorer {
        let lexiconURL = try requireFile(s.lexicon, "VADER lexicon")
        let lexicon: LexiconReward
        do { lexicon = try LexiconReward(lexiconFile: lexiconURL, scale: s.tokenRewardScale) } catch {
            throw DemoError.invalidSetting("\(s.lexicon): \(error)")
        }
        var profanity: ProfanityPenalty?
        if let p = s.profanity, FileManager.default.fileExists(atPath: p) {
            do { profanity = try ProfanityPenalty(wordListFile: URL(fileURLWithPath: p)) } catch { throw DemoError.invalidSetting("\(p): \(error)") }
        }
        return SentimentScorer(lexicon: lexicon, profanity: profanity, profanityWeight: s.profanityWeight)
    }

    /// Training and held-out prompts (the first four words of Shakespeare lines): the corpus's fixed
    /// split, each side shuffled with the seed (training first), the first `trainPrompts` and
    /// `testPrompts`. `available` counts the corpus's prompts.
    public static func prompts(_ s: SentimentDemoSettings) throws -> (train: [String], test: [String], available: Int) {
        let split: PromptSplit
        do { split = try ShakespearePrompts.load(directory: try requireFile(s.corpus, "Shakespeare corpus")) } catch let e as DemoError {
            throw e
        } catch { throw DemoError.invalidSetting("\(s.corpus): \(error)") }
        var rng = SplitMix64(seed: s.seed &+ 17)
        let train = Array(seededShuffle(split.train, &rng).prefix(s.trainPrompts))
        let test = Array(seededShuffle(split.test, &rng).prefix(s.testPrompts))
        guard !train.isEmpty, !test.isEmpty else { throw DemoError.emptyStage("the corpus gave no prompts") }
        return (train, test, split.train.count + split.test.count)
    }

    /// Preference rows from sampled continuations: per prompt, its best- against its worst-scoring
    /// continuation when the scores differ by at least `minimumMargin` (and neither is empty).
    /// Rows are TRL prompt/chosen/rejected plus `chosen_token_rewards` / `rejected_token_rewards`
    /// (aligned with `DatasetEncoder`'s completion tokens, see `SentimentScorer.pairTokenRewards`)
    /// and both scores. Ties keep sampling order (the sort is stable).
    public static func preferenceRows(prompts: [String], continuations: [[String]], scorer: SentimentScorer, tokenizer: Tokenizer,
                                      minimumMargin: Double) -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for (p, samples) in zip(prompts, continuations) {
            let scored = samples.map { (text: $0, score: scorer.sequenceScore($0)) }.sorted { $0.score > $1.score }
            guard let best = scored.first, let worst = scored.last, best.score - worst.score >= minimumMargin,
                  !best.text.isEmpty, !worst.text.isEmpty else { continue }
            let tr = scorer.pairTokenRewards(prompt: p, chosen: best.text, rejected: worst.text, tokenizer: tokenizer)
            rows.append(["prompt": p, "chosen": best.text, "rejected": worst.text,
                         "chosen_token_rewards": tr.chosen.map(Double.init), "rejected_token_rewards": tr.rejected.map(Double.init),
                         "chosen_score": best.score, "rejected_score": worst.score])
        }
        return rows
    }

    /// The demo's hold-out: the first tenth of the rows (at least one) for the trainers' held-out
    /// rewards and accuracies, the rest for training.
    public static func splitHeldOut(_ rows: [[String: Any]]) -> (train: [[String: Any]], eval: [[String: Any]]) {
        let n = max(1, rows.count / 10)
        guard rows.count > n else { return ([], rows) }
        return (Array(rows[n...]), Array(rows[..<n]))
    }

    /// Evaluates the reference and then each policy on the held-out prompts exactly as the demo does
    /// (same samples, seeds and measures), and the human ceiling of the rank correlation.
    /// - Parameter policies: name, β (for the implicit reward β·log π/π_ref) and model.
    public static func evaluate(settings: SentimentDemoSettings, tokenizer: Tokenizer, reference: any LanguageModel,
                                policies: [(name: String, beta: Float, model: any LanguageModel)], prompts: [String],
                                samplesFolder: URL? = nil) throws -> (runs: [SentimentRunResult], raters: RaterAgreement?) {
        let scorer = try scorer(settings)
        reference.eval()
        let evaluator = SentimentEvaluator(settings: settings, tokenizer: tokenizer, scorer: scorer, reference: reference, prompts: prompts,
                                           sampler: ContinuationSampler(tokenizer: tokenizer, settings: settings))
        func file(_ name: String) -> URL? {
            samplesFolder?.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_") + "-samples.jsonl")
        }
        var runs = [try evaluator.evaluate(method: "reference", beta: nil, policy: reference, trainSeconds: 0, saveTo: file("reference"))]
        for p in policies {
            p.model.eval()
            runs.append(try evaluator.evaluate(method: p.name, beta: p.beta, policy: p.model, trainSeconds: 0, saveTo: file(p.name)))
        }
        return (runs, try evaluator.raterAgreement())
    }

    /// A settings path that must exist, with an error naming it and how to get it.
    static func requireFile(_ path: String, _ what: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DemoError.invalidSetting("\(what) not found at \(path) (run scripts/fetch-assets.sh, or set it in --config)")
        }
        return URL(fileURLWithPath: path)
    }

    /// Fisher–Yates with the demo's generator (the same seed gives the same prompts on any machine).
    static func seededShuffle(_ a: [String], _ rng: inout SplitMix64) -> [String] {
        var a = a
        guard a.count > 1 else { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return a
    }
}
