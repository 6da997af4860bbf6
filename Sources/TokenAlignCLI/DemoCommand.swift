// `tokenalign demo`: the CreditBench pipeline on built-in defaults (the README's main job).
import ArgumentParser
import Evaluation
import Experiments
import Foundation
import Support
import Training
import Yams

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "End-to-end experiments: the CreditBench demo (default), controlled sentiment, online RL, decoding and reward models compared.",
        subcommands: [CreditDemoCommand.self, SentimentDemoCommand.self, RLDemoCommand.self, RLSentimentDemoCommand.self, DecodingDemoCommand.self,
                      RMDemoCommand.self],
        defaultSubcommand: CreditDemoCommand.self)
}

/// Reads a YAML/JSON settings file as a mapping.
func readSettingsMapping(_ path: String) throws -> [String: Any] {
    let text = try YAMLBounds.read(path)  // size and nesting bounded before Yams parses it
    let parsed: Any?
    do { parsed = try Yams.load(yaml: text) } catch { throw ValidationError("\(path): not valid YAML/JSON: \(error)") }
    guard let mapping = parsed as? [String: Any] else { throw ValidationError("\(path): expected a mapping of settings") }
    return mapping
}

/// Demo settings with a default and a `--quick` preset: every demo's.
protocol PresetDemoSettings: DemoSettings {
    static var quick: Self { get }
    /// `--out`'s default.
    static var runFolder: String { get }
    /// `--quick`'s help.
    static var quickHelp: String { get }
}

extension PresetDemoSettings {
    static var quickHelp: String { "The CI-sized run." }
}

extension CreditDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/demo"
    static let quickHelp = "The CI-sized run (every stage shrunk; ≤ 2 minutes on 2 cores)."
}
extension RLDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/rl"
}
extension SentimentDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/sentiment"
}

extension PresetDemoSettings {
    /// Checks the setting flags while parsing (exit 64 naming the flag).
    static func checkFlags(_ flags: [String]) throws { try settings.checkFlags(flags, on: Self()) }

    /// The settings a demo command runs with: the defaults or the `--quick` preset, then the
    /// settings file's keys, then the flags.
    static func resolved(quick: Bool, config: String?, flags: [String]) throws -> Self {
        var s = quick ? Self.quick : Self()
        if let config { s = try s.overriding(with: try readSettingsMapping(config), source: config) }
        try settings.apply(flags: flags, to: &s)
        return s
    }
}

/// Prints demo events: stage lines, progress bars, notes.
final class DemoPrinter {
    var bar: ProgressLine?
    var barLabel = ""
    let start = Date()

    func say(_ line: String) { FileHandle.standardError.write(Data(line.utf8)) }

    func handle(_ event: DemoEvent) {
        switch event {
        case .stage(let name):
            bar?.finish(); bar = nil
            say(String(format: "[%5.1fs] %@\n", Date().timeIntervalSince(start), name))
        case .progress(let label, let done, let total):
            if bar == nil || barLabel != label { bar?.finish(); bar = ProgressLine(label: "  " + label); barLabel = label }
            bar?.update(done, of: total)
        case .note(let text):
            bar?.finish(); bar = nil
            say("  \(text)\n")
        }
    }

    func finish() { bar?.finish() }
}

func printJSONLine<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}

struct CreditDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "credit",
            abstract: "CreditBench end to end: does each token-level method put credit on the token that went wrong?",
            discussion: """
            Generates task data, trains a byte-level BPE tokenizer and a tiny Llama from scratch on demonstrations with \
            injected errors, samples and verifies responses, builds preference pairs whose first erroneous token is known, \
            trains DPO, TDPO2, TGDPO, SparsePO and critical-token cDPO from the same start with equal budgets, and measures \
            held-out accuracy, KL to the start and the localisation of the first error by every token-credit source. \
            Writes data, models, run folders, results.json, report.md and report.html into --out.


            """ + demoSettingsHelp(CreditDemoSettings.settings, defaults: CreditDemoSettings()))
    }

    @OptionGroup var options: DemoRunOptions<CreditDemoSettings>
    @Option(help: "Comma-separated CreditBench tasks (add, chain, sort, cipher, forbidden, count); several run the whole benchmark.") var tasks: String?
    @Option(help: "Comma-separated seeds; several run the benchmark once per seed and summarise across them.") var seeds: String?

    func run() throws {
        var s = try options.settings()
        let folder = options.folder
        let taskList = tasks.map(CommaList.strings) ?? [s.task]
        var seedList = [s.seed]
        if let seeds {
            guard !options.settingFlags.contains(where: { $0 == "--seed" || $0.hasPrefix("--seed=") }) else { throw ValidationError("give --seed or --seeds, not both") }
            guard let v = CommaList.integers(seeds, as: UInt64.self) else { throw ValidationError("--seeds takes comma-separated integers, got '\(seeds)'") }
            seedList = v
        }
        if taskList.count > 1 || seedList.count > 1 {
            guard s.sftModel == nil else { throw ValidationError("--sft-model fits one task and seed; drop it to run several") }
            let printer = DemoPrinter()
            let suite = try CreditBenchSuite.run(s, tasks: taskList, seeds: seedList, folder: folder) { printer.handle($0) }
            printer.finish()
            print(CreditBenchSuite.report(suite).markdown())
            print("report: \(folder.appendingPathComponent("report.html").path)")
            return
        }
        s.task = taskList[0]
        s.seed = seedList[0]
        try DemoPrinter().run(CreditDemo.self, s, folder: folder, json: options.json) { DemoSummary.text($0, folder: folder) }
    }
}

