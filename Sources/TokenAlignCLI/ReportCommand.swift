// `tokenalign report`: figures redrawn from finished runs' results.json, e.g. the reward-vs-KL
// frontier of several seeds of the sentiment experiment in one plot.
import ArgumentParser
import Experiments
import Foundation
import Reports

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Figures from finished runs.",
                                                    subcommands: [FrontierReportCommand.self, RLReportCommand.self, OveroptimisationReportCommand.self,
                                                                   CreditReportCommand.self])
}

struct FrontierReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier",
        abstract: "The sentiment experiment's reward-vs-KL frontier (with reward CIs) of one or more runs, as an SVG file.",
        discussion: """
        Each --results is a `tokenalign demo sentiment` run's results.json. Per method a line runs from the reference \
        (KL 0) through the method's β points, with the 95% bootstrap CI of the reward as error bars. The first run's \
        lines are solid, later runs' dashed in the same colours; they are labelled by --label or by their seed.
        """)

    @Option(parsing: .singleValue, help: "A results.json (repeatable).") var results: [String]
    @Option(parsing: .singleValue, help: "A label per --results (default: \"seed N\").") var label: [String] = []
    @Option(help: "Output SVG file.") var out: String

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give at least one --results") }
        guard label.isEmpty || label.count == results.count else {
            throw ValidationError("give one --label per --results (\(results.count) results, \(label.count) labels)")
        }
    }

    func run() throws {
        let runs = try results.map { try SentimentDemoResult.load(from: URL(fileURLWithPath: $0)) }
        let chart = SentimentDemoReport.frontier(runs, labels: label.isEmpty ? nil : label)
        try Data(chart.svg().utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        FileHandle.standardError.write(Data("frontier of \(runs.count) run(s), \(chart.series.count) lines → \(out)\n".utf8))
    }
}

struct RLReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "One `demo rl` table from several runs of it (e.g. new methods run later from the same start and budget).",
        discussion: """
        Each --results is a `tokenalign demo rl` run's results.json. The runs must share the CreditBench start, held-out \
        prompts, seeds, budget and learning rates; a method in more than one must have the same numbers in each. Writes \
        results.json, report.md and report.html of the pooled runs into --out.
        """)

    @Option(parsing: .singleValue, help: "A results.json (repeatable).") var results: [String]
    @Option(help: "Output folder.") var out: String

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give at least one --results") }
    }

    func run() throws {
        let runs = try results.map { try RLDemoResult.load(from: URL(fileURLWithPath: $0)) }
        let combined = try RLDemo.combine(runs)
        try RLDemo.write(combined, to: URL(fileURLWithPath: out))
        print(RLDemo.report(combined))
    }
}

struct OveroptimisationReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overoptimisation",
        abstract: "Pool several seeds of `eval overoptimisation`: per proxy, means over seeds with t-intervals and paired differences.",
        discussion: """
        Each --results is an `eval overoptimisation` folder (or its overoptimisation.json). The runs must share the gold \
        reward, the proxies (in the same order), the pool size and the RL budget, and differ in the seed. Writes \
        summary.json, report.md, report.html and the figure into --out.
        """,
        aliases: ["overoptimization"])

    @Option(parsing: .singleValue, help: "A result folder or overoptimisation.json (repeatable).") var results: [String]
    @Option(help: "RL: average the last N steps for the final gold gain and KL.") var window: Int = 10
    @Option(help: "Output folder.") var out: String

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give at least one --results") }
    }

    func run() throws {
        let runs = try results.map { path -> OveroptimisationResult in
            var url = URL(fileURLWithPath: path)
            if url.pathExtension != "json" { url.appendPathComponent("overoptimisation.json") }
            // readJSON's error names the file and what did not decode.
            do { return try readJSON(OveroptimisationResult.self, from: url) } catch DemoError.invalidSetting(let why) {
                throw ValidationError("not an `eval overoptimisation` result: \(why)")
            }
        }
        let summary = try OveroptimisationSeedSummary.summarise(runs, window: window)
        try EvalOveroptimisationCommand.write(summary, as: "summary.json", report: summary.report(), to: out)
    }
}

struct CreditReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "The whole CreditBench in one view: every task under every regime, pooled from finished `tokenalign demo` runs.",
        discussion: """
        Each --results is a run folder of `tokenalign demo` or a suite folder of `tokenalign demo --tasks … --seeds …` \
        (its <task>-seed<k> runs are read; unfinished ones are listed and skipped). Runs are grouped by task and regime \
        (the regime's share and localisation set are part of it); runs of one group must differ in the seed only. Writes \
        results.json, report.md and report.html into --out: which sources beat the SFT model's own confidence per task and \
        regime (paired on the same responses), every source's AUROC per regime and task, and the policies' greedy accuracy.
        """)

    @Option(parsing: .singleValue, help: "A run or suite folder (repeatable).") var results: [String]
    @Option(help: "Output folder.") var out: String

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give at least one --results") }
    }

    func run() throws {
        let (runs, skipped) = try CreditBenchOverview.collect(results)
        for s in skipped { FileHandle.standardError.write(Data("skipped (no finished run): \(s)\n".utf8)) }
        let overview = try CreditBenchOverview.summarise(runs)
        try CreditBenchOverview.write(overview, to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(Data("\(runs.count) runs, \(overview.cells.count) (task, regime) cells → \(out)\n".utf8))
    }
}
