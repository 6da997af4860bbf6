// The CreditBench contract: synthetic tasks where a program knows the right answer *and* where a
// response first went wrong (docs/design/rewards.md §3).
//
// Conventions shared by every task:
// - A completion is the answer followed by the terminator `"\n"` (`CreditBench.terminator`). The
//   terminator makes the end of an answer a character like any other, so "stopped too early" and
//   "went on too long" are errors at a definite position: a response that is a strict prefix of
//   the correct one is wrong at its own end, and text after the answer is wrong at its first extra
//   character. Decode with the stop string "\n" (or train with EOS after it).
// - Positions are Unicode-scalar offsets into the response (what Datasets' `rejected_error_spans`
//   use); all generated text is ASCII, so they are byte offsets too, but arbitrary responses need not be.
// - The first error is the first position at which the response stops being a prefix of *any*
//   correct response: the point of no return. For tasks with one correct answer (add, chain, sort,
//   cipher, forbidden) it is the first character that differs from it; for `count` (many correct
//   answers) it is where the constraint can no longer be met.

/// The terminator that ends every completion.
public enum CreditBench {
    public static let terminator = "\n"
}

/// Severity of an error span, following xCOMET/MQM classes (docs/design/rewards.md §3.1) and the
/// names Datasets accepts in `rejected_error_spans`.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case minor, major

    public static func < (a: Severity, b: Severity) -> Bool { a == .minor && b == .major }
}

/// A wrong stretch of a response: `start ..< end` in Unicode scalars, never empty.
public struct ErrorSpan: Sendable, Equatable, Codable {
    public var start: Int
    public var end: Int
    public var severity: Severity

    public init(start: Int, end: Int, severity: Severity) {
        self.start = start
        self.end = end
        self.severity = severity
    }
}

/// The smallest single replacement that turns the response into a correct one:
/// `response[start ..< end]` (scalars) becomes `replacement`, giving `corrected`.
public struct MinimalEdit: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var replacement: String
    /// The correct response the edit leads to (a completion, terminator included).
    public var corrected: String
    /// Levenshtein distance (in scalars) from the response to `corrected`.
    public var distance: Int

    public init(start: Int, end: Int, replacement: String, corrected: String, distance: Int) {
        self.start = start
        self.end = end
        self.replacement = replacement
        self.corrected = corrected
        self.distance = distance
    }
}

/// A verifier's judgement of one response.
public struct Verdict: Sendable, Equatable {
    public var isCorrect: Bool
    /// Scalar offset of the first error (nil when correct). May equal the response's length: the
    /// response stopped where more was needed (e.g. the terminator is missing).
    public var firstError: Int?
    /// Every wrong stretch of the response with its severity (empty when correct). A missing
    /// stretch is attached to the character that stands where it should be; missing text at the
    /// very end of the response has no character and so no span (`firstError` still says where).
    public var errorSpans: [ErrorSpan]
    /// How to fix it (nil when correct).
    public var edit: MinimalEdit?

    public init(isCorrect: Bool, firstError: Int?, errorSpans: [ErrorSpan], edit: MinimalEdit?) {
        self.isCorrect = isCorrect
        self.firstError = firstError
        self.errorSpans = errorSpans
        self.edit = edit
    }

    public static let correct = Verdict(isCorrect: true, firstError: nil, errorSpans: [], edit: nil)
}

/// One generated problem.
public struct CreditExample: Sendable, Equatable {
    /// Name of the task that made it (`add`, `chain`, …).
    public var task: String
    public var prompt: String
    /// The canonical answer, without the terminator. For `count` it is one of many correct answers.
    public var answer: String
    /// What the verifier needs beyond the canonical answer (e.g. the vowel constraint).
    public var constraint: Constraint

    public enum Constraint: Sendable, Equatable {
        /// The canonical answer is the only correct one.
        case exact
        /// Exactly `letters` lowercase letters, of which exactly `vowels` are vowels.
        case letterCount(letters: Int, vowels: Int)
        /// Copy with every occurrence of `substring` masked (the answer is still unique).
        case forbidden(substring: String)
    }

