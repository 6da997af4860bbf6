// One example as a prompt row, with the knobs of the task that made it. A verifier of the row
// (the `creditbench` reward, the `verifier` search scorer, value targets) rebuilds the task from
// the row's `task` and `task_knobs` (`RowTasks`), so a row without its knobs would be judged by the
// task's defaults: a reversed sum ("12+34r=") is then not even a well-formed prompt.

extension CreditExample {
    /// `{"prompt", "answer", "task", "task_knobs"?}`, the columns of `data make --kind prompts`;
    /// `task_knobs` holds the knobs that differ from the task's defaults (none: no column).
    public func promptRow(knobs: TaskKnobs) -> [String: Any] {
        var row: [String: Any] = ["prompt": prompt, "answer": answer, "task": task]
        let columns = knobs.columns
        if !columns.isEmpty { row["task_knobs"] = columns }
        return row
    }
}
