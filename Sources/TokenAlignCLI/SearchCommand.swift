// `tokenalign search`: sequence-level search over a file of prompts (issue 14) — best-of-N, majority
// and weighted-majority votes, early rejection, step-level beam search, MCTS — writing one JSONL row
// per prompt (and method and seed) with the chosen answer, its score and the cost columns, and
// printing accuracy against forward tokens when the prompts are CreditBench rows. Also the
// `--best-of N --scorer …` options of `tokenalign generate`.
import ArgumentParser
import CreditBench
import Datasets
import Decoding
import Evaluation
import Foundation
import Models
import OnlineRL
import Search
import Support
import Tokenizers

/// Decoding and search knobs shared by `search` and `generate --best-of`.
struct SearchOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Samples per prompt (best-of-n, votes, early-reject).") var n: Int = 8
    @Option(help: "Random seed (each prompt and generation call derives its own).") var seed: UInt64 = 0
    @Option(help: "Sampling temperature of the proposals (0 is greedy).") var temperature: Float = 1
    @Option(help: "Top-k filter of the proposals (0 disables).") var topK: Int = 0
    @Option(help: "Top-p filter of the proposals (1 disables).") var topP: Float = 1
    @Option(help: "Token budget of a whole answer.") var maxNewTokens: Int = 32
    @Option(help: "Stop an answer when it contains this string (repeatable; CreditBench answers end with \"\\n\").") var stop: [String] = []
    @Option(help: "early-reject: tokens before the partial answers are scored (τ).") var tau: Int = 4
    @Option(help: "early-reject: fraction of the samples kept after τ tokens.") var keep: Double = 0.25
    @Option(help: "beam: beams kept after each step.") var beamWidth: Int = 4
    @Option(help: "beam, mcts: sampled next steps per beam or node.") var expansions: Int = 4
    @Option(help: "beam, mcts: the text that ends a step.") var stepDelimiter: String = ";"
    @Option(help: "beam, mcts: most tokens in one step.") var stepTokens: Int = 16
    @Option(help: "beam: most steps.") var maxSteps: Int = 16
    @Option(help: "mcts: iterations.") var iterations: Int = 16
    @Option(help: "mcts: UCT exploration constant.") var exploration: Double = 1
    @Option(help: "mcts: value backed up the path, mean or max (LE-MCTS's optimistic backup).") var backup: String = "mean"
    @Flag(help: "Prefill each context once for all its samples (best-of-n copies, a beam's or node's next steps) and copy its KV cache; same outputs, fewer prefill tokens (policy_prefill_tokens_saved).")
    var sharePrefixes = false
    @Flag(help: "Keep a trie KV cache of every searched prefix across the search's calls (Saffron-1's trie; also for the mrm scorer): same outputs, fewer prefill tokens (policy_/scorer_prefill_tokens_saved).")
    var trieCache = false
    @Option(help: "saffron: (node, child) pairs and nodes kept per depth.") var budget: Int = 8
    @Option(help: "saffron: a node's children are the tokens of this top-p mass of the policy.") var saffronTopP: Double = 0.8
    @Option(help: "saffron: depths before which stop tokens are forbidden.") var minNewTokens: Int = 0
    @Option(help: "saffron: most children per node (0: the whole top-p set; at most the vocabulary).") var maxChildren: Int = 0
    @Option(help: "persona-judge: the drafting view's persona, put before every prompt.") var draftPersona: String = ""
    @Option(help: "persona-judge: the judging view's persona, put before every prompt.") var judgePersona: String = ""
    @Option(help: "persona-judge: tokens proposed per round (γ).") var draftTokens: Int = 4
    @Flag(help: "persona-judge: swap the drafting and judging views after every round.") var alternatePersonas = false

    func settings() throws -> SearchSettings {
        var s = SearchSettings()
        s.n = n
        s.seed = seed
        s.tau = tau
        s.keepFraction = keep
        s.beamWidth = beamWidth
        s.expansions = expansions
        s.stepDelimiter = stepDelimiter
        s.stepTokens = stepTokens
        s.maxSteps = maxSteps
        s.iterations = iterations
        s.exploration = exploration
        guard backup == "mean" || backup == "max" else { throw SearchError.invalidSetting("--backup must be mean or max, got '\(backup)'") }
        s.optimisticBackup = backup == "max"
        s.budget = budget
        s.saffronTopP = saffronTopP
        s.minNewTokens = minNewTokens
        s.maxChildren = maxChildren
        s.draftPersona = draftPersona
        s.judgePersona = judgePersona
        s.draftTokens = draftTokens
        s.alternatePersonas = alternatePersonas
        try s.validate()
        guard maxNewTokens > 0 else { throw SearchError.invalidSetting("--max-new-tokens must be positive, got \(maxNewTokens)") }
        guard temperature >= 0, temperature.isFinite else { throw SearchError.invalidSetting("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw SearchError.invalidSetting("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw SearchError.invalidSetting("--top-p must be in (0, 1], got \(topP)") }
        return s
    }

    func policy(_ loaded: PretrainedModel, tokenizer: Tokenizer) -> SearchPolicy {
        Self.policy(loaded, tokenizer: tokenizer, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                    stop: stop, seed: seed, sharePrefixes: sharePrefixes, trieCache: trieCache)
    }

    static func policy(_ loaded: PretrainedModel, tokenizer: Tokenizer, maxNewTokens: Int, temperature: Float, topK: Int, topP: Float,
                       stop: [String], seed: UInt64, sharePrefixes: Bool = false, trieCache: Bool = false) -> SearchPolicy {
        SearchPolicy.sampling(loaded.model, tokenizer: tokenizer, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                              stop: stop, seed: seed, sharePrefixes: sharePrefixes, trieCache: trieCache)
    }
}

