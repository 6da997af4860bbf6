// Systematic bugs: wrong rules that are locally plausible and applied *consistently*, for the
// `systematic` error regime of CreditBench (docs/design/rewards.md §3.6). Random injected errors
// teach a model nothing it can predict, so the model that learned from them finds its own mistakes
// unlikely, and its confidence (log π_SFT) localises them for free. A model trained on demonstrations
// that follow one of these rules whenever a problem admits it makes the error *with high
// probability*; the verifier, which knows the right rule, still knows the first wrong character.
// That is the regime in which confidence and entropy are no longer free answers.
//
// The bugs, one per task:
//  - add: the carry out of a column whose two digits sum to exactly 10 is dropped (the column
//    writes 0 — or 1 with an incoming carry — and nothing is carried).
//  - chain: the same dropped carry inside `+` steps; the later steps then compute correctly from
//    the wrong intermediate value, so the first wrong step is consistent with everything after it.
//  - sort: the numbers are ordered as strings (lexicographically: 12 before 5), the classic bug
//    of sorting numerals as text.
//  - cipher: a fixed sixth of the lexicon (entries 0, 6, 12, …) is translated with its first letter
//    shifted to the next letter of the alphabet: a consistent misspelling of those words.
//  - count: `y` is counted as a vowel: one vowel of the canonical answer is written as `y`, so the
//    answer has a vowel too few.
//  - forbidden: only occurrences that start a word are masked; one inside a word is copied verbatim,
//    as a matcher anchored at word boundaries would do. That copy is a leak, so the error is major.
//    (Masking only the first occurrence was tried first: about 5% of problems admit it, too few for
//    the SFT model to learn it — it made the planted answer on 0 of 16 samples.)

/// A task with a systematic bug.
public protocol SystematicBugTask: CreditTask {
    /// The wrong rule, in words (for reports).
    var bugDescription: String { get }
    /// The completion (terminator included) the wrong rule writes for `example`, or nil when the
    /// example does not admit the bug (the rule gives the right answer there). The verifier always
    /// rejects a non-nil result.
    func systematicError(for example: CreditExample) -> InjectedError?
    /// Whether `response` is what the wrong rule writes for `example`. For tasks with one answer per
    /// prompt this is equality with `systematicError(for:)`; a task with many right answers
    /// (`count`) recognises the rule itself, since the model need not pick the planted letters.
    func followsBug(_ response: String, for example: CreditExample) -> Bool
}

extension SystematicBugTask {
    public func followsBug(_ response: String, for example: CreditExample) -> Bool {
        systematicError(for: example)?.response == response
    }
}

extension AdditionTask {
    /// Column-wise addition, least significant digit first, that drops the carry out of every
    /// column whose two digits sum to exactly 10. Returns nil when no column does.
    static func sumDroppingTens(_ a: Int, _ b: Int) -> [Int]? {
        let da = digitsLSD(a), db = digitsLSD(b)
        var out: [Int] = [], carry = 0, triggered = false
        for i in 0 ..< max(da.count, db.count) {
            let pair = (i < da.count ? da[i] : 0) + (i < db.count ? db[i] : 0)
            let s = pair + carry
            out.append(s % 10)
            if pair == 10 {
                triggered = true
                carry = 0
            } else {
                carry = s / 10
            }
        }
        if carry > 0 { out.append(carry) }
        // A dropped carry out of the top column leaves a leading zero, which nobody writes.
        while out.count > 1, out.last == 0 { out.removeLast() }
        return triggered ? out : nil
    }

    /// The value `sumDroppingTens` writes.
    static func valueDroppingTens(_ a: Int, _ b: Int) -> Int? {
        sumDroppingTens(a, b).map { $0.reversed().reduce(0) { $0 * 10 + $1 } }
    }
}

extension AdditionTask: SystematicBugTask {
    public var bugDescription: String { "the carry of a column whose digits sum to exactly 10 is dropped" }

    public func systematicError(for example: CreditExample) -> InjectedError? {
        guard let (a, b) = operands(example.prompt), let digits = Self.sumDroppingTens(a, b) else { return nil }
        let response = written(digits) + CreditBench.terminator
        return response == example.completion ? nil : InjectedError(response: response, kind: "systematic-carry", severity: .major)
    }
}

extension ChainTask: SystematicBugTask {
    public var bugDescription: String { "in + steps, the carry of a column whose digits sum to exactly 10 is dropped" }

