// `tokenalign data rm-bench`: reward-model benchmarks with known truth in the RewardBench layout
// (Experiments/RMBenchBuilder.swift), for `tokenalign eval rm`.
import ArgumentParser
import CreditBench
import Datasets
import Experiments
import Foundation
import Support

struct DataRMBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm-bench",
        abstract: "Write a reward-model benchmark with known truth (RewardBench JSONL layout) from CreditBench or sentiment samples.",
        discussion: """
        --from creditbench: per task (--tasks, default all), --n prompts; chosen = the verified answer, rejected = the \
        task's injected error (the verifier rejects it); subset creditbench-<task>; --rejected K > 1 writes K distinct \
        wrong answers per prompt (RewardBench 2's best-of-(K+1) layout: score with --scoring rb2). \
        --from sentiment --samples FILE: rows {"prompt", "completion"} grouped by prompt (as `tokenalign generate --prompts` \
        writes them); chosen/rejected = the highest/lowest VADER − profanity continuation, when they differ by at least \
        --minimum-margin; subset sentiment.
        """)

    enum Source: String, ExpressibleByArgument, CaseIterable { case creditbench, sentiment }

    @Option(help: "creditbench or sentiment.") var from: Source
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "creditbench: prompts per task.") var n: Int = 100
    @Option(help: "creditbench: comma-separated tasks (default: all).") var tasks: String?
    @Option(help: "creditbench: wrong answers per prompt.") var rejected: Int = 1
    @Option(help: "Seed: the same seed gives the same rows.") var seed: UInt64 = 0
    @Option(help: "sentiment: sampled continuations (JSONL with prompt, completion).") var samples: String?
    @Option(help: "sentiment: smallest score gap for a pair.") var minimumMargin: Double = 0.2
    @OptionGroup var settings: SentimentSettingsOptions

    func validate() throws {
        guard n >= 1 else { throw ValidationError("--n must be ≥ 1") }
        guard rejected >= 1 else { throw ValidationError("--rejected must be ≥ 1") }
        guard minimumMargin.isFinite, minimumMargin >= 0 else { throw ValidationError("--minimum-margin must be ≥ 0") }
        if from == .sentiment, samples == nil { throw ValidationError("--from sentiment needs --samples FILE (continuations to rank)") }
        if let tasks {
            for t in CommaList.strings(tasks) where CreditTaskName(rawValue: t) == nil {
                throw ValidationError("--tasks: unknown task '\(t)'; expected \(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        let rows: [[String: Any]]
        switch from {
        case .creditbench:
            let names = tasks.map { CommaList.strings($0).compactMap { CreditTaskName(rawValue: $0) } } ?? CreditTaskName.allCases
            rows = try RMBenchBuilder.creditBench(tasks: names, n: n, seed: seed, rejectedPerPrompt: rejected)
        case .sentiment:
            let scorer = try SentimentSteps.scorer(try settings.settings())
            var prompts: [String] = [], groups: [[String]] = [], index: [String: Int] = [:]
            for row in try JSONLReader.read(samples!) {
                guard let p = row.object["prompt"] as? String else { throw DatasetError.missingField(row.location, field: "prompt") }
                guard let c = row.object["completion"] as? String else { throw DatasetError.missingField(row.location, field: "completion") }
                if let i = index[p] { groups[i].append(c) } else { index[p] = prompts.count; prompts.append(p); groups.append([c]) }
            }
            rows = RMBenchBuilder.ranked(prompts: prompts, continuations: groups, score: { scorer.sequenceScore($0) }, minimumMargin: minimumMargin)
            guard !rows.isEmpty else { throw InputDataError("\(samples!): no prompt has continuations whose scores differ by ≥ \(minimumMargin)") }
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) rows written to \(out)\n".utf8))
    }
}