/// `generate --best-of N --scorer SPEC`.
struct BestOfOptions: ParsableArguments {
    @Option(help: "Generate N samples and keep the one --scorer rates best (best-of-N; the sampling flags apply to the samples).")
    var bestOf: Int?
    @Option(help: "With --best-of: the scorer (\(SequenceScorers.registry.entries.map { $0.card.name + ($0.argument.isEmpty ? "" : ":" + $0.argument) }.joined(separator: ", "))).")
    var scorer: String?

    func validate() throws {
        if let n = bestOf, n < 1 { throw ValidationError("--best-of must be ≥ 1, got \(n)") }
        if bestOf != nil && scorer == nil { throw ValidationError("--best-of needs --scorer") }
        if bestOf == nil && scorer != nil { throw ValidationError("--scorer goes with --best-of") }
    }
}

struct SearchCommand: ParsableCommand {
    /// The methods whose result holds a pool of -n scored samples (what --estimate-n reads).
    static let poolMethods: Set<String> = ["best-of-n", "weighted-majority"]
    static let configuration = CommandConfiguration(commandName: "search",
        abstract: "Sequence-level search (best-of-N, votes, early rejection, step beam, MCTS, Saffron, persona-judge) with cost accounting.",
        discussion: """
        Methods: \(Searchers.registry.names.joined(separator: ", ")). Scorers: \
        \(SequenceScorers.registry.entries.map { $0.card.name + ($0.argument.isEmpty ? "" : ":" + $0.argument) }.joined(separator: ", ")). \
        --method takes a comma-separated list, each NAME or NAME@SCORER (overriding --scorer), and --seeds a list of \
        seeds: every method runs with every seed. Output rows: {"prompt", "method", "scorer", "seed", "completion", \
        "answer", "score", "correct" (CreditBench rows), "best_of_n_accuracy" (with --estimate-n), \
        "policy_prefill_tokens", "policy_decode_tokens", "policy_forward_calls", "policy_prefill_tokens_saved" (with --share-prefixes or --trie-cache), \
        "drafted_tokens", "accepted_draft_tokens" (persona-judge), \
        "scorer_prefill_tokens_saved" (the mrm scorer with --trie-cache), \
        "scorer_prefill_tokens", "scorer_forward_calls", "wall_seconds"}. Forward tokens count every position a model processes, padding \
        included. With CreditBench prompts (a "task" column) a table of accuracy (95% bootstrap CI over prompts) \
        against forward tokens per prompt goes to standard output.
        """)

