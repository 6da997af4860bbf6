// `tokenalign eval overoptimisation`: proxy and gold reward against the KL spent, by best-of-n and by
// online RL, with Gao et al.'s fitted forms (arXiv 2210.10760). docs/design/overoptimisation.md.
import ArgumentParser
import Experiments
import Foundation
import Models
import OnlineRL
import Reports
import Training

struct EvalOveroptimisationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overoptimisation",
        abstract: "Optimise a policy against proxy rewards (best-of-n and online RL) and measure a gold reward against √KL.",
        discussion: """
        Proxies and gold are --reward functions of grpo/ppo (`tokenalign methods`): e.g. --proxy rm:RM_DIR \
        --proxy rm-ensemble:A,B,C:mean-std=1 --gold lexicon:vader_lexicon.txt. Best-of-n draws --samples completions for \
        each of the first --bon-prompts prompts of eval_prompts (else prompts) and reports n = 1, 2, 4, … ≤ --samples. \
        The RL curve runs --rl-steps steps of the --config run (its rewards replaced by each proxy) and measures every \
        step's rollouts. Sampling must be at temperature 1 with no top-k/top-p (the KL estimates assume it). Writes \
        overoptimisation.json, report.md, report.html and the figures into --out.
        """,
        aliases: ["overoptimization"])

    @Option(help: "Online-RL settings (YAML, as grpo/ppo --config): model, prompts, estimator, budget…") var config: String?
    @Option(help: "The starting policy (overrides the config).") var model: String?
    @Option(help: "Prompt JSONL for RL (overrides the config).") var prompts: String?
    @Option(help: "Prompt JSONL for best-of-n (overrides the config's eval_prompts).") var evalPrompts: String?
    @Option(parsing: .singleValue, help: "A proxy reward NAME[:ARG] (repeatable: one curve each).") var proxy: [String] = []
    @Option(help: "The gold reward NAME[:ARG].") var gold: String
    @Option(help: "Best-of-n pool size N per prompt (0: no best-of-n).") var samples: Int = 64
    @Option(help: "Prompts in the best-of-n pool.") var bonPrompts: Int = 32
    @Option(help: "Online-RL steps per proxy (0: no RL curve).") var rlSteps: Int = 0
    @Option(help: "Longest completion in tokens (overrides the config).") var maxCompletionLength: Int?
    @Option(help: "Seed (overrides the config).") var seed: UInt64?
    @Option(help: "Output folder.") var out: String
    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false

    func settings() throws -> OveroptimisationSettings {
        var c = OnlineRLConfiguration()
        if let path = config { try OnlineRLArguments.overlay(file: path, on: &c) }
        if let v = model { c.model = v }
        if let v = prompts { c.prompts = v }
        if let v = evalPrompts { c.evalPrompts = v }
        if let v = maxCompletionLength { c.maxCompletionLength = v }
        if let v = seed { c.seed = v }
        // The proxy stands in for the rewards: validate the rest of the run with it.
        c.rewards = proxy.isEmpty ? [gold] : [proxy[0]]
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        var s = OveroptimisationSettings(rl: c, proxies: proxy, gold: gold)
        s.samples = samples
        s.bestOfNPrompts = bonPrompts
        s.rlSteps = rlSteps
        do { try s.validate() } catch { throw ValidationError("\(error)") }
        return s
    }

    func run() throws {
        if allowLarge { ModelMemory.allowLarge = true }
        let s = try settings()
        let result = try Overoptimisation.run(s) { FileHandle.standardError.write(Data(("overoptimisation: " + $0 + "\n").utf8)) }
        try Self.write(result, as: "overoptimisation.json", report: result.report(), to: out)
    }

    /// Writes `value` as the run's JSON (`writeJSON`: pretty, sorted keys; a quantity that does not
    /// exist — a fit with no peak, an RL window with no steps — is NaN, written as "nan" as in every
    /// run's results.json and read back by `readJSON`) and the report (Markdown, HTML, figures) into
    /// the folder `out`, and prints the Markdown.
    static func write<T: Encodable>(_ value: T, as name: String, report: Report, to out: String) throws {
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeJSON(value, to: dir.appendingPathComponent(name))
        try report.write(to: dir)
        print(report.markdown())
    }
}
