// String comparison helpers behind the verifiers: first difference, single-span minimal edit,
// Levenshtein alignment and the error spans it implies. All positions are Unicode scalars.

import Support

enum EditOp: Equatable {
    case match, substitute, insert, delete  // insert: a response scalar not in the target; delete: a target scalar missing
}

enum Edits {
    /// Length of the common prefix of `a` and `b`.
    static func commonPrefix<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        return i
    }

    /// Levenshtein distance.
    static func distance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0 ... b.count), cur = Array(repeating: 0, count: b.count + 1)
        for i in 1 ... a.count {
            cur[0] = i
            for j in 1 ... b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// A minimum-cost alignment of `response` to `target` as operations in response order. Among
    /// equal-cost alignments it keeps matches as early as possible (Support's
    /// `LevenshteinAlignment` reads its table from the start), so the first wrong stretch begins
    /// where the strings first differ — the same place as the first error. A task's target is a
    /// short answer, so the table is small whatever the response; no cell limit applies.
    static func align<T: Equatable>(_ response: [T], _ target: [T]) -> [EditOp] {
        let ops = (try? LevenshteinAlignment.align(response, target, cellLimit: .max)) ?? []
        return ops.map {
            switch $0 {
            case .match: .match
            case .substitute: .substitute
            case .delete: .insert  // a response scalar not in the target
            case .insert: .delete  // a target scalar missing from the response
            }
        }
    }

    /// The wrong stretches of `response` against `target`: maximal runs of non-matching operations,
    /// as response ranges. A run that only deletes (text missing from the response) is attached to
    /// the response scalar standing where the text should be; at the very end there is none, so
    /// the run is dropped.
    static func diffRanges<T: Equatable>(_ response: [T], _ target: [T]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var pos = 0, runStart: Int? = nil
        func close() {
            guard let s = runStart else { return }
            runStart = nil
            if pos > s { ranges.append(s ..< pos) } else if s < response.count { ranges.append(s ..< s + 1) }
        }
        for op in align(response, target) {
            switch op {
            case .match:
                close(); pos += 1
            case .substitute, .insert:
                if runStart == nil { runStart = pos }
                pos += 1
            case .delete:
                if runStart == nil { runStart = pos }
            }
        }
        close()
        // Attaching a deletion to the next scalar can make it touch the following run: merge.
        return mergedRanges(ranges)
    }

    /// Spans sorted, overlapping ones merged (the merged span keeps the worse severity).
    static func mergedSpans(_ spans: [ErrorSpan]) -> [ErrorSpan] {
        var out: [ErrorSpan] = []
        for s in spans.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let last = out.last, s.start < last.end {
                out[out.count - 1] = ErrorSpan(start: last.start, end: max(last.end, s.end), severity: max(last.severity, s.severity))
            } else { out.append(s) }
        }
        return out
    }

    /// Ranges sorted, with overlapping or touching ones merged.
    static func mergedRanges(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound ..< max(last.upperBound, r.upperBound)
            } else { merged.append(r) }
        }
        return merged
    }

    /// The single-span edit from `response` to `corrected`: strip the common prefix and suffix.
    static func minimalEdit(from response: [Unicode.Scalar], to corrected: String) -> MinimalEdit {
        let target = Array(corrected.unicodeScalars)
        let p = commonPrefix(response, target)
        var s = 0
        while s < response.count - p, s < target.count - p, response[response.count - 1 - s] == target[target.count - 1 - s] { s += 1 }
        let replacement = String(String.UnicodeScalarView(target[p ..< target.count - s]))
        return MinimalEdit(start: p, end: response.count - s, replacement: replacement, corrected: corrected,
                           distance: distance(response, target))
    }

    /// The verdict for a task with one correct completion `target`; `severity` classifies each
    /// wrong range of the response.
    static func exactVerdict(_ response: String, target: String,
                             severity: (Range<Int>) -> Severity = { _ in .major }) -> Verdict {
        if response == target { return .correct }
        let r = Array(response.unicodeScalars), t = Array(target.unicodeScalars)
        let first = commonPrefix(r, t)
        var ranges = diffRanges(r, t)
        // Equal-cost alignments can still place a stretch before the first difference (e.g. a
        // repeated character); the first error must lie in a span whenever it points at a character.
        if first < r.count, !ranges.contains(where: { $0.contains(first) }) {
            ranges = mergedRanges(ranges + [first ..< first + 1])
        }
        let spans = ranges.map { ErrorSpan(start: $0.lowerBound, end: $0.upperBound, severity: severity($0)) }
        return Verdict(isCorrect: false, firstError: first, errorSpans: spans, edit: minimalEdit(from: r, to: target))
    }
}

extension String {
    /// `self` built from scalars.
    init(scalars: some Sequence<Unicode.Scalar>) {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars)
        self = String(v)
    }
}
