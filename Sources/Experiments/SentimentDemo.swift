// `tokenalign demo sentiment`: controlled-sentiment alignment of a pretrained LM with a per-word
// reward (the DPO paper's IMDb experiment, arXiv:2305.18290 §6.1, and TDPO's reward-vs-KL frontier,
// arXiv:2404.11999 Fig. 2), offline and on 2 cores.
//
//   Shakespeare prompts ─► k continuations from the pretrained model (policy = reference) ─► VADER
//   compound − λ·profanity per continuation ─► pairs (best vs worst) with per-token lexicon rewards ─►
//   for every method and β: LoRA fine-tuning, equal budget ─► on held-out prompts: reward, KL to
//   the reference, diversity (distinct-n, self-BLEU), fluency (reference perplexity), and how well
//   each method's implicit token reward ranks the lexicon's per-token truth (Spearman).
import Datasets
import Evaluation
import Foundation
import Models
import Objectives
import Rewards
import Tokenizers
import Training

/// One trained policy (or the reference) on the held-out prompts.
public struct SentimentRunResult: Codable, Sendable {
    public var method: String
    /// nil for the reference.
    public var beta: Float?
    /// Mean sequence score (VADER compound − λ·profanity) of sampled continuations, CI over prompts.
    public var reward: Estimate
    /// Mean per-token KL(π ‖ π_ref) over the vocabulary on the policy's samples, CI over prompts.
    public var kl: Estimate
    public var distinct1: Double
    public var distinct2: Double
    /// Mean BLEU-4 of each continuation against the others (lower = more diverse).
    public var selfBLEU: Double
    /// Perplexity of the continuations under the reference model (fluency).
    public var referencePerplexity: Double
    /// Spearman ρ between the lexicon's per-token reward and this policy's implicit token reward
    /// β·log π/π_ref, pooled over the tokens of the reference's held-out samples (nil for the reference).
    public var rankCorrelation: Estimate?
    /// The same over the tokens that carry a lexicon word (nonzero lexicon reward).
    public var rankCorrelationLexiconTokens: Estimate?
    public var heldOutRewardAccuracy: Double?
    public var trainSeconds: Double
    /// A few continuations (test prompts 0, 1, 2…), for the report.
    public var examples: [String]
    /// Per held-out prompt (only when the evaluator keeps them, `SentimentEvaluator.keepsPerPrompt`,
    /// for paired comparisons): each sample's sequence score, the samples'
    /// tokens' KL(π‖π_ref), and each sample's lexicon reward Σ_t (the token-level truth summed over
    /// the continuation: valence × token_reward_scale on each word's tokens, the profanity penalty).
    public var rewardByPrompt: [[Double]]? = nil
    public var klByPrompt: [[Double]]? = nil
    public var lexiconByPrompt: [[Double]]? = nil
    /// Mean lexicon reward Σ_t per continuation, CI over prompts (with the per-prompt values).
    public var lexiconReward: Estimate? = nil
}

/// Spearman ρ of single human ratings against the lexicon, one entry per VADER rater (see
/// `SentimentEvaluator.raterAgreement`): the ceiling for the implicit rewards' ρ.
public struct RaterAgreement: Codable, Sendable, Equatable {
    /// Against the ten-rater mean (the truth the methods are scored on), on lexicon-word tokens.
    public var lexiconTokens: [Double] = []
    /// The same over all tokens.
    public var allTokens: [Double] = []
    /// Against the mean of the other nine raters, on lexicon-word tokens.
    public var lexiconTokensLeaveOneOut: [Double] = []
    /// The same over all tokens.
    public var allTokensLeaveOneOut: [Double] = []

    public init() {}

    /// "mean [min, max]" of one of the lists (over the raters).
    public static func summary(_ values: [Double], digits: Int = 3) -> String {
        guard let lo = values.min(), let hi = values.max() else { return "–" }
        let f = "%.\(digits)f"
        return String(format: f, values.reduce(0, +) / Double(values.count)) + " [" + String(format: f, lo) + ", " + String(format: f, hi) + "]"
    }
}