    public init(task: String, prompt: String, answer: String, constraint: Constraint = .exact) {
        self.task = task
        self.prompt = prompt
        self.answer = answer
        self.constraint = constraint
    }

    /// The training target: the answer and the terminator.
    public var completion: String { answer + CreditBench.terminator }
}

/// A wrong response made on purpose, with what the injector did.
public struct InjectedError: Sendable, Equatable {
    public var response: String
    /// What went wrong, e.g. `carry`, `step`, `swap`, `leak`.
    public var kind: String
    public var severity: Severity
}

/// A synthetic verifiable task. Implementations are value types with their difficulty knobs as
/// properties; everything is a pure function of the knobs and the random generator, so a seed
/// reproduces a data set exactly.
public protocol CreditTask: Sendable {
    /// Short name used on the command line and in rows (`add`, `chain`, …).
    var name: String { get }
    /// A new problem.
    func makeExample(using rng: inout CreditRNG) -> CreditExample
    /// Judges any response string (the completion text, terminator included) for `example`.
    func verify(_ response: String, for example: CreditExample) -> Verdict
    /// A plausible wrong response (a carry error, a wrong step, a swapped pair, …). The verifier
    /// always rejects it.
    func injectError(into example: CreditExample, using rng: inout CreditRNG) -> InjectedError
    /// The example a prompt of this task poses, so that a prompt read back from JSONL (e.g. held-out
    /// prompts for evaluation) can be verified without its seed. For `count` the answer is a fixed
    /// correct one (vowels first), not necessarily the one the generator chose.
    func example(fromPrompt prompt: String) throws(CreditBenchError) -> CreditExample
    /// Whether a held-out problem must have a prompt unseen in training. True for tasks with one
    /// right answer per prompt, where a seen prompt could be answered from memory. `count` has
    /// only `length − 1` prompts and a combinatorial number of right answers to each, so its
    /// held-out problems are fresh draws whose prompts necessarily repeat.
    var holdsOutByPrompt: Bool { get }
}

extension CreditTask {
    public var holdsOutByPrompt: Bool { true }

    /// Example `index` of the data set `seed`: independent of how many examples are drawn.
    public func example(seed: UInt64, index: Int) -> CreditExample {
        var rng = CreditRNG(seed: seed, stream: UInt64(index) &* 2)
        return makeExample(using: &rng)
    }

    /// The injected error for example `index` of data set `seed` (its own random stream).
    public func injectedError(for example: CreditExample, seed: UInt64, index: Int) -> InjectedError {
        var rng = CreditRNG(seed: seed, stream: UInt64(index) &* 2 &+ 1)
        return injectError(into: example, using: &rng)
    }

    /// `examples` deterministic examples of data set `seed`.
    public func examples(_ count: Int, seed: UInt64) -> [CreditExample] {
        (0 ..< count).map { example(seed: seed, index: $0) }
    }

    /// Wraps a task-specific corruption so that the result is always wrong: tries `attempt` a few
    /// times (a slip can be impossible for a given problem, e.g. a carry error without carries),
    /// then falls back to one stray character before the terminator, which is wrong for every task
    /// (unique answers get longer; `count` gets a letter too many).
    func ensureWrong(_ example: CreditExample, using rng: inout CreditRNG,
                     _ attempt: (inout CreditRNG) -> InjectedError?) -> InjectedError {
        for _ in 0 ..< 8 {
            if let e = attempt(&rng), !verify(e.response, for: example).isCorrect { return e }
        }
        var chars = Array(example.answer.unicodeScalars)
        chars.append(rng.chance(0.5) ? "0" : "x")
        let response = String(scalars: chars) + CreditBench.terminator
        return InjectedError(response: response, kind: "extra", severity: .major)
    }
}
