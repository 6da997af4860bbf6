// CreditBench rows for the two token-label reward models (docs/design/rewards.md §7):
//
// - TLDR's synthetic hard negatives (arXiv 2410.04734): a good response (the task's correct
//   completion) and the same response with one aspect perturbed by the task's own error injector —
//   a carry digit, a wrong chain step or operator result, a swapped pair, a wrong cipher word, a
//   leaked forbidden letter — labelled bad only where the perturbation changed the text: the
//   changed stretches of a Levenshtein alignment of the negative with the good response, as
//   `rejected_error_spans`. Everything else in the negative is labelled good, which is what makes
//   these rows TLDR's rather than the verifier's first-error-onward labels.
// - Minimal-edit pairs (arXiv 2406.02756): the same negative as the rejected response and the
//   verifier's minimal edit of it (its correct completion) as the edit, for `tokenalign data
//   edit-labels --from creditbench` to label token by token.
//
// A negative whose only change is text missing at its very end changes no character of its own,
// so it has nothing to label bad; such draws are skipped (the next index is used), so `count`
// rows always come back, each a pure function of the task, seed and index.
import Foundation

extension CreditTask {
    /// Example `index` of data set `seed` as a TLDR hard-negative pair, or nil when the
    /// perturbation only removed text at the end (no changed character to label).
    public func tldrRow(seed: UInt64, index: Int) -> [String: Any]? {
        let ex = example(seed: seed, index: index)
        return tldrRow(ex, rejected: injectedError(for: ex, seed: seed, index: index))
    }

    /// `ex` with the wrong response `bad` as a TLDR hard-negative pair (nil as above).
    public func tldrRow(_ ex: CreditExample, rejected bad: InjectedError) -> [String: Any]? {
        let changed = Edits.diffRanges(Array(bad.response.unicodeScalars), Array(ex.completion.unicodeScalars))
        guard !changed.isEmpty else { return nil }
        return ["prompt": ex.prompt, "chosen": ex.completion, "rejected": bad.response, "task": name,
                "rejected_error_kind": bad.kind,
                "rejected_error_spans": changed.map { ["start": $0.lowerBound, "end": $0.upperBound, "severity": "major"] as [String: Any] }]
    }

    /// Example `index` of data set `seed` as a rejected response and its minimal edit (the column
    /// `edited`), or nil when the verifier proposes no edit.
    public func minimalEditRow(seed: UInt64, index: Int) -> [String: Any]? {
        let ex = example(seed: seed, index: index)
        return minimalEditRow(ex, rejected: injectedError(for: ex, seed: seed, index: index))
    }

    /// `ex` with the wrong response `bad` and its minimal edit (nil as above).
    public func minimalEditRow(_ ex: CreditExample, rejected bad: InjectedError) -> [String: Any]? {
        guard let edit = verify(bad.response, for: ex).edit else { return nil }
        return ["prompt": ex.prompt, "rejected": bad.response, "edited": edit.corrected, "task": name, "rejected_error_kind": bad.kind]
    }
}

public enum TokenLabelRows {
    /// The column `minimalEditRow` puts the edit in.
    public static let editedColumn = "edited"

    /// `count` rows made by `make` from the tasks in turn (row k from task k mod tasks.count),
    /// skipping indices that make none; nil after `count` × 8 indices without enough rows.
    public static func rows(count: Int, tasks: [any CreditTask], seed: UInt64,
                            _ make: (any CreditTask, UInt64, Int) -> [String: Any]?) -> [[String: Any]]? {
        guard !tasks.isEmpty else { return nil }
        var out: [[String: Any]] = []
        out.reserveCapacity(count)
        var index = 0
        while out.count < count {
            guard index < max(64, count * 8) else { return nil }
            if let row = make(tasks[out.count % tasks.count], seed, index) { out.append(row) }
            index += 1
        }
        return out
    }
}
