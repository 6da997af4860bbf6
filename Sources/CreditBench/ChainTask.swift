// `chain`: multi-step arithmetic with written intermediate steps, evaluated left to right (no
// operator precedence, so that each written step is exactly one operation of the prompt).
// Prompt "chain 3*4+5-2=", completion "3*4=12;12+5=17;17-2=15\n".
//
// Every step repeats its left operand (the previous result) and the prompt's operand, so a step is
// checkable on its own ("locally valid") and against the truth. A wrong intermediate result then
// propagates: later steps can be locally valid yet globally wrong, which is exactly the situation
// where sequence-level credit blames the wrong tokens. Step-level truth (`steps(of:for:)`) marks a
// step correct only when it equals the true step (Math-Shepherd's convention: nothing after the
// first wrong step can still reach the right answer).

/// Multi-step arithmetic with step-level truth.
public struct ChainTask: CreditTask {
    public var name: String { "chain" }
    /// Number of operations.
    public var steps: Int
    /// Largest operand in the prompt (operands are 1 ... maxOperand).
    public var maxOperand: Int
    /// Intermediate values stay in 0 ... maxValue.
    public var maxValue: Int

    public init(steps: Int = 3, maxOperand: Int = 9, maxValue: Int = 999) {
        precondition(steps >= 1, "ChainTask: steps must be ≥ 1, got \(steps)")
        precondition(maxOperand >= 2 && maxValue >= maxOperand, "ChainTask: need 2 ≤ maxOperand ≤ maxValue, got \(maxOperand), \(maxValue)")
        self.steps = steps
        self.maxOperand = maxOperand
        self.maxValue = maxValue
    }

    /// One written step "left op right=result".
    public struct Step: Sendable, Equatable {
        public var left: Int
        public var op: Character
        public var right: Int
        public var result: Int

        public var text: String { "\(left)\(op)\(right)=\(result)" }

        static func apply(_ op: Character, _ a: Int, _ b: Int) -> Int {
            switch op {
            case "+": return a + b
            case "-": return a - b
            default: return a * b
            }
        }
    }

    /// Truth about one step of a response.
    public struct StepTruth: Sendable, Equatable {
        /// Scalar range of the step's text in the response (separator excluded).
        public var range: Range<Int>
        /// The step is the true step at this position.
        public var isCorrect: Bool
        /// The step parses as "a op b=c" with a op b == c (right arithmetic, possibly on wrong inputs).
        public var isLocallyValid: Bool
    }

    public func makeExample(using rng: inout CreditRNG) -> CreditExample {
        let start = rng.int(in: 1 ... maxOperand)
        var value = start
        var prompt = "chain \(start)"
        var written: [String] = []
        for _ in 0 ..< steps {
            var ops: [Character] = ["+"]
            if value >= 1 { ops.append("-") }
            if value * 2 <= maxValue { ops.append("*") }
            var op = rng.pick(ops)
            var b = rng.int(in: 1 ... maxOperand)
            switch op {
            case "+": if value + b > maxValue { op = "-"; b = min(b, value) }
            case "-": b = min(b, value)
            default: b = max(1, min(b, maxValue / max(value, 1)))
            }
            if op == "-" && b == 0 { op = "+"; b = 1 }
            let step = Step(left: value, op: op, right: b, result: Step.apply(op, value, b))
            prompt += "\(op)\(b)"
            written.append(step.text)
            value = step.result
        }
        return CreditExample(task: name, prompt: prompt + "=", answer: written.joined(separator: ";"))
    }

    public func verify(_ response: String, for example: CreditExample) -> Verdict {
        Edits.exactVerdict(response, target: example.completion)
    }

    /// Parses "a op b=c" (a and c may be negative after an injected error).
    static func parse(_ s: Substring) -> Step? {
        guard let eq = s.lastIndex(of: "="), let c = Int(s[s.index(after: eq)...]) else { return nil }
        let lhs = s[..<eq]
        // The operator is the first + - * after the first character (a leading "-" is a sign).
        guard let first = lhs.indices.first,
              let opIndex = lhs[lhs.index(after: first)...].firstIndex(where: { "+-*".contains($0) }),
              let a = Int(lhs[..<opIndex]), let b = Int(lhs[lhs.index(after: opIndex)...]) else { return nil }
        return Step(left: a, op: lhs[opIndex], right: b, result: c)
    }

