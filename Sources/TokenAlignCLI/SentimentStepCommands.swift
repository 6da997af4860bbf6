// The controlled-sentiment experiment one step at a time, through the normal commands:
//
//   tokenalign data prompts --split train --out train_prompts.jsonl
//   tokenalign generate --model M --prompts train_prompts.jsonl --num-samples 4 --temperature 1 \
//       --top-k 50 --max-new-tokens 20 --add-special-tokens --seed 101 --out samples.jsonl
//   tokenalign data sentiment-pairs --samples samples.jsonl --out pairs.jsonl --eval-out eval_pairs.jsonl
//   tokenalign dpo --model M --data pairs.jsonl --eval-data eval_pairs.jsonl --loss tgdpo-rewards …
//   tokenalign eval sentiment --model runs/x/model --beta 0.1
//
// Each step reads the demo's settings (defaults, `--quick`, `--config s.yaml`), so the files and
// numbers match `tokenalign demo sentiment` with the same settings.
import ArgumentParser
import Datasets
import Evaluation
import Experiments
import Foundation
import Models
import Support
import Tokenizers

/// The sentiment settings the demo and each step read: the defaults, the `--quick` sizes, a settings
/// file, a seed.
struct SentimentSettingsOptions: ParsableArguments {
    @Option(help: "A YAML or JSON file overriding any of the sentiment settings (see settings.json of a demo run).") var config: String?
    @Flag(help: "The test-sized settings (the demo runs in ≤ 5 minutes on 2 cores).") var quick = false
    /// Every setting of `SentimentDemoSettings.settings` as `--kebab-case value` (`--seed 3`, `--betas 0.1,0.5`).
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Sentiment settings as --flag value (`tokenalign demo sentiment --help` lists them).",
                                                          valueName: "setting"))
    var settingFlags: [String] = []

    func validate() throws { try SentimentDemoSettings.checkFlags(settingFlags) }

    /// The preset, then the settings file's keys, then the flags.
    func settings() throws -> SentimentDemoSettings { try .resolved(quick: quick, config: config, flags: settingFlags) }
}

struct DataPromptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Write the sentiment experiment's Shakespeare prompts ({\"prompt\"} rows) for one side of the fixed split.",
        discussion: """
        The first four words of lines from the corpus (settings: corpus), split train/test by a fixed hash of the line, each \
        side shuffled with the seed; the first train_prompts / test_prompts (or --n). Identical to a demo run's \
        data/train_prompts.jsonl and data/test_prompts.jsonl with the same settings.
        """)

    enum Split: String, ExpressibleByArgument, CaseIterable { case train, test }

    @OptionGroup var settings: SentimentSettingsOptions
    @Option(help: "train or test.") var split: Split
    @Option(help: "How many prompts (default: the settings' train_prompts or test_prompts).") var n: Int?
    @Option(help: "Output JSONL.") var out: String

    func validate() throws {
        if let n, n <= 0 { throw ValidationError("--n must be positive") }
    }

    func run() throws {
        var s = try settings.settings()
        if let n { if split == .train { s.trainPrompts = n } else { s.testPrompts = n } }
        let p = try SentimentSteps.prompts(s)
        let chosen = split == .train ? p.train : p.test
        try writeJSONL(chosen.map { ["prompt": $0] }, to: out)
        FileHandle.standardError.write(Data("\(chosen.count) \(split.rawValue) prompts (of \(p.available)) written to \(out)\n".utf8))
    }
}

struct DataSentimentPairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentiment-pairs",
        abstract: "Score sampled continuations with VADER − profanity and write best-vs-worst preference pairs with per-token rewards.",
        discussion: """
        --samples: JSONL rows {"prompt", "completion"} (as `tokenalign generate --prompts` writes them), grouped by prompt. \
        Per prompt, the best- and worst-scoring continuations form a pair when their scores differ by at least \
        minimum_margin. Rows: TRL prompt/chosen/rejected, "chosen_token_rewards" / "rejected_token_rewards" (one per \
        completion token as `tokenalign dpo` tokenises the row; read by --loss tgdpo-rewards) and both scores. With \
        --eval-out, the first tenth of the pairs goes there (as the demo holds them out).
        """)

    @OptionGroup var settings: SentimentSettingsOptions
    @Option(help: "Sampled continuations (JSONL).") var samples: String
    @Option(help: "Tokenizer for the token rewards: a model folder, .gguf or tokenizer.json (default: the settings' model).")
    var tokenizer: String?
    @Option(help: "Output JSONL of pairs.") var out: String
    @Option(help: "Optional JSONL for the held-out tenth of the pairs.") var evalOut: String?
    @Option(help: "Smallest score gap for a pair (default: the settings' minimum_margin).") var minimumMargin: Double?

    func run() throws {
        var s = try settings.settings()
        if let minimumMargin { s.minimumMargin = minimumMargin }
        let scorer = try SentimentSteps.scorer(s)
        let tok = try loadTokenizer(tokenizer ?? s.model)
        var prompts: [String] = [], groups: [[String]] = [], index: [String: Int] = [:]
        for row in try JSONLReader.read(samples) {
            guard let p = row.object["prompt"] as? String, let c = row.object["completion"] as? String else {
                throw InputDataError("\(row.location): expected string fields \"prompt\" and \"completion\"")
            }
            if let i = index[p] { groups[i].append(c) } else {
                index[p] = prompts.count
                prompts.append(p)
                groups.append([c])
            }
        }
        let rows = SentimentSteps.preferenceRows(prompts: prompts, continuations: groups, scorer: scorer, tokenizer: tok,
                                                 minimumMargin: s.minimumMargin)
        guard !rows.isEmpty else {
            throw InputDataError("\(samples): no prompt has continuations whose scores differ by ≥ \(s.minimumMargin)")
        }
        if let evalOut {
            let (train, eval) = SentimentSteps.splitHeldOut(rows)
            guard !train.isEmpty else { throw InputDataError("\(samples): only \(rows.count) pair(s); none left after holding out") }
            try writeJSONL(train, to: out)
            try writeJSONL(eval, to: evalOut)
            FileHandle.standardError.write(Data("\(train.count) pairs to \(out), \(eval.count) held out to \(evalOut) (\(prompts.count) prompts)\n".utf8))
        } else {
            try writeJSONL(rows, to: out)
            FileHandle.standardError.write(Data("\(rows.count) pairs from \(prompts.count) prompts written to \(out)\n".utf8))
        }
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate policies, reward models and credit sources.",
                                                    subcommands: [EvalSentimentCommand.self, EvalRMCommand.self, EvalCreditCommand.self, EvalOveroptimisationCommand.self])
}

