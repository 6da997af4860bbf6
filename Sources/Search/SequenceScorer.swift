// What searchers rank candidates with: a scorer maps a prompt and candidate answers (complete, or
// partial for process-level search) to one number each, higher is better, and records the forward
// work of its own model in the ledger. Reward models, the CreditBench verifier and the `--reward`
// functions of online RL all plug in here (`SequenceScorers`), so a searcher never knows which.
import OnlineRL

/// A candidate answer: generated ids (no final stop token) and their text.
public struct Answer: Sendable, Equatable {
    public var ids: [Int]
    public var text: String
    /// The policy's hidden-state features of this answer, recorded while it was decoded when a
    /// hidden-state verifier will score it (`RecordedHiddenStates.swift`); nil otherwise. A cache of
    /// numbers the policy computed, not part of the answer: equality ignores it.
    public var hiddenStates: HiddenStateSample?

    public init(ids: [Int], text: String, hiddenStates: HiddenStateSample? = nil) {
        self.ids = ids
        self.text = text
        self.hiddenStates = hiddenStates
    }

    public static func == (a: Answer, b: Answer) -> Bool { a.ids == b.ids && a.text == b.text }
}

/// Scores candidate answers of one prompt.
public protocol SequenceScorer: AnyObject {
    /// The scorer's name in the cost ledger and the output rows.
    var name: String { get }
    /// R(x, y) of complete answers.
    func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float]
    /// V(x, y_≤t) of partial answers (a process reward or value of the prefix).
    func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float]
    /// True when the scorer reads the policy's own hidden states: searchers then ask the policy to
    /// record them while sampling (`Answer.hiddenStates`). False by default.
    var readsPolicyHiddenStates: Bool { get }
}

/// Search settings or inputs that cannot work (exit code 64 for settings, 65 for a prompt row).
public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// A flag or scorer specification that cannot work (names the flag).
    case invalidSetting(String)
    /// A prompt row the scorer cannot judge (names file:line).
    case badRow(String)

    public var description: String {
        switch self {
        case .invalidSetting(let m), .badRow(let m): m
        }
    }
}
