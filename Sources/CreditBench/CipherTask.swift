// `cipher`: a toy translation. A fixed, seeded lexicon maps made-up source words to made-up target
// words; the answer translates a sentence word by word.
// Prompt "cipher bo kale tu=", completion "vesi mo danu\n".
//
// The lexicon is a property of the task (`lexiconSeed`), not of the example, so a model can learn
// it across examples. Error spans carry a severity like xCOMET's (docs/design/rewards.md §3.2):
// a misspelt target word — one character off and not another lexicon word — is `minor`; a wrong
// lexicon word, a missing or extra word, or anything after the terminator is `major`.

/// Word-by-word translation with a seeded lexicon, error spans and severities.
public struct CipherTask: CreditTask {
    public var name: String { "cipher" }
    /// Words per sentence.
    public var length: Int
    /// Source words (sorted) and their translations, by index.
    public let sourceWords: [String]
    public let targetWords: [String]
    let translation: [String: String]
    let targets: Set<String>

    /// - Parameters:
    ///   - vocabulary: number of lexicon entries.
    ///   - lexiconSeed: the lexicon's own seed, independent of the data seed.
    public init(length: Int = 4, vocabulary: Int = 24, lexiconSeed: UInt64 = 7) {
        precondition(length >= 1, "CipherTask: length must be ≥ 1, got \(length)")
        precondition(vocabulary >= 2 && vocabulary <= 1000, "CipherTask: vocabulary must be in 2...1000, got \(vocabulary)")
        self.length = length
        var rng = CreditRNG(seed: lexiconSeed, stream: 0xC1_F4E2)
        let source = PseudoWords.distinct(vocabulary, maxSyllables: 2, using: &rng)
        let target = PseudoWords.distinct(vocabulary, maxSyllables: 2, excluding: Set(source), using: &rng)
        sourceWords = source
        targetWords = target
        translation = Dictionary(uniqueKeysWithValues: zip(source, target))
        targets = Set(target)
    }

    public func makeExample(using rng: inout CreditRNG) -> CreditExample {
        let idx = (0 ..< length).map { _ in rng.int(in: 0 ..< sourceWords.count) }
        return CreditExample(task: name, prompt: "cipher " + idx.map { sourceWords[$0] }.joined(separator: " ") + "=",
                             answer: idx.map { targetWords[$0] }.joined(separator: " "))
    }

    public func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample {
        guard prompt.hasPrefix("cipher "), prompt.hasSuffix("=") else {
            throw .malformedPrompt(task: name, prompt: prompt, reason: "expected \"cipher <words>=\"")
        }
        var out: [String] = []
        for w in prompt.dropFirst(7).dropLast().split(separator: " ", omittingEmptySubsequences: false) {
            guard let t = translation[String(w)] else {
                throw .malformedPrompt(task: name, prompt: prompt, reason: "\"\(w)\" is not in the lexicon (check --vocabulary and --lexicon-seed)")
            }
            out.append(t)
        }
        return CreditExample(task: name, prompt: prompt, answer: out.joined(separator: " "))
    }

    /// Words of `s[0 ..< end]` split at single spaces, with scalar ranges; an empty word (two
    /// spaces, or a leading/trailing space) gets the range of the extra space.
    static func words(_ s: [Unicode.Scalar], end: Int) -> [(text: String, range: Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var start = 0
        for i in 0 ... end where i == end || s[i] == " " {
            if i > start { out.append((String(scalars: s[start ..< i]), start ..< i)) }
            else { let p = min(i, max(end - 1, 0)); out.append(("", p ..< p + 1)) }
            start = i + 1
        }
        if end == 0 { return [] }
        return out
    }

    public func verify(_ response: String, for example: CreditExample) -> Verdict {
        let target = example.completion
        if response == target { return .correct }
        let r = Array(response.unicodeScalars)
        let first = Edits.commonPrefix(r, Array(target.unicodeScalars))
        let bodyEnd = r.firstIndex(of: "\n") ?? r.count
        let said = Self.words(r, end: bodyEnd)
        let truth = example.answer.split(separator: " ").map(String.init)
        var spans: [ErrorSpan] = []
        var ri = 0, ci = 0
        for op in Edits.align(said.map(\.text), truth) {
            switch op {
            case .match:
                ri += 1; ci += 1
            case .substitute:
                // One character off the aligned true word, and not a word of the lexicon: a misspelling.
                let w = said[ri].text
                let close = Edits.distance(Array(w.unicodeScalars), Array(truth[ci].unicodeScalars)) == 1
                let severity: Severity = close && !targets.contains(w) ? .minor : .major
                spans.append(ErrorSpan(start: said[ri].range.lowerBound, end: said[ri].range.upperBound, severity: severity))
                ri += 1; ci += 1
            case .insert:
                spans.append(ErrorSpan(start: said[ri].range.lowerBound, end: said[ri].range.upperBound, severity: .major))
                ri += 1
            case .delete:
                // A missing word: blame what stands in its place (the next word, or the terminator).
                let p = ri < said.count ? said[ri].range.lowerBound : bodyEnd
                if p < r.count { spans.append(ErrorSpan(start: p, end: p + 1, severity: .major)) }
                ci += 1
            }
        }
        // Separators the word split cannot see (e.g. a tab inside a word is part of the word; a
        // terminator followed by more text): anything after the first "\n" is extra output.
        if bodyEnd < r.count - 1 { spans.append(ErrorSpan(start: bodyEnd + 1, end: r.count, severity: .major)) }
        // The first error must be inside a span when it points at a character.
        if first < r.count, !spans.contains(where: { $0.start <= first && first < $0.end }) {
            spans.append(ErrorSpan(start: first, end: first + 1, severity: .minor))
        }
        return Verdict(isCorrect: false, firstError: first, errorSpans: Edits.mergedSpans(spans),
                       edit: Edits.minimalEdit(from: r, to: target))
    }

    /// Slips: a misspelt word (minor), a wrong lexicon word, a dropped word, two words swapped (major).
    public func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError {
        ensureWrong(example, using: &rng) { rng in
            var ws = example.answer.split(separator: " ").map(String.init)
            guard !ws.isEmpty else { return nil }
            let i = rng.int(in: 0 ..< ws.count)
            let kind: String, severity: Severity
            switch rng.weighted([0.4, 0.35, 0.1, 0.15]) {
            case 0:
                var s = Array(ws[i].unicodeScalars)
                let j = rng.int(in: 0 ..< s.count)
                let pool = PseudoWords.vowels.contains(s[j]) ? PseudoWords.vowels : PseudoWords.consonants
                s[j] = rng.pick(pool.filter { $0 != s[j] })
                let w = String(scalars: s)
                guard !targets.contains(w) else { return nil }
                ws[i] = w
                kind = "misspelling"; severity = .minor
            case 1:
                let w = rng.pick(targetWords)
                guard w != ws[i] else { return nil }
                ws[i] = w
                kind = "wrong-word"; severity = .major
            case 2:
                guard ws.count >= 2 else { return nil }
                ws.remove(at: i)
                kind = "drop"; severity = .major
            default:
                guard ws.count >= 2 else { return nil }
                let j = i == ws.count - 1 ? i - 1 : i + 1
                guard ws[i] != ws[j] else { return nil }
                ws.swapAt(i, j)
                kind = "order"; severity = .major
            }
            return InjectedError(response: ws.joined(separator: " ") + CreditBench.terminator, kind: kind, severity: severity)
        }
    }
}