public struct SentimentDemoResult: Codable, Sendable {
    public var settings: SentimentDemoSettings
    public var trainPrompts: Int
    public var testPrompts: Int
    public var pairs: Int
    public var heldOutPairs: Int
    public var runs: [SentimentRunResult]
    public var curves: [Curve]
    public var stages: [StageTime]
    public var wallSeconds: Double
    /// Where the merged DPO model was saved (nil: not saved).
    public var mergedModel: String?
    /// Single-rater ρ against the lexicon (nil when it could not be computed).
    public var raterAgreement: RaterAgreement?
}

public final class SentimentDemo: StagedDemo {
    public typealias Settings = SentimentDemoSettings
    public typealias Output = SentimentDemoResult

    public let context: DemoContext<SentimentDemoSettings>
    var timer = StageTimer()
    var curves: [Curve] = []

    public init(_ context: DemoContext<SentimentDemoSettings>) { self.context = context }

    /// Runs the experiment into `folder` (its `data`, `models` and `runs` subfolders are replaced)
    /// and writes `results.json`, `report.md` and `report.html`.
    public func run() throws -> SentimentDemoResult {
        let start = ContinuousClock.now
        let s = settings
        let fm = FileManager.default
        try prepareRunFolder(folder)
        try writeJSON(s, to: url("settings.json"))

        // 1. Reward, prompts, model.
        timer.begin("setup", log: log)
        let modelPath = try SentimentSteps.requireFile(s.model, "model").path
        let scorer = try SentimentSteps.scorer(s)
        let (trainPrompts, testPrompts, available) = try SentimentSteps.prompts(s)
        try JSONL.write(trainPrompts.map { ["prompt": $0] }, to: url("data/train_prompts.jsonl"))
        try JSONL.write(testPrompts.map { ["prompt": $0] }, to: url("data/test_prompts.jsonl"))
        let base = try PretrainedModel.load(path: modelPath)
        guard let tokenizer = base.tokenizer else { throw DemoError.invalidSetting("\(modelPath) has no tokenizer") }
        let reference = base.model
        reference.eval()
        log(.note("\(trainPrompts.count) training and \(testPrompts.count) held-out prompts from \(available); model \(reference.parameterCount()) parameters"))

        // 2. Sample, score, pair.
        timer.begin("sampling", log: log)
        let sampler = ContinuationSampler(tokenizer: tokenizer, settings: s)
        let trainSamples = sampler.sample(reference, prompts: trainPrompts, count: s.samplesPerPrompt,
                                          seed: s.seed &+ SentimentDemoSettings.trainingSampleSeedOffset) {
            self.log(.progress(label: "sample (train prompts)", done: $0, total: $1))
        }
        try JSONL.write(zip(trainPrompts, trainSamples).flatMap { p, ss in ss.map { ["prompt": p, "completion": $0.text] } },
                        to: url("data/train_samples.jsonl"))
        let rows = SentimentSteps.preferenceRows(prompts: trainPrompts, continuations: trainSamples.map { $0.map(\.text) }, scorer: scorer,
                                                 tokenizer: tokenizer, minimumMargin: s.minimumMargin)
        let (trainRows, evalRows) = SentimentSteps.splitHeldOut(rows)
        guard !trainRows.isEmpty else {
            throw DemoError.emptyStage("only \(rows.count) prompts had continuations whose scores differ by ≥ \(s.minimumMargin); raise train_prompts or samples_per_prompt")
        }
        let nEval = evalRows.count
        try JSONL.write(trainRows, to: url("data/pairs.jsonl"))
        try JSONL.write(evalRows, to: url("data/eval_pairs.jsonl"))
        let encoder = DatasetEncoderFactory.encoder(tokenizer)
        let pairs = try loadPairs(url("data/pairs.jsonl"), encoder)
        let evalPairs = try loadPairs(url("data/eval_pairs.jsonl"), encoder)
        log(.note("\(rows.count - nEval) training pairs, \(nEval) held-out pairs"))

        // 3. The reference on held-out prompts, and the token-level truth on its samples.
        timer.begin("evaluate reference", log: log)
        let evaluator = SentimentEvaluator(settings: s, tokenizer: tokenizer, scorer: scorer, reference: reference, prompts: testPrompts,
                                           sampler: sampler)
        try fm.createDirectory(at: url("runs/reference"), withIntermediateDirectories: true)
        var runs = [try evaluator.evaluate(method: "reference", beta: nil, policy: reference, trainSeconds: 0,
                                           saveTo: url("runs/reference/samples.jsonl"))]
        let raters = try evaluator.raterAgreement()

        // 4. Every method at every β.
        var merged: String?
        for beta in s.betas {
            var dpoAtBeta: (any LanguageModel)?
            for method in s.methods {
                timer.begin("\(method) β=\(beta)", log: log)
                let t0 = ContinuousClock.now
                let (trainer, policy) = try train(method: method, beta: beta, modelPath: modelPath, reference: reference,
                                                  dpo: dpoAtBeta, pairs: pairs, evalPairs: evalPairs)
                let secs = StageTimer.seconds(since: t0)
                let heldOut = trainer.evaluate()["eval_" + MetricName.rewardsAccuracies].map(Double.init)
                policy.model.eval()
                var r = try evaluator.evaluate(method: method, beta: beta, policy: policy.model, trainSeconds: secs,
                                               saveTo: url("runs/\(method)-beta\(beta)/samples.jsonl"))
                r.heldOutRewardAccuracy = heldOut
                runs.append(r)
                log(.note(String(format: "%@ β=%g: reward %.3f, KL %.4f", method, beta, r.reward.value, r.kl.value)))
                if method == "dpo" {
                    dpoAtBeta = policy.model
                    if let b = s.saveMergedBeta, b == beta {
                        let dir = url("models/dpo-beta\(beta)")
                        try trainer.saveModel(policy, to: dir)  // folds the LoRA adapters in
                        merged = dir.path
                    }
                }
            }
        }
        timer.finish()
        let result = SentimentDemoResult(settings: s, trainPrompts: trainPrompts.count, testPrompts: testPrompts.count,
                                         pairs: rows.count - nEval, heldOutPairs: nEval, runs: runs, curves: curves, stages: timer.stages,
                                         wallSeconds: StageTimer.seconds(since: start), mergedModel: merged,
                                         raterAgreement: raters)
        try writeJSON(result, to: url("results.json"))
        let report = SentimentDemoReport.make(result, heatmaps: evaluator.heatmaps(count: 3))
        do { try report.write(to: folder) } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
        return result
    }

