// The over-optimisation harness (`tokenalign eval overoptimisation`; Gao, Schulman & Hilton,
// arXiv 2210.10760): optimise a policy against each proxy reward — by best-of-n on one pool of
// samples, and by an online-RL run — and track the proxy and a gold reward against the KL spent.
//
// - Best-of-n: N samples per prompt from the run's sampler; for n = 1, 2, 4, … ≤ N the unbiased
//   expected proxy and gold reward of the proxy-best of n, at KL_BoN = log n − (n − 1)/n.
// - RL: the run's settings with `rewards` = [proxy]; after every step, the step's rollouts (drawn
//   from the policy before its update) give the proxy mean, the gold mean and
//   KL(π_s ‖ π_init) ≈ mean over samples of Σ_t (log π_s(y_t) − log π_init(y_t)), the sampler's
//   log-probabilities against a frozen copy of the starting policy scored on the same tokens.
//   That estimator is unbiased only when the samples come from π_s itself, so the harness refuses a
//   temperature other than 1 and any top-k / top-p.
// - Gao et al.'s forms are fitted to the gold gain (gold minus the starting policy's) against
//   d = √KL; a proxy whose fitted gold peak lies further out "delays over-optimisation".
// Proxies and gold are `--reward` functions (`RewardFunctions.registry`): `rm:DIR`,
// `rm-ensemble:DIR,DIR[:MODE]`, `lexicon:FILE`, `creditbench`… docs/design/overoptimisation.md.
import Evaluation
import Foundation
import Models
import OnlineRL
import Search
import Tokenizers

public struct OveroptimisationSettings: Sendable {
    /// The online-RL settings (model, prompts, estimator, budget…); `rewards` is replaced by each
    /// proxy in turn, and `max_steps` by `rlSteps`.
    public var rl: OnlineRLConfiguration
    /// Reward-function specs, one curve each.
    public var proxies: [String]
    /// The reward-function spec that plays the human.
    public var gold: String
    /// N, the best-of-n pool per prompt (0: no best-of-n curve).
    public var samples = 64
    /// The best-of-n prompts: the first `bestOfNPrompts` of `eval_prompts` (else of `prompts`).
    public var bestOfNPrompts = 32
    /// Optimizer steps of each RL run (0: no RL curve).
    public var rlSteps = 0

    public init(rl: OnlineRLConfiguration, proxies: [String], gold: String) {
        self.rl = rl
        self.proxies = proxies
        self.gold = gold
    }

    /// Settings the harness cannot measure honestly, named.
    public func validate() throws {
        guard !proxies.isEmpty else { throw OveroptimisationError("give at least one --proxy reward") }
        guard !gold.isEmpty else { throw OveroptimisationError("give the --gold reward") }
        guard samples >= 0, bestOfNPrompts >= 1, rlSteps >= 0 else {
            throw OveroptimisationError("--samples and --rl-steps must be ≥ 0 and --bon-prompts ≥ 1")
        }
        guard samples > 0 || rlSteps > 0 else { throw OveroptimisationError("nothing to measure: --samples 0 and --rl-steps 0") }
        guard rl.temperature == 1, rl.topK == 0, rl.topP == 1 else {
            throw OveroptimisationError("the KL estimates assume samples from the policy itself: temperature 1, top_k 0 and top_p 1 "
                + "(got temperature \(rl.temperature), top_k \(rl.topK), top_p \(rl.topP))")
        }
    }
}

public struct OveroptimisationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// One proxy's curves and fits.
public struct ProxyCurves: Codable, Sendable, Equatable {
    public var proxy: String
    public var bestOfN: [OveroptimisationPoint]
    public var bestOfNFit: OveroptimisationFit?
    public var rl: [OveroptimisationPoint]
    public var rlFit: OveroptimisationFit?
    /// Why a fit is missing (too few points, singular).
    public var fitNotes: [String]
}

public struct OveroptimisationResult: Codable, Sendable, Equatable {
    public var gold: String
    public var samples: Int
    public var bestOfNPrompts: Int
    public var rlSteps: Int
    public var seed: UInt64
    public var curves: [ProxyCurves]
}

