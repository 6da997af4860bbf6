// The rows of a CreditBench data file (`tokenalign data make`): TRL-format columns plus our
// annotation fields. A row is a pure function of the task, seed and index, so the CLI, the demos
// and the tests that need task data all build the same rows from here.
import Foundation
import Tokenizers

/// Which TRL data set a row belongs to.
public enum CreditRowKind: String, CaseIterable, Sendable {
    /// `{"prompt", "completion", "is_correct", "error_kind"?}`.
    case sft
    /// `{"prompt", "chosen", "rejected", …}` with the rejected response's error annotations.
    case preference
    /// `{"prompt", "answer", "task_knobs"?}` for online RL and search.
    case prompts
    /// TRL stepwise (chain only): `{"prompt", "completions": [steps], "labels": [bool]}`.
    case stepwise
}

extension CreditTask {
    /// Row `index` of a `kind` data set drawn with `seed`. `errorRate` is the share of sft and
    /// stepwise rows whose response has an injected error (default 0 for sft, 0.5 for stepwise);
    /// `knobs` travel with prompt rows so the `creditbench` reward rebuilds the same task; with a
    /// `tokenizer`, preference rows also get the rejected response's token labels.
    public func row(kind: CreditRowKind, seed: UInt64, index: Int, knobs: TaskKnobs = TaskKnobs(), errorRate: Double? = nil,
                    tokenizer: Tokenizer? = nil) -> [String: Any] {
        let ex = example(seed: seed, index: index)
        var row: [String: Any] = ["prompt": ex.prompt, "task": name]
        // Whether this row's demonstration is wrong: its own stream, so it does not disturb the examples.
        var coin = CreditRNG(seed: seed ^ 0x5EED_E22, stream: UInt64(index))
        switch kind {
        case .prompts:
            row["answer"] = ex.answer
            if !knobs.columns.isEmpty { row["task_knobs"] = knobs.columns }
        case .sft:
            if coin.chance(errorRate ?? 0) {
                let bad = injectedError(for: ex, seed: seed, index: index)
                row["completion"] = bad.response; row["is_correct"] = false; row["error_kind"] = bad.kind
            } else {
                row["completion"] = ex.completion; row["is_correct"] = true
            }
        case .preference:
            row.merge(preferenceColumns(ex, rejected: injectedError(for: ex, seed: seed, index: index), tokenizer: tokenizer)) { _, new in new }
        case .stepwise:
            guard let chain = self as? ChainTask else { return row }
            let response = coin.chance(errorRate ?? 0.5) ? injectedError(for: ex, seed: seed, index: index).response : ex.completion
            let steps = chain.steps(of: response, for: ex)
            let scalars = Array(response.unicodeScalars)
            row["completions"] = steps.map { String(String.UnicodeScalarView(scalars[$0.range])) }
            row["labels"] = steps.map(\.isCorrect)
        }
        return row
    }

    /// The preference columns of `ex` against the wrong response `bad`: chosen, rejected and the
    /// verifier's annotations of the rejected side (first error, error spans, minimal correction; with
    /// a `tokenizer`, its token labels and first wrong token).
    public func preferenceColumns(_ ex: CreditExample, rejected bad: InjectedError, tokenizer: Tokenizer? = nil) -> [String: Any] {
        let verdict = verify(bad.response, for: ex)
        var row: [String: Any] = ["chosen": ex.completion, "rejected": bad.response, "rejected_error_kind": bad.kind,
                                  "rejected_first_error_char": verdict.firstError ?? NSNull()]
        row["rejected_error_spans"] = verdict.errorSpans.map { ["start": $0.start, "end": $0.end, "severity": $0.severity.rawValue] as [String: Any] }
        if let e = verdict.edit { row["rejected_correction"] = ["start": e.start, "end": e.end, "replacement": e.replacement] as [String: Any] }
        if let tokenizer {
            let credit = TokenCredit(response: bad.response, firstError: verdict.firstError, tokenizer: tokenizer, prompt: ex.prompt)
            row["rejected_first_error_token"] = credit.firstErrorToken ?? NSNull()
            row["rejected_token_labels"] = credit.labels.map(\.rawValue)
        }
        return row
    }

    /// Rows 0 ..< `count` of a `kind` data set (see `row(kind:seed:index:…)`).
    public func rows(kind: CreditRowKind, count: Int, seed: UInt64, knobs: TaskKnobs = TaskKnobs(), errorRate: Double? = nil,
                     tokenizer: Tokenizer? = nil) -> [[String: Any]] {
        (0 ..< count).map { row(kind: kind, seed: seed, index: $0, knobs: knobs, errorRate: errorRate, tokenizer: tokenizer) }
    }
}