    func loadPairs(_ u: URL, _ encoder: DatasetEncoder) throws -> TrainingExamples {
        .pairs(try DatasetLoader.preferences(u.path, encoder: encoder).examples)
    }

    /// LoRA fine-tuning of a fresh copy of the model with one method at one β.
    func train(method: String, beta: Float, modelPath: String, reference: any LanguageModel, dpo: (any LanguageModel)?,
               pairs: TrainingExamples, evalPairs: TrainingExamples) throws -> (Trainer, PretrainedModel) {
        let s = settings
        var c = TrainingConfiguration.demoLoRARun(.preference, model: modelPath, data: url("data/pairs.jsonl").path,
                                                  out: url("runs/\(method)-beta\(beta)").path, seed: s.seed, steps: s.steps, batch: s.batch,
                                                  learningRate: s.learningRate, loraRank: s.loraRank, loraAlpha: s.loraAlpha,
                                                  evalSteps: max(1, s.steps / 3))
        c.beta = beta
        c.alpha = s.alpha
        var guides: [any LanguageModel] = []
        switch method {
        case "dpo": c.loss = ["sigmoid"]
        case "tgdpo-lexicon": c.loss = ["tgdpo-rewards"]
        case "tgdpo-implicit":
            c.loss = ["tgdpo"]
            guard let dpo else { throw DemoError.invalidSetting("tgdpo-implicit needs the dpo run at β=\(beta) first") }
            guides = [dpo]
            c.guide = ["dpo β=\(beta) (in memory)"]
        default: c.loss = [method]
        }
        let policy = try PretrainedModel.load(path: modelPath)
        let pm = try PreferenceMethod.make(losses: c.loss, weights: nil, beta: beta, alpha: c.alpha, labelSmoothing: 0)
        let trainer = try Trainer(configuration: c, policy: policy.model, reference: reference, guides: guides, mode: .preference(pm),
                                  train: pairs, eval: evalPairs, padID: policy.tokenizer?.padTokenID ?? policy.tokenizer?.eosTokenID ?? 0,
                                  outputDirectory: URL(fileURLWithPath: c.out))
        curves += try TrainingCurves.run(trainer, label: "\(method) β=\(beta)", log: log)
        return (trainer, policy)
    }

}

