// Oracle critiques for CLoud reward models (Ankner et al. 2024, arXiv 2408.11791): the paper distils
// its critiques from a stronger model; on CreditBench the verifier knows what is wrong and where, so
// the critique is written from its verdict with one fixed template (docs/design/rewards.md
// §11). It is short and deterministic, so a small model can learn to write it:
//
//   correct response:            Correct.
//   wrong, with a minimal edit:  Wrong at character K: "FOUND" should be "REPLACEMENT".
//                                Wrong at character K: "REPLACEMENT" is missing.      (nothing found)
//                                Wrong at character K: "FOUND" should be removed.     (empty replacement)
//   wrong, no edit proposed:     Wrong at character K.
//
// K is the verifier's first error (a 0-based Unicode-scalar offset), FOUND the edited stretch of the
// response, and a line break inside FOUND or REPLACEMENT is written `\n` so a critique is one line.
import Foundation

extension Verdict {
    /// The oracle critique of `response` (the text this verdict judged), by the template above.
    public func critique(of response: String) -> String {
        guard !isCorrect else { return "Correct." }
        let at = "Wrong at character \(firstError ?? edit?.start ?? 0)"
        guard let edit else { return at + "." }
        let scalars = Array(response.unicodeScalars)
        let lo = min(max(0, edit.start), scalars.count), hi = min(max(lo, edit.end), scalars.count)
        var found = String.UnicodeScalarView()
        found.append(contentsOf: scalars[lo ..< hi])
        let was = Self.quoted(String(found)), now = Self.quoted(edit.replacement)
        if lo == hi { return at + ": \(now) is missing." }
        if edit.replacement.isEmpty { return at + ": \(was) should be removed." }
        return at + ": \(was) should be \(now)."
    }

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\n", with: "\\n") + "\"" }
}

extension CreditTask {
    /// Example `index` of data set `seed` as a preference pair (the correct completion against the
    /// injected error, as `row(kind: .preference)` makes it) with the oracle critique of each side:
    /// the CLoud rows of `tokenalign data critiques --from creditbench` (the columns
    /// `CritiquePairs` reads).
    public func critiqueRow(seed: UInt64, index: Int) -> [String: Any] {
        let ex = example(seed: seed, index: index)
        return critiqueRow(ex, rejected: injectedError(for: ex, seed: seed, index: index))
    }

    /// The same row for any wrong response of `ex` (a systematic bug's answer, say), so that CLoud
    /// trains on the pairs the other reward models of a run train on.
    public func critiqueRow(_ ex: CreditExample, rejected bad: InjectedError) -> [String: Any] {
        ["prompt": ex.prompt, "chosen": ex.completion, "rejected": bad.response,
                "chosen_critique": verify(ex.completion, for: ex).critique(of: ex.completion),
                "rejected_critique": verify(bad.response, for: ex).critique(of: bad.response),
                "task": name, "rejected_error_kind": bad.kind]
    }
}