    @OptionGroup var model: ModelArguments
    @OptionGroup var weights: WeightsOption
    @OptionGroup var rmWeights: RewardModelWeightsOption
    @Option(help: "Searcher(s): NAME or NAME@SCORER, comma-separated.") var method: String
    @Option(help: "Prompt-only JSONL (\"prompt\"; CreditBench rows also carry \"task\").") var prompts: String
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "The scorer: verifier[:TASK], rm:DIR, token-rm:DIR, value:DIR, mrm:DIR, reward:NAME[:ARG].") var scorer: String?
    @Option(help: "Comma-separated seeds (overrides --seed); every method runs with each.") var seeds: String?
    @Option(help: "Comma-separated n for the unbiased best-of-n accuracy of each prompt's pool of -n scored samples (best-of-n, weighted-majority; each ≤ -n).")
    var estimateN: String?
    @Flag(help: "Add the tokenizer's special tokens (e.g. BOS) to each prompt.") var addSpecialTokens = false
    @OptionGroup var options: SearchOptions

    func run() throws {
        let base = try options.settings()
        let loaded = try model.load(weights: weights)
        guard let tokenizer = loaded.tokenizer else { throw SettingsError("\(model.path) has no tokenizer; pass --tokenizer") }
        guard base.maxChildren <= loaded.model.vocabularySize else {
            throw SettingsError("--max-children \(base.maxChildren) exceeds the policy's vocabulary of \(loaded.model.vocabularySize) tokens")
        }
        var seedList = [base.seed]
        if let seeds {
            guard let v = CommaList.integers(seeds, as: UInt64.self) else { throw SettingsError("--seeds takes comma-separated integers, got '\(seeds)'") }
            seedList = v
        }
        var estimate: [Int] = []
        if let estimateN {
            guard let parsed = CommaList.integers(estimateN, as: Int.self), parsed.allSatisfy({ $0 >= 1 }) else {
                throw SettingsError("--estimate-n takes comma-separated integers ≥ 1, got '\(estimateN)'")
            }
            estimate = parsed
            if let big = estimate.first(where: { $0 > base.n }) {
                throw SettingsError("--estimate-n \(big) needs at least \(big) samples per prompt, but -n is \(base.n) (N ≥ n)")
            }
        }
        // Every method and scorer is checked before any search runs.
        var plans: [(label: String, entry: SearcherEntry, scorerSpec: String?)] = []
        for spec in CommaList.strings(method) {
            let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
            let entry: SearcherEntry
            do { entry = try Searchers.registry.entry(named: parts[0]) } catch { throw SettingsError("--method \(parts[0]): \(error)") }
            let scorerSpec = parts.count > 1 ? parts[1] : scorer
            if entry.needsScorer && scorerSpec == nil {
                throw SettingsError("--method \(parts[0]) needs a scorer: --scorer SPEC or \(parts[0])@SPEC")
            }
            let scorerKind = scorerSpec.map { String($0.split(separator: ":", maxSplits: 1).first ?? "") }
            plans.append((parts[0] + (scorerKind.map { "@" + $0 } ?? ""), entry, scorerSpec))
        }
        guard !plans.isEmpty else { throw SettingsError("--method names no searcher") }
        let rendering = PromptRendering(addSpecialTokens: addSpecialTokens)
        let rows = try RLPrompts.load(prompts, tokenizer: tokenizer, rendering: rendering)
        let policy = options.policy(loaded, tokenizer: tokenizer)
        let context = ScorerContext(tokenizer: tokenizer, vocabularySize: loaded.model.vocabularySize, maxNewTokens: options.maxNewTokens,
                                    rewardModelWeights: rmWeights.format, trieCache: options.trieCache, policy: policy.model)
        var scorers: [String: any SequenceScorer] = [:]
        for p in plans {
            if let s = p.scorerSpec, scorers[s] == nil { scorers[s] = try SequenceScorers.make(s, context: context) }
        }

        var output: [[String: Any]] = []
        var table: [(label: String, correct: [[Double]], policyTokens: [Double], scorerTokens: [Double], seconds: Double)] = []
        for plan in plans {
            var correct = [[Double]](repeating: [], count: rows.count), policyTokens: [Double] = [], scorerTokens: [Double] = []
            var seconds = 0.0
            for seed in seedList {
                var s = base
                s.seed = seed
                let searcher = plan.entry.make(s)
                let bar = ProgressLine(label: "\(plan.label) seed \(seed)")
                let results = try SearchRun.run(searcher, prompts: rows, policy: policy, scorer: plan.scorerSpec.flatMap { scorers[$0] },
                                                estimateN: Self.poolMethods.contains(plan.entry.card.name) ? estimate : []) { bar.update($0, of: $1) }
                bar.finish()
                for (i, (p, r)) in zip(rows, results).enumerated() {
                    let task = (p.columns["task"] as? String).flatMap(CreditTaskName.init(rawValue:))
                    var row: [String: Any] = ["prompt": p.columns["prompt"] ?? p.text, "method": plan.entry.card.name,
                                              "scorer": plan.scorerSpec.map { $0 as Any } ?? NSNull(), "seed": Int(truncatingIfNeeded: seed),
                                              "completion": r.result.answer.text,
                                              "answer": AnswerExtraction.finalAnswer(r.result.answer.text, task: task),
                                              "completion_tokens": r.result.answer.ids.count, "score": r.result.score.map { $0 as Any } ?? NSNull(),
                                              "samples": r.result.samples.count]
                    row.merge(r.ledger.columns) { a, _ in a }
                    if let c = r.correct {
                        row["correct"] = c
                        correct[i].append(c ? 1 : 0)
                    }
                    if !r.bestOfNAccuracy.isEmpty {
                        row["best_of_n_accuracy"] = Dictionary(uniqueKeysWithValues: r.bestOfNAccuracy.map { (String($0.key), $0.value) })
                    }
                    policyTokens.append(Double(r.ledger.policy.tokens))
                    scorerTokens.append(Double(r.ledger.scoring.tokens))
                    seconds += r.ledger.wallSeconds
                    output.append(row)
                }
            }
            table.append((plan.label, correct, policyTokens, scorerTokens, seconds))
        }
        try writeJSONL(output, to: out)
        FileHandle.standardError.write(Data("\(output.count) rows written to \(out)\n".utf8))
        // The accuracy-vs-cost table.
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        let hasTask = table.contains { $0.correct.contains { !$0.isEmpty } }
        var text = "\(rows.count) prompts × \(seedList.count) seed(s)\n"
        text += "method".padding(toLength: 28, withPad: " ", startingAt: 0) + (hasTask ? "accuracy [95% CI]          " : "")
            + "policy tok/prompt  scorer tok/prompt  s/prompt\n"
        for t in table {
            var line = t.label.padding(toLength: 28, withPad: " ", startingAt: 0)
            if hasTask {
                let e = Bootstrap.meanOverGroups(t.correct, seed: 0)
                line += String(format: "%.3f [%.3f, %.3f]", e.value, e.low, e.high).padding(toLength: 27, withPad: " ", startingAt: 0)
            }
            line += String(format: "%17.1f  %17.1f  %8.3f", mean(t.policyTokens), mean(t.scorerTokens), t.seconds / Double(max(1, t.policyTokens.count)))
            text += line + "\n"
        }
        print(text, terminator: "")
    }
}

