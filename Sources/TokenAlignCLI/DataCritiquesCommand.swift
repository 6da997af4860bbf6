// `tokenalign data critiques`: CLoud's training rows (arXiv 2408.11791; docs/design/rewards.md
// §"CLoud"): preference pairs with an oracle critique of each response. On CreditBench the verifier's
// verdict and first error stand in for the stronger model the paper distils critiques from.
import ArgumentParser
import CreditBench
import Foundation
import Support

struct DataCritiquesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "critiques",
        abstract: "Write CLoud rows: preference pairs with an oracle critique of each response.",
        discussion: """
        CLoud (arXiv 2408.11791). Each row: {"prompt", "chosen" (the correct completion), "rejected" \
        (the task's injected error), "chosen_critique", "rejected_critique", "task", \
        "rejected_error_kind"}. A critique is written from the verifier's verdict with one template: \
        "Correct." for a correct response, else 'Wrong at character K: "FOUND" should be \
        "REPLACEMENT".' (K the first error, FOUND → REPLACEMENT the verifier's minimal edit; \
        '"X" is missing.' or '"X" should be removed.' when one side is empty, 'Wrong at character K.' \
        without an edit). Train with `tokenalign reward --kind cloud --data ROWS`. Rows cycle through \
        --task (comma list, default all); --task-knobs sets the knobs of every task (e.g. '{"length": 3}').
        """)

    @Option(help: "Source of pairs and critiques: creditbench.") var from: TokenLabelSource
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Tasks, comma-separated (default all).") var task: String?
    @Option(help: "Task knobs as a JSON object, e.g. '{\"length\": 3}'.") var taskKnobs: String?
    @Option(help: "Number of rows.") var count: Int = 256
    @Option(help: "Seed: the same seed gives the same rows.") var seed: UInt64 = 0

    func validate() throws {
        guard from == .creditbench else { throw ValidationError("--from \(from.rawValue) has no verifier to write critiques from; critiques come from --from creditbench") }
        guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
        _ = try creditTasks(task, knobs: taskKnobs)
    }

    func run() throws {
        guard let rows = TokenLabelRows.rows(count: count, tasks: try creditTasks(task, knobs: taskKnobs), seed: seed, { t, s, i in t.critiqueRow(seed: s, index: i) }) else {
            throw InputDataError("--task \(task ?? "all"): no rows could be made")
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) critique rows written to \(out)\n".utf8))
    }
}
