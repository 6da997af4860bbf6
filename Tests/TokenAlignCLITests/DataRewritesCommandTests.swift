// `tokenalign data rewrites` (RLMEC's rewriting rows, docs/design/rewards.md §10): the rows are the
// library's, cycle through the tasks, take the knobs, and bad flags exit 64 with the flag named.
import ArgumentParser
import CreditBench
import Datasets
import Foundation
import OnlineRL
import Testing
@testable import TokenAlignCLI

@Suite struct DataRewritesCommandTests {
    @Test func writesTheLibrarysRowsWithTheKnobs() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rewrites-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try run(["data", "rewrites", "--from", "creditbench", "--task", "add,sort", "--task-knobs", "{\"digits\": 1}",
                 "--count", "6", "--seed", "4", "--out", out])
        let rows = try readJSONL(out).map(\.object)
        #expect(rows.count == 6)
        var knobs = TaskKnobs()
        knobs.digits = 1
        let tasks = [try CreditTaskName.add.task(knobs), try CreditTaskName.sort.task(knobs)]
        let want = try #require(TokenLabelRows.rows(count: 6, tasks: tasks, seed: 4) { RLMECRewriting.creditBenchRow($0, seed: $1, index: $2) })
        for (got, w) in zip(rows, want) {
            for key in ["prompt", "completion", "problem", "solution", "prediction", "task"] {
                #expect(got[key] as? String == w[key] as? String, "\(key)")
            }
        }
        #expect(rows.map { $0["task"] as? String } == ["add", "sort", "add", "sort", "add", "sort"])
        // One-digit operands: the problem is "a+b=" with a, b < 10.
        for r in rows where r["task"] as? String == "add" { #expect((r["problem"] as? String)?.count == 4) }
    }

    @Test func badFlagsAreUsageErrorsNamingTheFlag() throws {
        for (args, flag) in [(["--from", "sentiment"], "--from"), (["--from", "creditbench", "--count", "0"], "--count"),
                             (["--from", "creditbench", "--task-knobs", "[1]"], "--task-knobs"),
                             (["--from", "creditbench", "--task-knobs", "{\"colour\": 1}"], "--task-knobs"),
                             (["--from", "creditbench", "--task", "nope"], "nope")] {
            do {
                var cmd = try TokenAlignCommand.parseAsRoot(["data", "rewrites", "--out", "/tmp/unused.jsonl"] + args)
                try cmd.run()
                Issue.record("\(args) was accepted")
            } catch {
                #expect(ExitCodes.code(for: error) == 64, "\(args): \(error)")
                #expect(TokenAlignCommand.message(for: error).contains(flag), "\(args): \(TokenAlignCommand.message(for: error))")
            }
        }
    }
}