    public func systematicError(for example: CreditExample) -> InjectedError? {
        let truth = trueSteps(example)
        guard let first = truth.first else { return nil }
        var value = first.left, written: [String] = [], triggered = false
        for s in truth {
            var result = Step.apply(s.op, value, s.right)
            if s.op == "+", value >= 0, let buggy = AdditionTask.valueDroppingTens(value, s.right) {
                result = buggy
                triggered = true
            }
            written.append(Step(left: value, op: s.op, right: s.right, result: result).text)
            value = result
        }
        let response = written.joined(separator: ";") + CreditBench.terminator
        guard triggered, response != example.completion else { return nil }
        return InjectedError(response: response, kind: "systematic-carry", severity: .major)
    }
}

extension SortTask: SystematicBugTask {
    public var bugDescription: String { "numbers are sorted as strings (12 before 5)" }

    public func systematicError(for example: CreditExample) -> InjectedError? {
        let xs = example.answer.split(separator: ",").map(String.init)
        let response = xs.sorted().joined(separator: ",") + CreditBench.terminator
        return response == example.completion ? nil : InjectedError(response: response, kind: "systematic-lexicographic", severity: .major)
    }
}

extension CipherTask: SystematicBugTask {
    public var bugDescription: String { "lexicon entries 0, 6, 12, … are written with their first letter shifted by one" }

    /// The consistent misspelling of the target word of entry `index`, or nil for the entries the
    /// bug leaves alone. The shifted word is never another lexicon word (the shift goes on until it
    /// is not).
    func misspelt(_ index: Int) -> String? {
        guard index % 6 == 0 else { return nil }
        var scalars = Array(targetWords[index].unicodeScalars)
        guard let c = scalars.first, c >= "a", c <= "z" else { return nil }
        var v = c.value
        for _ in 0 ..< 25 {
            v = v == 122 ? 97 : v + 1
            scalars[0] = Unicode.Scalar(v)!
            let w = String(scalars: scalars[...])
            if !targets.contains(w) { return w }
        }
        return nil
    }

    public func systematicError(for example: CreditExample) -> InjectedError? {
        guard example.prompt.hasPrefix("cipher "), example.prompt.hasSuffix("=") else { return nil }
        let source = example.prompt.dropFirst(7).dropLast().split(separator: " ").map(String.init)
        let index = Dictionary(uniqueKeysWithValues: sourceWords.enumerated().map { ($1, $0) })
        var out: [String] = [], triggered = false
        for w in source {
            guard let i = index[w] else { return nil }
            if let m = misspelt(i) {
                out.append(m)
                triggered = true
            } else {
                out.append(targetWords[i])
            }
        }
        guard triggered else { return nil }
        return InjectedError(response: out.joined(separator: " ") + CreditBench.terminator, kind: "systematic-misspelling", severity: .minor)
    }
}

extension CountTask: SystematicBugTask {
    public var bugDescription: String { "y is counted as a vowel (one vowel is written as y)" }

    public func systematicError(for example: CreditExample) -> InjectedError? {
        var scalars = Array(example.answer.unicodeScalars)
        // The last vowel becomes `y`: a writer who counts y as a vowel stops one real vowel short.
        guard let i = scalars.lastIndex(where: { Self.vowels.contains($0) }) else { return nil }
        scalars[i] = "y"
        return InjectedError(response: String(scalars: scalars[...]) + CreditBench.terminator, kind: "systematic-y-vowel", severity: .major)
    }

    /// `n` lowercase letters and the terminator, at least one `y`, and exactly k vowels when each
    /// `y` counts as one: k − (number of y) real vowels.
    public func followsBug(_ response: String, for example: CreditExample) -> Bool {
        guard case .letterCount(let n, let k) = example.constraint else { return false }
        let r = Array(response.unicodeScalars)
        guard r.count == n + 1, r[n] == "\n", r[0 ..< n].allSatisfy(Self.isLetter) else { return false }
        let ys = r[0 ..< n].filter { $0 == "y" }.count
        let real = r[0 ..< n].filter { Self.vowels.contains($0) }.count
        return ys > 0 && real + ys == k
    }
}

extension ForbiddenTask: SystematicBugTask {
    public var bugDescription: String { "only occurrences of the forbidden substring that start a word are masked" }

    /// The sentence masked at the occurrences that start a word, or nil when every occurrence does
    /// (the rule then gives the right answer).
    public func systematicError(for example: CreditExample) -> InjectedError? {
        guard case .forbidden(let substring) = example.constraint, let source = Self.sentence(of: example.prompt) else { return nil }
        var text = Array(source.unicodeScalars)
        let n = substring.unicodeScalars.count
        let starts = Self.maskedStarts(text, Array(substring.unicodeScalars))
        let wordStarts = starts.filter { $0 == 0 || text[$0 - 1] == " " }
        guard wordStarts.count < starts.count else { return nil }
        for s in wordStarts { for k in s ..< s + n { text[k] = "*" } }
        return InjectedError(response: String(scalars: text[...]) + CreditBench.terminator, kind: "systematic-word-start", severity: .major)
    }
}