extension GenerateCommand {
    /// `--best-of N --scorer SPEC`: best-of-N for the single prompt or every prompt of the file.
    func runBestOf(_ loaded: PretrainedModel, tokenizer: Tokenizer) throws {
        guard let n = bestOf.bestOf, let spec = bestOf.scorer else { return }
        var settings = SearchSettings()
        settings.n = n
        settings.seed = seed
        try settings.validate()
        let policy = SearchOptions.policy(loaded, tokenizer: tokenizer, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK,
                                          topP: topP, stop: stop, seed: seed)
        let scorer = try SequenceScorers.make(spec, context: ScorerContext(tokenizer: tokenizer, vocabularySize: loaded.model.vocabularySize,
                                                                           maxNewTokens: maxNewTokens, rewardModelWeights: rmWeights.format,
                                                                           policy: policy.model))
        var rows: [RLPrompt]
        if let prompts {
            rows = try RLPrompts.load(prompts, tokenizer: tokenizer, rendering: PromptRendering(chat: chat, system: system, addSpecialTokens: addSpecialTokens))
        } else {
            let (text, ids) = try render(.text(prompt ?? ""), tokenizer: tokenizer, addSpecialTokens: true)
            guard !ids.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
            rows = [RLPrompt(location: .init(file: "--prompt", line: 1), text: text, ids: ids, columns: ["prompt": prompt ?? ""])]
        }
        let results = try SearchRun.run(BestOfN(settings), prompts: rows, policy: policy, scorer: scorer)
        if let out {
            var lines: [[String: Any]] = []
            for (p, r) in zip(rows, results) {
                var row: [String: Any] = ["prompt": p.columns["prompt"] ?? p.text, "completion": r.result.answer.text,
                                          "score": r.result.score.map { $0 as Any } ?? NSNull(), "samples": r.result.samples.count]
                row.merge(r.ledger.columns) { a, _ in a }
                lines.append(row)
            }
            try writeJSONL(lines, to: out)
            FileHandle.standardError.write(Data("best-of-\(n) answers of \(rows.count) prompts written to \(out)\n".utf8))
        } else if let r = results.first {
            let text = r.result.answer.text
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            let c = r.ledger
            FileHandle.standardError.write(Data(("[best of \(n) by \(spec): score \(r.result.score.map { String($0) } ?? "–"), "
                + "policy \(c.policy.prefillTokens)+\(c.policy.decodeTokens) tokens in \(c.policy.forwardCalls) calls, "
                + "scorer \(c.scoring.tokens) tokens]\n").utf8))
        }
    }
}
