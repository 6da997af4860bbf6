// `sort`: sort a list of numbers ascending. Prompt "sort 38,5,12,7=", completion "5,7,12,38\n".
// Multi-digit numbers make the first wrong token land inside or across merged number tokens.

/// Ascending sort of non-negative integers.
public struct SortTask: CreditTask {
    public var name: String { "sort" }
    /// Number of elements.
    public var length: Int
    /// Elements are drawn uniformly from 0 ... maxValue (repeats allowed).
    public var maxValue: Int

    public init(length: Int = 5, maxValue: Int = 99) {
        precondition(length >= 2, "SortTask: length must be ≥ 2, got \(length)")
        precondition(maxValue >= 1, "SortTask: maxValue must be ≥ 1, got \(maxValue)")
        self.length = length
        self.maxValue = maxValue
    }

    static func written(_ xs: [Int]) -> String { xs.map(String.init).joined(separator: ",") }

    public func makeExample(using rng: inout CreditRNG) -> CreditExample {
        let xs = (0 ..< length).map { _ in rng.int(in: 0 ... maxValue) }
        return CreditExample(task: name, prompt: "sort \(Self.written(xs))=", answer: Self.written(xs.sorted()))
    }

    public func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample {
        guard prompt.hasPrefix("sort "), prompt.hasSuffix("=") else {
            throw .malformedPrompt(task: name, prompt: prompt, reason: "expected \"sort <n>,<n>,…=\"")
        }
        let parts = prompt.dropFirst(5).dropLast().split(separator: ",", omittingEmptySubsequences: false)
        var xs: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.allSatisfy({ $0.isASCII && $0.isNumber }), let x = Int(p) else {
                throw .malformedPrompt(task: name, prompt: prompt, reason: "\"\(p)\" is not a non-negative integer")
            }
            xs.append(x)
        }
        return CreditExample(task: name, prompt: prompt, answer: Self.written(xs.sorted()))
    }

    public func verify(_ response: String, for example: CreditExample) -> Verdict {
        Edits.exactVerdict(response, target: example.completion)
    }

    /// Slips: two neighbours out of order, an element dropped or repeated, a digit miscopied.
    public func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError {
        ensureWrong(example, using: &rng) { rng in
            var xs = example.answer.split(separator: ",").compactMap { Int($0) }
            guard xs.count >= 2 else { return nil }
            let kind: String
            switch rng.weighted([0.5, 0.2, 0.15, 0.15]) {
            case 0:
                let candidates = (0 ..< xs.count - 1).filter { xs[$0] != xs[$0 + 1] }
                guard !candidates.isEmpty else { return nil }
                let i = rng.pick(candidates)
                xs.swapAt(i, i + 1)
                kind = "swap"
            case 1:
                xs.remove(at: rng.int(in: 0 ..< xs.count))
                kind = "drop"
            case 2:
                let i = rng.int(in: 0 ..< xs.count)
                xs.insert(xs[i], at: i)
                kind = "repeat"
            default:
                let i = rng.int(in: 0 ..< xs.count)
                var d = Array(String(xs[i]))
                let j = rng.int(in: 0 ..< d.count)
                guard let v = d[j].wholeNumberValue else { return nil }
                d[j] = Character(String((v + (rng.chance(0.5) ? 1 : 9)) % 10))
                guard d.count == 1 || d[0] != "0", let x = Int(String(d)) else { return nil }
                xs[i] = x
                kind = "copy"
            }
            return InjectedError(response: Self.written(xs) + CreditBench.terminator, kind: kind, severity: .major)
        }
    }
}
