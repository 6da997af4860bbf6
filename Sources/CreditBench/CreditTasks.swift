// The task catalogue: names and difficulty knobs, as the command line and the demo pick them.

/// Difficulty knobs shared by the tasks; nil keeps a task's default.
public struct TaskKnobs: Sendable, Equatable {
    /// `add`: most digits per operand.
    public var digits: Int?
    /// `add`: fewest digits per operand.
    public var minDigits: Int?
    /// `add`: write the sum least-significant digit first.
    public var reversed: Bool = false
    /// `chain`: operations.
    public var steps: Int?
    /// `chain`: largest operand.
    public var maxOperand: Int?
    /// `chain`: largest intermediate value; `sort`: largest element.
    public var maxValue: Int?
    /// `sort`: elements; `cipher`/`forbidden`: words; `count`: letters.
    public var length: Int?
    /// `cipher`: lexicon entries.
    public var vocabulary: Int?
    /// `cipher`: the lexicon's seed.
    public var lexiconSeed: UInt64?
    /// `forbidden`: characters in the forbidden substring.
    public var substringLength: Int?

    public init() {}
}

/// The CreditBench tasks by name.
public enum CreditTaskName: String, Sendable, CaseIterable {
    case add, chain, sort, cipher, forbidden, count

    /// The task with `knobs` applied (out-of-range knobs are `CreditBenchError.invalidKnob`).
    public func task(_ knobs: TaskKnobs = TaskKnobs()) throws(CreditBenchError) -> any CreditTask {
        func check(_ value: Int?, _ name: String, _ range: ClosedRange<Int>) throws(CreditBenchError) {
            if let value, !range.contains(value) { throw .invalidKnob(task: rawValue, knob: name, value: value, allowed: range) }
        }
        switch self {
        case .add:
            try check(knobs.digits, "digits", 1 ... 18)
            try check(knobs.minDigits, "min-digits", 1 ... 18)
            return AdditionTask(digits: knobs.digits ?? 3, minDigits: knobs.minDigits, reversed: knobs.reversed)
        case .chain:
            try check(knobs.steps, "steps", 1 ... 64)
            try check(knobs.maxOperand, "max-operand", 2 ... 1_000_000)
            let maxOperand = knobs.maxOperand ?? 9
            try check(knobs.maxValue, "max-value", maxOperand ... 1_000_000_000)
            return ChainTask(steps: knobs.steps ?? 3, maxOperand: maxOperand, maxValue: knobs.maxValue ?? max(999, maxOperand))
        case .sort:
            try check(knobs.length, "length", 2 ... 1000)
            try check(knobs.maxValue, "max-value", 1 ... 1_000_000_000)
            return SortTask(length: knobs.length ?? 5, maxValue: knobs.maxValue ?? 99)
        case .cipher:
            try check(knobs.length, "length", 1 ... 1000)
            try check(knobs.vocabulary, "vocabulary", 2 ... 1000)
            return CipherTask(length: knobs.length ?? 4, vocabulary: knobs.vocabulary ?? 24, lexiconSeed: knobs.lexiconSeed ?? 7)
        case .forbidden:
            try check(knobs.length, "length", 1 ... 1000)
            try check(knobs.substringLength, "substring-length", 1 ... 3)
            return ForbiddenTask(length: knobs.length ?? 4, substringLength: knobs.substringLength ?? 2)
        case .count:
            try check(knobs.length, "length", 2 ... 100)
            return CountTask(length: knobs.length ?? 8)
        }
    }
}

/// Errors from CreditBench's inputs.
public enum CreditBenchError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTask(String)
    case invalidKnob(task: String, knob: String, value: Int, allowed: ClosedRange<Int>)
    case malformedPrompt(task: String, prompt: String, reason: String)
    /// A `task_knobs` entry of a data row that is not a knob or not of the knob's type.
    case invalidKnobColumn(key: String, reason: String)

    public var description: String {
        switch self {
        case .unknownTask(let name):
            return "unknown task '\(name)' (expected one of \(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidKnob(let task, let knob, let value, let allowed):
            return "\(task): --\(knob) \(value) is outside \(allowed.lowerBound)...\(allowed.upperBound)"
        case .malformedPrompt(let task, let prompt, let reason):
            return "\(task): cannot read prompt \(String(reflecting: prompt)): \(reason)"
        case .invalidKnobColumn(let key, let reason):
            return key.isEmpty ? "task_knobs \(reason)" : "task_knobs.\(key): \(reason)"
        }
    }
}