struct EvalSentimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentiment",
        abstract: "Held-out reward, KL, diversity, fluency and implicit-reward rank correlation of a policy, as the sentiment demo measures them.",
        discussion: """
        Samples eval_samples continuations per held-out prompt from the reference and from each --model, and reports \
        the mean VADER − profanity reward and the per-token KL to the reference (95% bootstrap CIs over prompts), \
        distinct-1/2, self-BLEU, the reference's perplexity of the samples, and the Spearman ρ between the lexicon's \
        per-token reward and β·log π/π_ref on the reference's samples, with the single-human-rater ceiling.
        """)

    @OptionGroup var settings: SentimentSettingsOptions
    @Option(parsing: .singleValue, help: "A policy to evaluate (folder or .gguf; repeatable). None: the reference alone.")
    var model: [String] = []
    @Option(parsing: .singleValue, help: "β of each --model, for its implicit reward (one value for all, or one per model).")
    var beta: [Float] = []
    @Option(help: "The reference (default: the settings' model).") var ref: String?
    @Option(help: "Held-out prompts JSONL (default: the settings' test prompts).") var prompts: String?
    @Option(help: "A folder for each model's sampled continuations.") var out: String?
    @Flag(help: "Print the results as one JSON object as the last line.") var json = false

    func validate() throws {
        guard model.isEmpty || beta.count == 1 || beta.count == model.count else {
            throw ValidationError("give one --beta for all models or one per --model (\(model.count) models, \(beta.count) β)")
        }
        guard beta.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw ValidationError("--beta must be positive") }
    }

    struct Output: Encodable {
        var runs: [SentimentRunResult]
        var raterAgreement: RaterAgreement?
    }

    func run() throws {
        let s = try settings.settings()
        let refPath = ref ?? s.model
        let reference = try PretrainedModel.load(path: refPath)
        guard let tokenizer = reference.tokenizer else { throw ValidationError("\(refPath) has no tokenizer") }
        let heldOut: [String]
        if let prompts {
            heldOut = try JSONLReader.read(prompts).map { row in
                guard let p = row.object["prompt"] as? String else { throw InputDataError("\(row.location): expected a string field \"prompt\"") }
                return p
            }
            guard !heldOut.isEmpty else { throw InputDataError("\(prompts): no prompts") }
        } else {
            heldOut = try SentimentSteps.prompts(s).test
        }
        var policies: [(name: String, beta: Float, model: any LanguageModel)] = []
        for (i, path) in model.enumerated() {
            let name = URL(fileURLWithPath: path).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/")
            policies.append((name, beta.count == 1 ? beta[0] : beta[i], try PretrainedModel.load(path: path).model))
        }
        let folder = out.map { URL(fileURLWithPath: $0) }
        if let folder { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let (runs, raters) = try SentimentSteps.evaluate(settings: s, tokenizer: tokenizer, reference: reference.model, policies: policies,
                                                         prompts: heldOut, samplesFolder: folder)
        var text = "\(heldOut.count) held-out prompts × \(s.evalSamples) samples; 95% bootstrap CI over prompts\n"
        text += DemoSummary.pad("model", 28) + DemoSummary.pad("β", 7) + DemoSummary.pad("reward", 24) + DemoSummary.pad("KL/token", 24)
            + DemoSummary.pad("dist-2", 8) + DemoSummary.pad("ppl", 8) + "ρ(implicit, lexicon) on word tokens\n"
        for r in runs {
            text += DemoSummary.pad(r.method, 28) + DemoSummary.pad(r.beta.map { String(format: "%g", $0) } ?? "–", 7)
                + DemoSummary.pad(DemoSummary.ci(r.reward), 24) + DemoSummary.pad(DemoSummary.ci(r.kl), 24)
                + DemoSummary.pad(String(format: "%.3f", r.distinct2), 8) + DemoSummary.pad(String(format: "%.2f", r.referencePerplexity), 8)
                + (r.rankCorrelationLexiconTokens.map(DemoSummary.ci) ?? "–") + "\n"
        }
        if let raters { text += "one human rater vs the lexicon on word tokens: ρ " + RaterAgreement.summary(raters.lexiconTokens) + "\n" }
        print(text, terminator: "")
        if json { try printJSONLine(Output(runs: runs, raterAgreement: raters)) }
    }
}
