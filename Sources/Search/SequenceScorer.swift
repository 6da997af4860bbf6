// What searchers rank candidates with: a scorer maps a prompt and candidate answers (complete, or
// partial for process-level search) to one number each, higher is better, and records the forward
// work of its own model in the ledger. Reward models, the CreditBench verifier and the `--reward`
// functions of online RL all plug in here (`SequenceScorers`), so a searcher never knows which.
import OnlineRL

/// A candidate answer: generated ids (no final stop token) and their text.
public struct Answer: Sendable, Equatable {
    public var ids: [Int]
    public var text: String

    public init(ids: [Int], text: String) {
        self.ids = ids
        self.text = text
    }
}

/// Scores candidate answers of one prompt.
public protocol SequenceScorer: AnyObject {
    /// The scorer's name in the cost ledger and the output rows.
    var name: String { get }
    /// R(x, y) of complete answers.
    func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float]
    /// V(x, y_≤t) of partial answers (a process reward or value of the prefix).
    func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float]
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
