// The final answer a vote counts, read from a CreditBench completion: the text before the
// terminator ("\n"), trimmed; for `chain`, whose completion writes every step, the result after the
// last "=" (two chains that reach the same number by different written steps vote together, as
// self-consistency marginalises over reasoning paths, arXiv 2203.11171).
import CreditBench
import Foundation

public enum AnswerExtraction {
    /// The answer of `text` for a prompt of `task` (nil: a plain answer line).
    public static func finalAnswer(_ text: String, task: CreditTaskName?) -> String {
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard task == .chain, let eq = trimmed.lastIndex(of: "=") else { return trimmed }
        return String(trimmed[trimmed.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
    }
}
