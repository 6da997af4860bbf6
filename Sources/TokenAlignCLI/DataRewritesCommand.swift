// `tokenalign data rewrites`: SFT rows for RLMEC's generative reward model (arXiv 2401.06081;
// docs/design/rewards.md §10): the rewrite prompt (problem, reference solution, erroneous
// prediction) as "prompt", its minimal correction as "completion". On CreditBench the verifier's
// minimal edit stands in for the teacher LLM the paper distils the rewrites from.
import ArgumentParser
import CreditBench
import Foundation
import OnlineRL
import Support

struct DataRewritesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrites",
        abstract: "Write RLMEC rewriting rows: prompt + erroneous prediction → its minimal correction.",
        discussion: """
        RLMEC (arXiv 2401.06081). Each row: {"prompt" (the rewrite prompt: problem, reference \
        solution, prediction), "completion" (the minimally corrected prediction), "problem", \
        "solution", "prediction", "task", "error_kind"}. The prediction is the task's injected error, \
        the correction the verifier's minimal edit of it (standing in for the paper's teacher LLM). \
        Train the rewriter with `tokenalign sft --data ROWS`, then use it as `--reward rlmec:DIR` \
        (prompt rows need an "answer" column, which `tokenalign data make --kind prompts` writes). --template FILE \
        replaces the rewrite prompt (it must hold {problem}, {solution} and {prediction} once each); \
        give the reward the same file: `rlmec:DIR,FILE`. Rows cycle \
        through --task (comma list, default all); --task-knobs sets the knobs of every task, as the \
        prompt rows' "task_knobs" column does (e.g. '{"digits": 1}').
        """)

    @OptionGroup var rows: CreditBenchRowOptions
    @Option(help: "Rewrite-prompt template file with {problem}, {solution} and {prediction} (default: RLMEC's three fields); give the reward the same file.") var template: String?

    /// The rewrite-prompt template.
    func rewriteTemplate() throws -> String {
        guard let template else { return RLMECRewriting.template }
        do { return try RLMECRewriting.template(file: template, role: "--template") } catch { throw ValidationError("\(error)") }
    }

    func validate() throws {
        try rows.validate(what: "minimal corrections (rewrites)")
        _ = try rewriteTemplate()
    }

    func run() throws {
        let template = try rewriteTemplate()
        guard let out = TokenLabelRows.rows(count: rows.count, tasks: try rows.tasks(), seed: rows.seed, { RLMECRewriting.creditBenchRow($0, seed: $1, index: $2, template: template) }) else {
            throw InputDataError("--task \(rows.task ?? "all"): the verifier proposes too few edits to make \(rows.count) rows")
        }
        try writeJSONL(out, to: rows.out)
        FileHandle.standardError.write(Data("\(out.count) rewriting rows written to \(rows.out)\n".utf8))
    }
}
