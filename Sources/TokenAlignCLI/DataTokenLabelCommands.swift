// `tokenalign data tldr` and `tokenalign data edit-labels`: token-labelled preference rows for the
// `tldr` and `minimal-edit` reward-model kinds (docs/design/rewards.md §7). Both write the columns
// the `token` kind already reads, so the rows train it too.
import ArgumentParser
import CreditBench
import Datasets
import Foundation
import Rewards
import Support

/// Where good responses come from.
enum TokenLabelSource: String, ExpressibleByArgument, CaseIterable {
    case creditbench, sentiment
}

/// The CreditBench tasks of a comma list (default: every task), default knobs.
func creditTasks(_ list: String?) throws -> [any CreditTask] {
    let names = list.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? CreditTaskName.allCases.map(\.rawValue)
    return try names.map { n in
        guard let name = CreditTaskName(rawValue: n) else { throw ValidationError(CreditBenchError.unknownTask(n).description) }
        do { return try name.task() } catch { throw ValidationError("\(error)") }
    }
}

/// The CreditBench tasks of a comma list with the knobs of a JSON object (`--task-knobs`, e.g.
/// '{"digits": 1}'; nil: default knobs), as the prompt rows' "task_knobs" column sets them.
func creditTasks(_ list: String?, knobs json: String?) throws -> [any CreditTask] {
    var knobs = TaskKnobs()
    if let json {
        guard let object = (try? JSONValue.parse(json, file: "--task-knobs"))?.foundationObject as? [String: Any] else {
            throw ValidationError("--task-knobs must be a JSON object such as '{\"digits\": 1}', got '\(json)'")
        }
        do { knobs = try TaskKnobs(columns: object) } catch { throw ValidationError("--task-knobs: \(error)") }
    }
    return try creditTasks(list).map { t in
        guard let name = CreditTaskName(rawValue: t.name) else { return t }
        do { return try name.task(knobs) } catch { throw ValidationError("--task-knobs: \(error)") }
    }
}

/// The options of the commands that write rows made by the CreditBench library from its verifier
/// (`data rewrites`, `data critiques`): the source, the output, the tasks and their knobs, how many
/// rows and the seed.
struct CreditBenchRowOptions: ParsableArguments {
    @Option(help: "Source of the rows: creditbench.") var from: TokenLabelSource
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Tasks, comma-separated (default all).") var task: String?
    @Option(help: "Task knobs as a JSON object, e.g. '{\"digits\": 1}'.") var taskKnobs: String?
    @Option(help: "Number of rows.") var count: Int = 256
    @Option(help: "Seed: the same seed gives the same rows.") var seed: UInt64 = 0

    /// The tasks with the knobs of --task-knobs.
    func tasks() throws -> [any CreditTask] { try creditTasks(task, knobs: taskKnobs) }

    /// --from creditbench, --count ≥ 1, known tasks and knobs; `what` says what the rows need.
    func validate(what: String) throws {
        guard from == .creditbench else { throw ValidationError("--from \(from.rawValue) has no \(what); they come from --from creditbench") }
        guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
        _ = try tasks()
    }
}

struct DataTLDRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tldr",
        abstract: "Write TLDR hard-negative pairs: a good response and a one-aspect perturbation of it, only the changed tokens labelled bad.",
        discussion: """
        TLDR (arXiv 2410.04734), text-only. Rows: {"prompt", "chosen" (the good response), "rejected" \
        (the perturbation), "rejected_error_spans": [{"start", "end", "severity"}] (the changed \
        characters, Unicode scalars), "rejected_error_kind"}; train with `tokenalign reward --kind tldr` \
        (or `--kind token`).
          --from creditbench  the tasks' correct completions, perturbed by each task's own error \
        injector (carry digit, chain step, swapped pair, cipher word, leaked letter, …); --task picks \
        tasks (comma list, default all, rows cycle through them).
          --from sentiment    the completions (or "chosen") of --data rows {"prompt", "completion"}; \
        one VADER-rated word is swapped for a word of opposite valence (--lexicon). Rows with no \
        rated word are skipped.
        """)

    @Option(help: "Good responses: creditbench|sentiment.") var from: TokenLabelSource
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Seed: the same seed gives the same rows.") var seed: UInt64 = 0
    @Option(help: "Number of rows (creditbench; sentiment: at most this many, default every usable row).") var count: Int?
    @Option(help: "creditbench: tasks, comma-separated (default all).") var task: String?
    @Option(help: "sentiment: JSONL rows with \"prompt\" and \"completion\" (or \"chosen\").") var data: String?
    @Option(help: "sentiment: vader_lexicon.txt.") var lexicon = ".assets/vader/vader_lexicon.txt"

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be ≥ 1") }
        switch from {
        case .creditbench:
            if data != nil { throw ValidationError("--data is for --from sentiment; --from creditbench makes its own responses") }
            _ = try creditTasks(task)
        case .sentiment:
            if data == nil { throw ValidationError("--from sentiment needs --data (rows with \"prompt\" and \"completion\")") }
            if task != nil { throw ValidationError("--task is for --from creditbench") }
        }
    }

    func run() throws {
        let rows: [[String: Any]]
        switch from {
        case .creditbench:
            let n = count ?? 256
            guard let r = TokenLabelRows.rows(count: n, tasks: try creditTasks(task), seed: seed, { $0.tldrRow(seed: $1, index: $2) }) else {
                throw InputDataError("--task \(task ?? "all"): too few perturbations change a character to make \(n) rows")
            }
            rows = r
        case .sentiment:
            let swapper = ValenceSwapper(lexicon: try SentimentLexicon(contentsOf: URL(fileURLWithPath: lexicon)))
            var made: [[String: Any]] = []
            for r in try JSONLReader.read(data ?? "") {
                if let count, made.count >= count { break }
                guard let prompt = r.object["prompt"] else { throw DatasetError.missingField(r.location, field: "prompt") }
                guard let p = prompt as? String else { throw DatasetError.wrongType(r.location, field: "prompt", expected: "a string") }
                let key = r.object["completion"] != nil ? "completion" : "chosen"
                guard let response = r.object[key] else { throw DatasetError.missingField(r.location, field: "completion") }
                guard let text = response as? String else { throw DatasetError.wrongType(r.location, field: key, expected: "a string") }
                let rowSeed = seed ^ (UInt64(r.location.line) &* 0x9E37_79B9_7F4A_7C15)
                if let row = swapper.tldrRow(prompt: p, response: text, seed: rowSeed) { made.append(row) }
            }
            guard !made.isEmpty else { throw InputDataError("\(data ?? ""): no response has a word the lexicon rates (|valence| ≥ 1) to swap") }
            rows = made
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) TLDR pairs written to \(out)\n".utf8))
    }
}

