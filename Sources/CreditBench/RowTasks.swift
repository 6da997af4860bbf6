// The task a data row was made by: its `task` name with its `task_knobs`, built once per
// (name, knobs). A prompt file from `tokenalign data make --kind prompts --task add --reversed`
// is verified only by a reversed addition task, so every verifier of rows (the `creditbench`
// reward, the `verifier` search scorer, value targets) resolves the row's task here rather than
// rebuilding the default task from the name.

/// Caches the tasks rows name, keyed by name and knobs.
public struct RowTasks {
    private var cache: [String: any CreditTask] = [:]

    public init() {}

    /// The task `name` with the knobs of the row's `task_knobs` column (nil: the task's defaults).
    /// - Throws: `CreditBenchError.invalidKnobColumn` for a column that is not an object of knobs,
    ///   `.invalidKnob` for a knob outside its range.
    public mutating func task(_ name: CreditTaskName, knobsColumn: Any?) throws(CreditBenchError) -> any CreditTask {
        var knobs = TaskKnobs()
        if let knobsColumn {
            guard let object = knobsColumn as? [String: Any] else {
                throw .invalidKnobColumn(key: "", reason: "must be an object of task knobs, got \(knobsColumn)")
            }
            knobs = try TaskKnobs(columns: object)
        }
        let key = "\(name.rawValue) \(knobs)"
        if let t = cache[key] { return t }
        let t = try name.task(knobs)
        cache[key] = t
        return t
    }
}