/// The plain-text tables the demo prints at the end.
enum DemoSummary {
    static func ci(_ e: Estimate) -> String { e.interval() }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func text(_ r: CreditDemoResult, folder: URL) -> String {
        var out = "\nPolicies on \(r.data.evalPrompts) held-out prompts (95% bootstrap CI over prompts)\n"
        out += pad("method", 10) + pad("greedy acc", 24) + pad("sampled acc", 24) + "KL(π‖π_SFT)/token\n"
        for p in r.policies {
            out += pad(p.name, 10) + pad(ci(p.greedyAccuracy), 24) + pad(ci(p.sampledAccuracy), 24) + ci(p.klToReference) + "\n"
        }
        out += "\nFirst-error localisation on \(r.data.rejectedResponses) held-out rejected responses\n"
        out += pad("credit source", 28) + pad("AUROC", 24) + pad("top-1", 24) + "top-1 chance\n"
        for c in r.credit {
            out += pad(c.name, 28) + pad(ci(c.auroc), 24) + pad(ci(c.top1), 24) + String(format: "%.3f", c.top1Chance) + "\n"
        }
        out += "\nFirst-error localisation on \(r.data.injectedResponses) held-out injected errors\n"
        for c in r.creditInjected {
            out += pad(c.name, 28) + pad(ci(c.auroc), 24) + pad(ci(c.top1), 24) + String(format: "%.3f", c.top1Chance) + "\n"
        }
        return out + wallTime(r.wallSeconds, folder: folder)
    }

    /// The last line of a demo's summary: its wall time and where its report is.
    static func wallTime(_ seconds: Double, folder: URL) -> String {
        String(format: "\nwall time %.0f s; report: %@\n", seconds, folder.appendingPathComponent("report.html").path)
    }
}

struct SentimentDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "sentiment",
            abstract: "Controlled-sentiment alignment of SmolLM2-135M with VADER's per-word reward: reward vs KL for each method and β.",
            discussion: """
            Samples continuations of Shakespeare prompts from the model, scores them with VADER (− profanity), builds \
            best-vs-worst pairs with per-token lexicon rewards, LoRA-trains DPO, TDPO2, TGDPO (lexicon-guided and DPO-guided) \
            and SparsePO at several β with equal budgets, and measures held-out reward, KL, distinct-n, self-BLEU, reference \
            perplexity and the rank correlation of each implicit token reward with the lexicon. Needs scripts/fetch-assets.sh.


            """ + demoSettingsHelp(SentimentDemoSettings.settings, defaults: SentimentDemoSettings()))
    }

    @Option(help: "Run folder.") var out = SentimentDemoSettings.runFolder
    @OptionGroup var settings: SentimentSettingsOptions
    @Flag(help: "Print results.json's contents as one JSON object as the last line.") var json = false

    func run() throws {
        let s = try settings.settings()
        let folder = URL(fileURLWithPath: out)
        try DemoPrinter().run(SentimentDemo.self, s, folder: folder, json: json) { Self.summary($0, folder: folder) }
    }

    /// The held-out table the command prints at the end.
    static func summary(_ result: SentimentDemoResult, folder: URL) -> String {
        var text = "\nHeld-out reward and KL (95% bootstrap CI over prompts)\n"
        text += DemoSummary.pad("method", 16) + DemoSummary.pad("β", 7) + DemoSummary.pad("reward", 24) + DemoSummary.pad("KL/token", 24) + "ρ(implicit, lexicon) on word tokens\n"
        for r in result.runs {
            text += DemoSummary.pad(r.method, 16) + DemoSummary.pad(r.beta.map { String(format: "%g", $0) } ?? "–", 7)
                + DemoSummary.pad(DemoSummary.ci(r.reward), 24) + DemoSummary.pad(DemoSummary.ci(r.kl), 24)
                + (r.rankCorrelationLexiconTokens.map(DemoSummary.ci) ?? "–") + "\n"
        }
        if let a = result.raterAgreement {
            text += "one human rater vs the lexicon on word tokens: ρ " + RaterAgreement.summary(a.lexiconTokens)
                + " (mean [min, max] over VADER's 10 raters; vs the other nine: " + RaterAgreement.summary(a.lexiconTokensLeaveOneOut) + ")\n"
        }
        return text + DemoSummary.wallTime(result.wallSeconds, folder: folder)
    }
}

struct RLDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "rl",
            abstract: "Online RL from the CreditBench demo's SFT model: GRPO, its variants, PPO, token credit, RTO, token and sequence RMs, ABC and EM-RL, same budget, several seeds.",
            discussion: """
            Starts from the SFT model of a `tokenalign demo` run (--credit-run; without it the CreditBench demo runs first, DPO only, \
            into --out/credit), trains every method on fresh problems of its task with the same number of sampled completions on each \
            seed, and reports held-out greedy and sampled accuracy, KL to the start, where each method's advantages land on wrong \
            rollouts, and the paired difference from GRPO. Writes data, results.json, report.md and report.html into --out.


            """ + demoSettingsHelp(RLDemoSettings.settings, defaults: RLDemoSettings()))
    }
    @OptionGroup var options: DemoRunOptions<RLDemoSettings>

    func run() throws { try options.run(RLDemo.self) { r, _ in "\n" + RLDemo.report(r) } }
}

/// The settings part of a demo's `--help`: every setting's flag, doc, key and default.
func demoSettingsHelp<Root>(_ table: SettingsTable<Root>, defaults: Root) -> String {
    "Settings (flag, then its doc, [settings.json key; default; requirement]); --config FILE sets any of them by key, and flags override the file:\n"
        + table.help(defaults: defaults)
}