struct DataEditLabelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit-labels",
        abstract: "Label tokens from minimal edits: a Levenshtein alignment of each rejected response with its edit.",
        discussion: """
        Minimal-edit token labels (arXiv 2406.02756). Each rejected response and its minimally edited \
        version (column --edited) are tokenised with --model's tokenizer as training tokenises the pair \
        and aligned with a minimum-edit backtrace over token ids (ties: match, then substitute, then \
        delete, then insert, earliest first). Tokens of the rejected response that the edit deletes or \
        replaces get −1, tokens the edit inserts or writes as replacements +1, unchanged tokens 0. Rows: \
        {"prompt", "chosen" (the edit), "rejected", "chosen_token_rewards", "rejected_token_rewards", \
        "chosen_token_ids", "rejected_token_ids", "edit_distance_tokens"}; training with another \
        tokenizer refuses them. Train with `tokenalign reward --kind minimal-edit` (or `--kind token`).
        --from creditbench makes the pairs itself (rejected = an injected error, edit = the verifier's \
        minimal correction); --task, --count and --seed pick them.
        """)

    @Option(help: "Pairs JSONL with \"prompt\", \"rejected\" and the --edited column.") var data: String?
    @Option(help: "The column holding each rejected response's minimal edit.") var edited: String?
    @Option(help: "Make the pairs from CreditBench instead of --data.") var from: TokenLabelSource?
    @Option(help: "Model folder (or tokenizer.json / .gguf) whose tokenizer the labels are for.") var model: String
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "creditbench: tasks, comma-separated (default all).") var task: String?
    @Option(help: "creditbench: number of rows.") var count: Int = 256
    @Option(help: "creditbench: seed.") var seed: UInt64 = 0

    func validate() throws {
        switch from {
        case nil:
            guard data != nil, edited != nil else { throw ValidationError("give --data PAIRS.jsonl and --edited COLUMN, or --from creditbench") }
        case .creditbench:
            guard data == nil, edited == nil else { throw ValidationError("--from creditbench makes its own pairs; drop --data / --edited") }
            guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
            _ = try creditTasks(task)
        case .sentiment:
            throw ValidationError("--from sentiment has no minimal edits; give --data and --edited")
        }
    }

    func run() throws {
        let tokenizer = try loadTokenizer(model)
        let rows: [[String: Any]]
        if from == .creditbench {
            guard let pairs = TokenLabelRows.rows(count: count, tasks: try creditTasks(task), seed: seed, { $0.minimalEditRow(seed: $1, index: $2) }) else {
                throw InputDataError("--task \(task ?? "all"): the verifier proposes too few edits to make \(count) rows")
            }
            rows = try MinimalEditLabels.labelled(pairs.enumerated().map { (RowLocation(file: "creditbench", line: $0.offset + 1), $0.element) },
                                                  editedColumn: TokenLabelRows.editedColumn, tokenizer: tokenizer)
        } else {
            rows = try MinimalEditLabels.rows(path: data ?? "", editedColumn: edited ?? "", tokenizer: tokenizer)
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) edit-labelled pairs written to \(out)\n".utf8))
    }
}
