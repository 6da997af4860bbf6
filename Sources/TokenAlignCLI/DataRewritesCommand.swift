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

    @Option(help: "Source of predictions and corrections: creditbench.") var from: TokenLabelSource
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Tasks, comma-separated (default all).") var task: String?
    @Option(help: "Task knobs as a JSON object, e.g. '{\"digits\": 1}'.") var taskKnobs: String?
    @Option(help: "Number of rows.") var count: Int = 256
    @Option(help: "Seed: the same seed gives the same rows.") var seed: UInt64 = 0
    @Option(help: "Rewrite-prompt template file with {problem}, {solution} and {prediction} (default: RLMEC's three fields); give the reward the same file.") var template: String?

    /// The rewrite-prompt template.
    func rewriteTemplate() throws -> String {
        guard let template else { return RLMECRewriting.template }
        do { return try RLMECRewriting.template(file: template, role: "--template") } catch { throw ValidationError("\(error)") }
    }

    /// The tasks with the knobs of --task-knobs.
    func tasks() throws -> [any CreditTask] { try creditTasks(task, knobs: taskKnobs) }

    func validate() throws {
        guard from == .creditbench else { throw ValidationError("--from \(from.rawValue) has no minimal corrections; rewrites come from --from creditbench") }
        guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
        _ = try tasks()
        _ = try rewriteTemplate()
    }

    func run() throws {
        let template = try rewriteTemplate()
        guard let rows = TokenLabelRows.rows(count: count, tasks: try tasks(), seed: seed, { RLMECRewriting.creditBenchRow($0, seed: $1, index: $2, template: template) }) else {
            throw InputDataError("--task \(task ?? "all"): the verifier proposes too few edits to make \(count) rows")
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) rewriting rows written to \(out)\n".utf8))
    }
}