    public func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample {
        func fail(_ reason: String) -> CreditBenchError { .malformedPrompt(task: name, prompt: prompt, reason: reason) }
        guard prompt.hasPrefix("chain "), prompt.hasSuffix("=") else { throw fail("expected \"chain <n>(<op><n>)+=\"") }
        let body = Array(prompt.dropFirst(6).dropLast())
        var numbers: [Int] = [], ops: [Character] = [], current = ""
        for c in body {
            if c.isASCII, c.isNumber { current.append(c); continue }
            guard "+-*".contains(c), let x = Int(current) else { throw fail("unexpected \"\(c)\"") }
            numbers.append(x); ops.append(c); current = ""
        }
        guard let last = Int(current), !ops.isEmpty else { throw fail("expected at least one operation") }
        numbers.append(last)
        var value = numbers[0], written: [String] = []
        for (op, b) in zip(ops, numbers.dropFirst()) {
            let (r, overflow) = op == "*" ? value.multipliedReportingOverflow(by: b)
                : op == "+" ? value.addingReportingOverflow(b) : value.subtractingReportingOverflow(b)
            guard !overflow else { throw fail("overflow") }
            written.append(Step(left: value, op: op, right: b, result: r).text)
            value = r
        }
        return CreditExample(task: name, prompt: prompt, answer: written.joined(separator: ";"))
    }

    /// The true steps of an example.
    public func trueSteps(_ example: CreditExample) -> [Step] {
        example.answer.split(separator: ";").compactMap(Self.parse)
    }

    /// Step-level truth for each ";"-separated step of `response` (the terminator and anything
    /// after it are not a step).
    public func steps(of response: String, for example: CreditExample) -> [StepTruth] {
        let truth = example.answer.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let scalars = Array(response.unicodeScalars)
        let bodyEnd = scalars.firstIndex(of: "\n") ?? scalars.count
        var out: [StepTruth] = []
        var start = 0
        for i in 0 ... bodyEnd where i == bodyEnd || scalars[i] == ";" {
            let text = String(scalars: scalars[start ..< i])
            let parsed = Self.parse(Substring(text))
            let valid = parsed.map { Step.apply($0.op, $0.left, $0.right) == $0.result && "+-*".contains($0.op) } ?? false
            let k = out.count
            out.append(StepTruth(range: start ..< i, isCorrect: k < truth.count && truth[k] == text && out.allSatisfy(\.isCorrect),
                                 isLocallyValid: valid))
            start = i + 1
        }
        return out
    }

    /// Slips: one intermediate result off (then carried on correctly: the error propagates), or one
    /// prompt operand miscopied (the step is locally valid but solves the wrong problem).
    public func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError {
        ensureWrong(example, using: &rng) { rng in
            let truth = trueSteps(example)
            guard !truth.isEmpty else { return nil }
            let s = rng.int(in: 0 ..< truth.count)
            var out = Array(truth[..<s])
            var step = truth[s]
            let kind: String
            if rng.chance(0.7) {
                let delta = rng.pick([1, -1, 2, -2, 10, -10])
                guard step.result + delta >= 0 else { return nil }
                step.result += delta
                kind = "step"
            } else {
                let delta = rng.pick([1, -1])
                guard step.right + delta >= 1 else { return nil }
                step.right += delta
                step.result = Step.apply(step.op, step.left, step.right)
                kind = "copy"
            }
            out.append(step)
            var value = step.result
            for t in truth[(s + 1)...] {
                let next = Step(left: value, op: t.op, right: t.right, result: Step.apply(t.op, value, t.right))
                out.append(next)
                value = next.result
            }
            return InjectedError(response: out.map(\.text).joined(separator: ";") + CreditBench.terminator, kind: kind, severity: .major)
        }
    }
}