/// How the demo's preference data are tokenised: as TRL does for prompt–completion text, except
/// that no EOS is appended (continuations are cut at a length, they do not end).
enum DatasetEncoderFactory {
    static func encoder(_ t: Tokenizer) -> DatasetEncoder {
        DatasetEncoder(tokenizer: t, options: EncodingOptions(maxLength: 256, appendEOS: false))
    }
}

/// The experiment's reward: VADER compound − λ·(profane words), and its per-token form.
public struct SentimentScorer: Sendable {
    public var lexicon: LexiconReward
    public var profanity: ProfanityPenalty?
    public var profanityWeight: Double

    public init(lexicon: LexiconReward, profanity: ProfanityPenalty?, profanityWeight: Double) {
        self.lexicon = lexicon
        self.profanity = profanity
        self.profanityWeight = profanityWeight
    }

    /// The same scorer with another lexicon (e.g. one rater's ratings).
    public func replacingLexicon(_ l: SentimentLexicon) -> SentimentScorer {
        var copy = self
        copy.lexicon.analyzer.lexicon = l
        return copy
    }

    public func sequenceScore(_ text: String) -> Double {
        lexicon.sequenceScore(text) + profanityWeight * (profanity?.sequenceScore(text) ?? 0)
    }

    /// Per-token rewards of any tokenisation (`offsets` into `text`'s UTF-8).
    public func tokenRewards(text: String, offsets: [Range<Int>], specialTokensMask: [Bool]?) -> [Double] {
        tokenRewards(utf8: Array(text.utf8), offsets: offsets, specialTokensMask: specialTokensMask)
    }

    public func tokenRewards(utf8: [UInt8], offsets: [Range<Int>], specialTokensMask: [Bool]?) -> [Double] {
        var scores = [lexicon.score(utf8: utf8, offsets: offsets, specialTokensMask: specialTokensMask)]
        var weights = [1.0]
        if let profanity {
            scores.append(profanity.score(utf8: utf8, offsets: offsets, specialTokensMask: specialTokensMask))
            weights.append(profanityWeight)
        }
        return TokenLevelScore.weightedSum(scores, weights: weights).tokenRewards
    }

    /// Token rewards of a pair aligned with the completion tokens exactly as `DatasetEncoder`
    /// produces them: prompt + completion encoded whole, the completion being the tokens after the
    /// prompt length common to both rows (where the prompt's last token merges with a completion,
    /// that token counts as completion in both rows). Words are scored in context (a negation in
    /// the prompt still flips a word of the continuation, as VADER reads the whole text); tokens
    /// lying wholly inside the prompt get 0, so only the continuation is rewarded.
    public func pairTokenRewards(prompt: String, chosen: String, rejected: String, tokenizer: Tokenizer) -> (chosen: [Float], rejected: [Float]) {
        let promptIDs = tokenizer.encode(prompt, addSpecialTokens: true)
        let promptBytes = prompt.utf8.count
        func encode(_ c: String) -> (Encoding, Int) {
            let enc = tokenizer.encodeWithOffsets(prompt + c, addSpecialTokens: true)
            return (enc, commonPrefixLength(promptIDs, enc.ids))
        }
        let (ce, ck) = encode(chosen), (re, rk) = encode(rejected)
        let k = min(ck, rk)
        func rewards(_ enc: Encoding, _ text: String) -> [Float] {
            let r = tokenRewards(text: text, offsets: enc.offsets, specialTokensMask: enc.specialTokensMask)
            return (k ..< enc.ids.count).map { enc.offsets[$0].upperBound <= promptBytes ? 0 : Float(r[$0]) }
        }
        return (rewards(ce, prompt + chosen), rewards(re, prompt + rejected))
    }
}
