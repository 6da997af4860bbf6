// Task knobs as a data-row column, so a prompt file carries the task that verifies it.
//
// `tokenalign data make --kind prompts --task add --reversed` writes prompts that only a reversed
// addition task verifies; without the knobs on the row, a reward reading only the `task` name
// would rebuild the default task and judge every reversed sum wrong. The knobs travel as one JSON
// object, `task_knobs`, with the command-line spellings in snake case.
import Foundation

extension TaskKnobs {
    /// The column's keys, in the order they are written.
    public static let columnKeys = ["digits", "min_digits", "reversed", "steps", "max_operand", "max_value", "length",
                                    "vocabulary", "lexicon_seed", "substring_length"]

    /// The knobs that differ from "use the task's default", as a JSON-ready object (empty when
    /// every knob is the default).
    public var columns: [String: Any] {
        var c: [String: Any] = [:]
        func put(_ key: String, _ v: Int?) { if let v { c[key] = v } }
        put("digits", digits); put("min_digits", minDigits); put("steps", steps); put("max_operand", maxOperand)
        put("max_value", maxValue); put("length", length); put("vocabulary", vocabulary); put("substring_length", substringLength)
        if let lexiconSeed { c["lexicon_seed"] = lexiconSeed }
        if reversed { c["reversed"] = true }
        return c
    }

    /// Reads a `task_knobs` object; unknown keys and values of the wrong type are errors naming the key.
    public init(columns: [String: Any]) throws(CreditBenchError) {
        self.init()
        for key in columns.keys.sorted() where !Self.columnKeys.contains(key) {
            throw .invalidKnobColumn(key: key, reason: "not a task knob (expected one of \(Self.columnKeys.joined(separator: ", ")))")
        }
        func integer(_ key: String) throws(CreditBenchError) -> Int? {
            guard let v = columns[key] else { return nil }
            if let n = v as? NSNumber {
                if !Self.isBoolean(n), let i = Int(exactly: n.doubleValue) { return i }
            } else if let i = v as? Int {
                return i
            }
            throw .invalidKnobColumn(key: key, reason: "expected an integer, got \(v)")
        }
        digits = try integer("digits"); minDigits = try integer("min_digits"); steps = try integer("steps")
        maxOperand = try integer("max_operand"); maxValue = try integer("max_value"); length = try integer("length")
        vocabulary = try integer("vocabulary"); substringLength = try integer("substring_length")
        if let seed = try integer("lexicon_seed") {
            guard seed >= 0 else { throw .invalidKnobColumn(key: "lexicon_seed", reason: "expected a non-negative integer, got \(seed)") }
            lexiconSeed = UInt64(seed)
        }
        if let v = columns["reversed"] {
            if let n = v as? NSNumber, Self.isBoolean(n) {
                reversed = n.boolValue
            } else if !(v is NSNumber), let b = v as? Bool {
                reversed = b
            } else {
                throw .invalidKnobColumn(key: "reversed", reason: "expected true or false, got \(v)")
            }
        }
    }

    /// Foundation's JSON numbers are NSNumbers; true and false are the ones of objCType "c" or "B".
    static func isBoolean(_ n: NSNumber) -> Bool {
        let t = String(cString: n.objCType)
        return t == "c" || t == "B"
    }
}
