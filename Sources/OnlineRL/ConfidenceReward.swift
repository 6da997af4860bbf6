// CRew, confidence as a reward (arXiv 2510.13501; `--reward crew:MODEL[,geometric][,MARKER]`): the
// model teacher-forces the response and the reward is its mean probability of the final answer's
// tokens, R = (1/m) Σ_j p(a_j | x, y_<a_j) (the geometric mean exp((1/m) Σ_j log p) as an option).
// docs/design/rewards.md §9.2.
import CreditBench
import Foundation

/// Where the final answer sits in a response, in UTF-8 byte offsets.
public enum AnswerSpan {
    /// The default marker of free-text answers.
    public static let defaultMarker = "The answer is"

    /// The answer's byte range in `text`, or nil when there is none. In order:
    /// - a CreditBench row (`task`): the task's own answer, the first line (the completion is the
    ///   answer and the terminator "\n"), and for `chain`, whose line writes every step, the result
    ///   after the last "=";
    /// - the content of the last `\boxed{…}` (braces balanced);
    /// - the text after the last `marker`, leading spaces and a trailing "." and newline left out, up to
    ///   the end of that line;
    /// - nil (the reward is then 0: no answer, no confidence in it).
    public static func find(in text: String, task: String?, marker: String = defaultMarker) -> Range<Int>? {
        let u = Array(text.utf8)
        if let task, let kind = CreditTaskName(rawValue: task) {
            let end = u.firstIndex(of: UInt8(ascii: "\n")) ?? u.count
            var start = 0
            if kind == .chain, let eq = u[..<end].lastIndex(of: UInt8(ascii: "=")) { start = eq + 1 }
            return trimmed(u, start ..< end)
        }
        if let boxed = lastRange(of: Array("\\boxed{".utf8), in: u, before: u.count) {
            var depth = 1, i = boxed.upperBound
            while i < u.count {
                if u[i] == UInt8(ascii: "{") { depth += 1 } else if u[i] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { break } }
                i += 1
            }
            if i < u.count { return trimmed(u, boxed.upperBound ..< i) }
        }
        if !marker.isEmpty, let m = lastRange(of: Array(marker.utf8), in: u, before: u.count) {
            let end = u[m.upperBound...].firstIndex(of: UInt8(ascii: "\n")) ?? u.count
            var r = trimmed(u, m.upperBound ..< end)
            if let s = r, s.upperBound > s.lowerBound, u[s.upperBound - 1] == UInt8(ascii: ".") { r = trimmed(u, s.lowerBound ..< s.upperBound - 1) }
            return r
        }
        return nil
    }

    static func lastRange(of needle: [UInt8], in u: [UInt8], before end: Int) -> Range<Int>? {
        guard needle.count <= end else { return nil }
        var i = end - needle.count
        while i >= 0 {
            if u[i ..< i + needle.count].elementsEqual(needle) { return i ..< i + needle.count }
            i -= 1
        }
        return nil
    }

    /// `r` without leading and trailing ASCII whitespace; nil when nothing is left.
    static func trimmed(_ u: [UInt8], _ r: Range<Int>) -> Range<Int>? {
        var a = r.lowerBound, b = r.upperBound
        func space(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        while a < b && space(u[a]) { a += 1 }
        while b > a && space(u[b - 1]) { b -= 1 }
        return a < b ? a ..< b : nil
    }

    /// The indices of the tokens (of `ids`, whose bytes are `bytes(id)`) that cover any byte of `span`.
    public static func tokens(_ ids: [Int], covering span: Range<Int>, bytes: (Int) -> [UInt8]) -> [Int] {
        var out: [Int] = [], offset = 0
        for (t, id) in ids.enumerated() {
            let n = bytes(id).count
            if offset < span.upperBound && offset + n > span.lowerBound && n > 0 { out.append(t) }
            offset += n
        }
        return out
    }
}

public final class ConfidenceReward: LMJudge {
    public let judgeModel: LMJudgeModel
    /// exp(mean log p) instead of mean p.
    public let geometric: Bool
    public let marker: String
    public var name: String { "crew" }

    public init(model: LMJudgeModel, geometric: Bool = false, marker: String = AnswerSpan.defaultMarker) {
        judgeModel = model
        self.geometric = geometric
        self.marker = marker
    }

    /// The response tokens that carry the answer (indices into `item.response`), empty when none does.
    public func answerTokens(_ item: JudgedResponse) -> [Int] {
        let tok = judgeModel.tokenizer
        let bytes = item.response.map { tok.tokenBytes(for: $0) ?? [] }
        let text = String(decoding: Array(bytes.joined()), as: UTF8.self)
        guard let span = AnswerSpan.find(in: text, task: item.task, marker: marker) else { return [] }
        return AnswerSpan.tokens(item.response, covering: span) { tok.tokenBytes(for: $0) ?? [] }
    }

    public func reads(_ items: [JudgedResponse]) throws -> (sequences: [[Int]], queries: [[LogProbQuery]]) {
        if let bare = items.first(where: { $0.promptIDs.isEmpty }) {
            throw RewardError("crew: a prompt encodes to no tokens (\(String(reflecting: bare.promptText))); the first response token is predicted from the prompt")
        }
        let queries = items.map { item in
            answerTokens(item).map { LogProbQuery(position: item.promptIDs.count + $0 - 1, token: item.response[$0]) }
        }
        return (items.map { $0.promptIDs + $0.response }, queries)
    }

    /// Mean probability of the answer tokens (or exp of their mean log-probability); 0 without an answer.
    public func combine(_ logProbs: [[Float]], count: Int) -> [Float] {
        logProbs.map { l in
            guard !l.isEmpty else { return 0 }
            let n = Float(l.count)
            return geometric ? expf(l.reduce(0, +) / n) : l.reduce(0) { $0 + expf($1) } / n
        }
    }
}
