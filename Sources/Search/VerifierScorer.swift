// The CreditBench verifier as a scorer: 1 for a correct answer, 0 otherwise (an outcome verifier),
// and, for partial answers, 1 while the prefix can still become the correct answer, 0 once it
// cannot: the verifier's first error (`Verdict.firstError`, the point of no return) lies inside the
// prefix. On `chain` this is the step truth of `ChainTask.steps(of:for:)` read at a step boundary
// (every written step equals the true one, Math-Shepherd's convention), so it is the oracle process
// reward model that step-level search is measured with. It runs no model: no forward tokens.
import CreditBench
import OnlineRL

public final class VerifierScorer: SequenceScorer {
    /// The task every prompt belongs to, or nil to read each row's "task" column.
    public let fixedTask: CreditTaskName?
    private var tasks = RowTasks()
    public var name: String { "verifier" }

    public init(task: CreditTaskName?) {
        fixedTask = task
    }

    /// The example a prompt row poses.
    public func example(_ prompt: RLPrompt) throws -> (task: any CreditTask, example: CreditExample) {
        let kind: CreditTaskName
        if let fixedTask { kind = fixedTask } else {
            guard let name = prompt.columns["task"] as? String, let k = CreditTaskName(rawValue: name) else {
                throw SearchError.badRow("\(prompt.location): the verifier scorer needs a \"task\" column naming a CreditBench task "
                    + "(\(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))), or use --scorer verifier:TASK")
            }
            kind = k
        }
        // The row's `task_knobs` pick the task that made the prompt (a reversed addition, a longer chain).
        let task: any CreditTask
        do { task = try tasks.task(kind, knobsColumn: prompt.columns["task_knobs"]) } catch {
            throw SearchError.badRow("\(prompt.location): verifier:\(kind.rawValue): \(error)")
        }
        guard let text = prompt.columns["prompt"] as? String else {
            throw SearchError.badRow("\(prompt.location): the verifier scorer needs a plain-string \"prompt\"")
        }
        do { return (task, try task.example(fromPrompt: text)) } catch {
            throw SearchError.badRow("\(prompt.location): \(error)")
        }
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        let (task, example) = try self.example(prompt)
        return answers.map { task.verify($0.text, for: example).isCorrect ? 1 : 0 }
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        let (task, example) = try self.example(prompt)
        return prefixes.map { Self.prefixIsAlive($0.text, task: task, example: example) ? 1 : 0 }
    }

    /// True when `prefix` is correct or can still be completed into a correct answer.
    public static func prefixIsAlive(_ prefix: String, task: any CreditTask, example: CreditExample) -> Bool {
        let v = task.verify(prefix, for: example)
        if v.isCorrect { return true }
        guard let first = v.firstError else { return false }
        return first >= prefix.unicodeScalars.count
    }
}
