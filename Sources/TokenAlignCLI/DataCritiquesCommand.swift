// `tokenalign data critiques`: CLoud's training rows (arXiv 2408.11791; docs/design/rewards.md
// §11): preference pairs with an oracle critique of each response. On CreditBench the verifier's
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

    @OptionGroup var rows: CreditBenchRowOptions

    func validate() throws { try rows.validate(what: "verifier to write critiques from") }

    func run() throws {
        guard let out = TokenLabelRows.rows(count: rows.count, tasks: try rows.tasks(), seed: rows.seed, { t, s, i in t.critiqueRow(seed: s, index: i) }) else {
            throw InputDataError("--task \(rows.task ?? "all"): no rows could be made")
        }
        try writeJSONL(out, to: rows.out)
        FileHandle.standardError.write(Data("\(out.count) critique rows written to \(rows.out)\n".utf8))
    }
}