public enum Overoptimisation {
    /// Runs every proxy; `progress` receives one line per stage.
    public static func run(_ s: OveroptimisationSettings, progress: (String) -> Void = { _ in }) throws -> OveroptimisationResult {
        try s.validate()
        var curves: [ProxyCurves] = []
        // One pool of samples serves every proxy's best-of-n curve (the policy is the same).
        var pool: (trainer: OnlineRLTrainer, completions: [Completion], prompts: Int)?
        if s.samples > 0 {
            var c = s.rl
            c.rewards = [s.gold]
            c.rewardWeights = nil
            let (trainer, _) = try OnlineRLSetup.prepare(c)
            let set = trainer.evalPrompts.isEmpty ? trainer.prompts : trainer.evalPrompts
            let count = min(s.bestOfNPrompts, set.count)
            progress("best-of-n: sampling \(s.samples) completions for each of \(count) prompts")
            let completions = trainer.sampleCompletions(of: set, indices: Array(0 ..< count), copies: s.samples, seed: c.seed &+ 0xB0_0000)
            pool = (trainer, completions, count)
        }
        for proxy in s.proxies {
            var out = ProxyCurves(proxy: proxy, bestOfN: [], bestOfNFit: nil, rl: [], rlFit: nil, fitNotes: [])
            if let pool {
                progress("best-of-n: scoring with \(proxy)")
                out.bestOfN = try bestOfNCurve(pool.completions, prompts: pool.prompts, samples: s.samples, proxy: proxy, gold: s.gold,
                                               configuration: s.rl, tokenizer: pool.trainer.tokenizer,
                                               vocabularySize: pool.trainer.policy.vocabularySize)
                (out.bestOfNFit, out.fitNotes) = fit(.bestOfN, out.bestOfN, notes: out.fitNotes)
            }
            if s.rlSteps > 0 {
                out.rl = try rlCurve(s, proxy: proxy) { progress("rl \(proxy): step \($0)/\(s.rlSteps)") }
                (out.rlFit, out.fitNotes) = fit(.rl, out.rl, notes: out.fitNotes)
            }
            curves.append(out)
        }
        return OveroptimisationResult(gold: s.gold, samples: s.samples, bestOfNPrompts: pool?.prompts ?? 0, rlSteps: s.rlSteps,
                                      seed: s.rl.seed, curves: curves)
    }

    /// The fit of a curve's gold gain, or the reason there is none.
    static func fit(_ form: OveroptimisationForm, _ points: [OveroptimisationPoint], notes: [String]) -> (OveroptimisationFit?, [String]) {
        do {
            return (try OveroptimisationFit.fit(form: form, distance: points.map(\.distance), gold: points.map(\.goldGain)), notes)
        } catch {
            return (nil, notes + ["\(form.rawValue) fit: \(error)"])
        }
    }

    /// Sums of each reward function's token rewards, one per completion (a sequence reward sits on
    /// the last token, so the sum is it).
    static func scores(_ spec: String, _ completions: [Completion], configuration c: OnlineRLConfiguration,
                       tokenizer: Tokenizer, vocabularySize: Int) throws -> [Double] {
        let context = RewardContext(tokenizer: tokenizer, maxNewTokens: c.maxCompletionLength, vocabularySize: vocabularySize,
                                    referencePath: c.ref ?? c.model)
        let function = try RewardFunctions.make(spec, context: context)
        var out: [Double] = []
        out.reserveCapacity(completions.count)
        // Reward models score in batches of the run's generation batch.
        for lo in stride(from: 0, to: completions.count, by: max(c.generationBatchSize, 1)) {
            let chunk = Array(completions[lo ..< min(lo + max(c.generationBatchSize, 1), completions.count)])
            for (i, r) in try function.tokenRewards(chunk).enumerated() {
                let total = r.reduce(0, +)
                guard total.isFinite else {
                    throw OveroptimisationError("\(spec): a non-finite reward for \(chunk[i].prompt.location) (completion \(lo + i))")
                }
                out.append(Double(total))
            }
        }
        return out
    }

