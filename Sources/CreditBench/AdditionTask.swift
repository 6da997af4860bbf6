// `add`: n-digit addition. Prompt "123+989=", completion "1112\n".
//
// The sum is written most-significant digit first, as numbers are normally written, because
// that is how BPE tokenizers see (and merge) numbers and where a reader notices the first wrong
// digit. A carry error then shows up at the digit *left* of the column that produced the carry,
// which may come before digits that are still right: the first wrong character is still well
// defined, and it is what credit localisation must find. `reversed: true` writes the sum
// least-significant digit first instead (the prompt gets an "r" before "=": "123+989r="), the
// order in which tiny models learn addition far more easily (Lee et al. 2023, "Teaching arithmetic
// to small transformers"), for demos where the policy must learn the task from scratch.

/// n-digit addition with carry errors as the characteristic slip.
public struct AdditionTask: CreditTask {
    public var name: String { "add" }
    /// Most digits of an operand.
    public var digits: Int
    /// Fewest digits of an operand (each operand's length is uniform in `minDigits ... digits`).
    public var minDigits: Int
    /// Write the sum least-significant digit first.
    public var reversed: Bool

    public init(digits: Int = 3, minDigits: Int? = nil, reversed: Bool = false) {
        precondition(digits >= 1 && digits <= 18, "AdditionTask: digits must be in 1...18, got \(digits)")
        self.digits = digits
        self.minDigits = max(1, min(minDigits ?? digits, digits))
        self.reversed = reversed
    }

    func operand(using rng: inout CreditRNG) -> Int {
        let n = rng.int(in: minDigits ... digits)
        if n == 1 { return rng.int(in: 0 ... 9) }
        var p = 1
        for _ in 1 ..< n { p *= 10 }
        return rng.int(in: p ... p * 10 - 1)
    }

    func written(_ digitsLSDFirst: [Int]) -> String {
        let d = reversed ? digitsLSDFirst : digitsLSDFirst.reversed()
        return d.map(String.init).joined()
    }

    /// Digits of `x`, least significant first.
    static func digitsLSD(_ x: Int) -> [Int] {
        var out: [Int] = [], v = x
        repeat { out.append(v % 10); v /= 10 } while v > 0
        return out
    }

    public func makeExample(using rng: inout CreditRNG) -> CreditExample {
        let a = operand(using: &rng), b = operand(using: &rng)
        return CreditExample(task: name, prompt: "\(a)+\(b)\(reversed ? "r" : "")=", answer: written(Self.digitsLSD(a + b)))
    }

    public func verify(_ response: String, for example: CreditExample) -> Verdict {
        Edits.exactVerdict(response, target: example.completion)
    }

    /// The operands of a prompt made by `makeExample`.
    func operands(_ prompt: String) -> (Int, Int)? {
        guard prompt.hasSuffix(reversed ? "r=" : "=") else { return nil }
        let body = prompt.dropLast(reversed ? 2 : 1)
        let parts = body.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 18 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
        return (a, b)
    }

    public func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample {
        guard let (a, b) = operands(prompt) else {
            throw .malformedPrompt(task: name, prompt: prompt, reason: reversed ? "expected \"<digits>+<digits>r=\"" : "expected \"<digits>+<digits>=\"")
        }
        return CreditExample(task: name, prompt: prompt, answer: written(Self.digitsLSD(a + b)))
    }

    /// Slips: a dropped carry (most often, as in children's and models' arithmetic), one digit off
    /// by one, two neighbouring digits swapped, a digit left out.
    public func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError {
        ensureWrong(example, using: &rng) { rng in
            guard let (a, b) = operands(example.prompt) else { return nil }
            var sum = Self.digitsLSD(a + b)
            switch rng.weighted([0.55, 0.25, 0.1, 0.1]) {
            case 0:
                // Column-wise addition that forgets one carry.
                let da = Self.digitsLSD(a), db = Self.digitsLSD(b)
                let n = max(da.count, db.count)
                var carries: [Int] = [], carry = 0
                for i in 0 ..< n {
                    let s = (i < da.count ? da[i] : 0) + (i < db.count ? db[i] : 0) + carry
                    carry = s / 10
                    if carry > 0 { carries.append(i) }
                }
                guard !carries.isEmpty else { return nil }
                let dropped = rng.pick(carries)
                var out: [Int] = []
                carry = 0
                for i in 0 ..< n {
                    let s = (i < da.count ? da[i] : 0) + (i < db.count ? db[i] : 0) + carry
                    out.append(s % 10)
                    carry = i == dropped ? 0 : s / 10
                }
                if carry > 0 { out.append(carry) }
                return InjectedError(response: written(out) + CreditBench.terminator, kind: "carry", severity: .major)
            case 1:
                let i = rng.int(in: 0 ..< sum.count)
                sum[i] = (sum[i] + (rng.chance(0.5) ? 1 : 9)) % 10
                if sum.count > 1, sum.last == 0 { return nil }  // no leading zero: not a plausible slip
                return InjectedError(response: written(sum) + CreditBench.terminator, kind: "digit", severity: .major)
            case 2:
                guard sum.count >= 2 else { return nil }
                let i = rng.int(in: 0 ..< sum.count - 1)
                sum.swapAt(i, i + 1)
                return InjectedError(response: written(sum) + CreditBench.terminator, kind: "swap", severity: .major)
            default:
                guard sum.count >= 2 else { return nil }
                sum.remove(at: rng.int(in: 0 ..< sum.count))
                return InjectedError(response: written(sum) + CreditBench.terminator, kind: "drop", severity: .major)
            }
        }
    }
}
