// `count`: constraint following — write exactly `letters` lowercase letters of which exactly
// `vowels` are vowels (a, e, i, o, u). Prompt "count 8 letters 3 vowels=", completion e.g.
// "bakotrim\n" (the canonical answer is one seeded choice among many correct ones).
//
// With many correct answers the first error is the point of no return: the first character after
// which no correct response exists — a (vowels + 1)-th vowel, a consonant when every remaining slot
// must be a vowel, a non-letter, a terminator too early, or a letter too many. An extra vowel early
// on is therefore *not* yet an error if a later consonant could compensate; the error is where the
// count becomes impossible. The minimal edit changes letters at and after that point.

/// "Exactly k vowels in n letters".
public struct CountTask: CreditTask {
    public var name: String { "count" }
    /// Letters in the answer.
    public var length: Int

    public init(length: Int = 8) {
        precondition(length >= 2 && length <= 100, "CountTask: length must be in 2...100, got \(length)")
        self.length = length
    }

    /// Held-out `count` problems share prompts with training: there are only `length − 1` prompts.
    public var holdsOutByPrompt: Bool { false }

    static let vowels = Set("aeiou".unicodeScalars)
    static let consonants = Array("bcdfghjklmnpqrstvwxyz".unicodeScalars)

    static func isLetter(_ c: Unicode.Scalar) -> Bool { c >= "a" && c <= "z" }

    public func makeExample(using rng: inout CreditRNG) -> CreditExample {
        let k = rng.int(in: 1 ... length - 1)
        var isVowel = Array(repeating: true, count: k) + Array(repeating: false, count: length - k)
        rng.shuffle(&isVowel)
        let v = Array(Self.vowels).sorted { $0.value < $1.value }
        let answer = String(scalars: isVowel.map { $0 ? rng.pick(v) : rng.pick(Self.consonants) })
        return CreditExample(task: name, prompt: "count \(length) letters \(k) vowels=", answer: answer,
                             constraint: .letterCount(letters: length, vowels: k))
    }

    public func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample {
        let words = prompt.split(separator: " ")
        guard words.count == 5, words[0] == "count", words[2] == "letters", words[4] == "vowels=",
              let n = Int(words[1]), let k = Int(words[3]), n >= 1, n <= 10_000, k >= 0, k <= n else {
            throw .malformedPrompt(task: name, prompt: prompt, reason: "expected \"count <n> letters <k> vowels=\" with 0 ≤ k ≤ n")
        }
        return CreditExample(task: name, prompt: prompt, answer: String(repeating: "a", count: k) + String(repeating: "s", count: n - k),
                             constraint: .letterCount(letters: n, vowels: k))
    }

    /// The first position after which no correct response exists, or nil when `r` is correct.
    static func firstError(_ r: [Unicode.Scalar], letters n: Int, vowels k: Int) -> Int? {
        var v = 0
        for (i, c) in r.enumerated() {
            if i < n {
                guard isLetter(c) else { return i }
                if vowels.contains(c) { v += 1 }
                if v > k || k - v > n - (i + 1) { return i }
            } else if i == n {
                if c != "\n" { return i }
            } else {
                return i  // text after the terminator
            }
        }
        return r.count < n + 1 ? r.count : nil
    }

    /// The correct response nearest to `r`: non-letters become consonants, the length is cut or
    /// padded, then surplus vowels (from the (k+1)-th on) become consonants or, when vowels are
    /// missing, the last consonants become vowels — the letters at and after the first error.
    static func corrected(_ r: [Unicode.Scalar], letters n: Int, vowels k: Int) -> String {
        let bodyEnd = r.firstIndex(of: "\n") ?? r.count
        var s = Array(r[0 ..< min(bodyEnd, n)]).map { isLetter($0) ? $0 : "s" }
        while s.count < n { s.append("s") }
        var seen = 0
        for i in s.indices where vowels.contains(s[i]) {
            seen += 1
            if seen > k { s[i] = "s" }
        }
        var missing = k - min(seen, k)
        var i = n - 1
        while missing > 0, i >= 0 {
            if !vowels.contains(s[i]) { s[i] = "a"; missing -= 1 }
            i -= 1
        }
        return String(scalars: s) + CreditBench.terminator
    }

    public func verify(_ response: String, for example: CreditExample) -> Verdict {
        guard case .letterCount(let n, let k) = example.constraint else { return Edits.exactVerdict(response, target: example.completion) }
        let r = Array(response.unicodeScalars)
        guard let first = Self.firstError(r, letters: n, vowels: k) else { return .correct }
        let fix = Self.corrected(r, letters: n, vowels: k)
        var spans = Edits.diffRanges(r, Array(fix.unicodeScalars)).map { ErrorSpan(start: $0.lowerBound, end: $0.upperBound, severity: .major) }
        if first < r.count, !spans.contains(where: { $0.start <= first && first < $0.end }) {
            spans = Edits.mergedSpans(spans + [ErrorSpan(start: first, end: first + 1, severity: .major)])
        }
        return Verdict(isCorrect: false, firstError: first, errorSpans: spans, edit: Edits.minimalEdit(from: r, to: fix))
    }

    /// Slips: one vowel too many or too few (the off-by-one count), a letter too many or too few.
    public func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError {
        ensureWrong(example, using: &rng) { rng in
            var s = Array(example.answer.unicodeScalars)
            let vowelIdx = s.indices.filter { Self.vowels.contains(s[$0]) }
            let consIdx = s.indices.filter { !Self.vowels.contains(s[$0]) }
            let kind: String
            switch rng.weighted([0.4, 0.4, 0.1, 0.1]) {
            case 0:
                guard !consIdx.isEmpty else { return nil }
                s[rng.pick(consIdx)] = rng.pick(Array("aeiou".unicodeScalars))
                kind = "extra-vowel"
            case 1:
                guard !vowelIdx.isEmpty else { return nil }
                s[rng.pick(vowelIdx)] = rng.pick(Self.consonants)
                kind = "missing-vowel"
            case 2:
                s.insert(rng.pick(Self.consonants), at: rng.int(in: 0 ... s.count))
                kind = "long"
            default:
                s.remove(at: rng.int(in: 0 ..< s.count))
                kind = "short"
            }
            return InjectedError(response: String(scalars: s) + CreditBench.terminator, kind: kind, severity: .major)
        }
    }
}