    static func bestOfNCurve(_ completions: [Completion], prompts: Int, samples N: Int, proxy: String, gold: String,
                             configuration c: OnlineRLConfiguration, tokenizer: Tokenizer, vocabularySize: Int) throws -> [OveroptimisationPoint] {
        let p = try scores(proxy, completions, configuration: c, tokenizer: tokenizer, vocabularySize: vocabularySize)
        let g = try scores(gold, completions, configuration: c, tokenizer: tokenizer, vocabularySize: vocabularySize)
        let pools = (0 ..< prompts).map { i in ScoredPool(proxy: Array(p[i * N ..< (i + 1) * N]), gold: Array(g[i * N ..< (i + 1) * N])) }
        return try BestOfNCurve.points(pools, n: BestOfNCurve.powersOfTwo(upTo: N), seed: c.seed)
    }

    /// One RL run against `proxy`, measured after every step.
    static func rlCurve(_ s: OveroptimisationSettings, proxy: String, progress: (Int) -> Void) throws -> [OveroptimisationPoint] {
        var c = s.rl
        c.rewards = [proxy]
        c.rewardWeights = nil
        c.maxSteps = s.rlSteps
        c.out = ""
        let (trainer, _) = try OnlineRLSetup.prepare(c)
        // π_init: a frozen copy of the starting policy, scored on the rollouts' tokens.
        let initial = try PretrainedModel.load(path: c.model).model
        initial.eval()
        let context = RewardContext(tokenizer: trainer.tokenizer, maxNewTokens: c.maxCompletionLength, vocabularySize: trainer.policy.vocabularySize,
                                    referencePath: c.ref ?? c.model)
        let goldFunction = try RewardFunctions.make(s.gold, context: context)
        var points: [OveroptimisationPoint] = []
        var shift: Double?
        for step in 0 ..< s.rlSteps {
            try trainer.trainStep()
            progress(step + 1)
            let records = trainer.lastRollouts
            guard !records.isEmpty else { continue }
            let completions = records.map {
                Completion(prompt: trainer.prompts[$0.promptIndex], ids: $0.ids, text: $0.text, finishReason: $0.truncated ? .length : .stopToken,
                           logProbs: $0.logProbs)
            }
            let gold = try goldFunction.tokenRewards(completions).map { Double($0.reduce(0, +)) }
            guard gold.allSatisfy(\.isFinite) else { throw OveroptimisationError("\(s.gold): a non-finite gold reward at RL step \(step + 1)") }
            let initialLogps = initial.scoreTokens(records.map { trainer.prompts[$0.promptIndex].ids + $0.ids }, batchSize: c.generationBatchSize)
            var kl: [Double] = []
            for (r, scored) in zip(records, initialLogps) {
                let start = trainer.prompts[r.promptIndex].ids.count - 1  // logprobs[i] predicts token i + 1
                var sum = 0.0
                for t in r.ids.indices { sum += Double(r.logProbs[t]) - Double(scored.logprobs[start + t]) }
                kl.append(sum)
            }
            // Groups are prompts: the intervals resample prompts, not correlated samples.
            var byPrompt: [Int: (proxy: [Double], gold: [Double])] = [:]
            for (i, r) in records.enumerated() {
                byPrompt[r.group, default: ([], [])].proxy.append(Double(r.rewards.reduce(0, +)))
                byPrompt[r.group, default: ([], [])].gold.append(gold[i])
            }
            let keys = byPrompt.keys.sorted()
            let goldEstimate = Bootstrap.meanOverGroups(keys.map { byPrompt[$0]!.gold }, seed: c.seed)
            if shift == nil { shift = goldEstimate.value }
            points.append(OveroptimisationPoint(x: step + 1, kl: kl.reduce(0, +) / Double(kl.count),
                                                proxy: Bootstrap.meanOverGroups(keys.map { byPrompt[$0]!.proxy }, seed: c.seed),
                                                gold: goldEstimate, goldShift: shift ?? 0))
        }
        return points
    }
}
