// Follow-up likelihood as reward (FLR, arXiv 2409.13948; `--reward follow-up:MODEL[,FILE]`): how
// likely the model finds a satisfied user's next turn after the response, against a dissatisfied one,
//     R(x, y) = (1/|F+|) Σ_{f∈F+} ℓ(f | x, y) − (1/|F−|) Σ_{f∈F−} ℓ(f | x, y),
// with ℓ(f | x, y) the mean per-token log-probability of utterance f as the next user turn.
// docs/design/rewards.md §9.3.
import Foundation
import Tokenizers

public final class FollowUpLikelihood: LMJudge {
    /// The default follow-ups, declared once. A file overrides them: one utterance per line, the
    /// positive ones after a line `+` and the negative ones after a line `-`.
    public static let defaultPositive = ["Thank you, that's right.", "Great, that's exactly what I needed.", "Perfect, thanks!", "That's correct, thank you."]
    public static let defaultNegative = ["That's wrong.", "No, that's not what I asked.", "That doesn't answer my question.", "That's incorrect."]

    public let judgeModel: LMJudgeModel
    public let positive: [String]
    public let negative: [String]
    /// Per utterance: the ids between the response and the utterance (the end of the assistant turn and
    /// the user header under a chat template, "\n" otherwise) and the utterance's ids.
    let followUps: [(bridge: [Int], utterance: [Int], positive: Bool)]
    public var name: String { "follow-up" }

    public init(model: LMJudgeModel, positive: [String] = defaultPositive, negative: [String] = defaultNegative) throws {
        guard !positive.isEmpty, !negative.isEmpty else { throw RewardError("follow-up: needs at least one positive and one negative utterance") }
        let tok = model.tokenizer
        var made: [(bridge: [Int], utterance: [Int], positive: Bool)] = []
        for (u, isPositive) in positive.map({ ($0, true) }) + negative.map({ ($0, false) }) {
            var bridge = "\n"
            if tok.chatTemplateSource != nil {
                let sentinel = "\u{1}RESPONSE\u{1}"
                let text = try tok.renderChat([.user("P"), .assistant(sentinel), .user(u)])
                guard let s = text.range(of: sentinel), let f = text.range(of: u, range: s.upperBound ..< text.endIndex) else {
                    throw RewardError("follow-up: \(model.path)'s chat template does not keep the turns' text; cannot place the follow-up")
                }
                bridge = String(text[s.upperBound ..< f.lowerBound])
            }
            let ids = tok.encode(u)
            guard !ids.isEmpty else { throw RewardError("follow-up: an utterance encodes to no tokens") }
            made.append((bridge: tok.encode(bridge), utterance: ids, positive: isPositive))
        }
        judgeModel = model
        self.positive = positive
        self.negative = negative
        followUps = made
    }

    /// `FILE`: lines after `+` are positive, after `-` negative (blank lines skipped).
    public static func lists(file: String) throws -> (positive: [String], negative: [String]) {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw RewardError("follow-up: cannot read \(file)") }
        var pos: [String] = [], neg: [String] = [], sign: Bool?
        for (n, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line == "+" { sign = true; continue }
            if line == "-" { sign = false; continue }
            guard let s = sign else { throw RewardError("follow-up: \(file):\(n + 1): an utterance before any '+' or '-' line") }
            if s { pos.append(line) } else { neg.append(line) }
        }
        guard !pos.isEmpty, !neg.isEmpty else { throw RewardError("follow-up: \(file) needs utterances under both '+' and '-'") }
        return (pos, neg)
    }

    /// One sequence per (response, utterance): prompt, response, bridge, utterance; the utterance's
    /// tokens are read.
    public func reads(_ items: [JudgedResponse]) throws -> (sequences: [[Int]], queries: [[LogProbQuery]]) {
        var seqs: [[Int]] = [], queries: [[LogProbQuery]] = []
        for item in items {
            for f in followUps {
                let start = item.promptIDs.count + item.response.count + f.bridge.count
                guard start > 0 else { throw RewardError("follow-up: an empty prompt and response leave nothing to predict the follow-up from") }
                seqs.append(item.promptIDs + item.response + f.bridge + f.utterance)
                queries.append(f.utterance.indices.map { LogProbQuery(position: start + $0 - 1, token: f.utterance[$0]) })
            }
        }
        return (seqs, queries)
    }

    /// Mean over the positive utterances of their mean token log-probability, minus the same over the
    /// negative ones.
    public func combine(_ logProbs: [[Float]], count: Int) -> [Float] {
        let k = followUps.count, np = Float(positive.count), nn = Float(negative.count)
        return (0 ..< count).map { i in
            var r: Float = 0
            for (j, f) in followUps.enumerated() {
                let mean = logProbs[i * k + j].reduce(0, +) / Float(f.utterance.count)
                r += f.positive ? mean / np : -mean / nn
            }
            return r
        }
    }
}
