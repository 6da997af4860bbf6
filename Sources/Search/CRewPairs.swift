// CRew-DPO's preference data (arXiv 2510.13501; `tokenalign data crew-pairs`): sample N responses
// per prompt, score each by correctness and by CRew's confidence in its final answer, and pair the
// most confident correct response (chosen) with the most confident wrong one (rejected). The pair
// is what a confidence-only judge gets wrong when the wrong answer is the more confident one, so DPO
// on it teaches the model to trust its answer tokens only when they are right.
// docs/design/rewards.md §9.4.
import CreditBench
import Foundation
import OnlineRL

public enum CRewPairs {
    /// One sampled response as the pairing sees it.
    public struct Scored: Sendable, Equatable {
        public var text: String
        public var correct: Bool
        public var confidence: Float
        public init(text: String, correct: Bool, confidence: Float) {
            self.text = text
            self.correct = correct
            self.confidence = confidence
        }
    }

    /// The pairing rule: chosen = the correct response with the highest confidence, rejected = the wrong
    /// response with the highest confidence (the first on ties); nil unless both exist.
    public static func pair(_ samples: [Scored]) -> (chosen: Scored, rejected: Scored)? {
        func best(_ ok: Bool) -> Scored? {
            samples.filter { $0.correct == ok }.reduce(nil as Scored?) { b, s in b.map { s.confidence > $0.confidence ? s : $0 } ?? s }
        }
        guard let c = best(true), let r = best(false) else { return nil }
        return (c, r)
    }

    /// Whether `text` answers the row correctly: the CreditBench verifier for rows with a `task`,
    /// otherwise CRew's answer span (`\boxed{}`, the marker) compared with the trimmed `answer` column.
    public static func isCorrect(_ text: String, row p: RLPrompt, marker: String) throws -> Bool {
        if p.columns["task"] != nil {
            var ledger = CostLedger()
            return try VerifierScorer(task: nil).scores(p, [Answer(ids: [], text: text)], ledger: &ledger)[0] == 1
        }
        guard let answer = p.columns["answer"].map({ "\($0)".trimmingCharacters(in: .whitespacesAndNewlines) }) else {
            throw SearchError.badRow("\(p.location): crew-pairs needs a CreditBench \"task\" column or an \"answer\" column to know which responses are correct")
        }
        guard let span = AnswerSpan.find(in: text, task: nil, marker: marker) else { return false }
        let u = Array(text.utf8)
        return String(decoding: u[span], as: UTF8.self) == answer
    }

    /// The pair of one prompt (nil when its samples are all right or all wrong) and every sample as
    /// scored (its confidence from the sampled ids, not from re-encoded text).
    public static func row(_ p: RLPrompt, index: Int, policy: SearchPolicy, samples: Int, seed: UInt64,
                           crew: ConfidenceReward) throws -> (row: [String: Any]?, scored: [Scored]) {
        var ledger = CostLedger()
        let drawn = policy.sample(p.ids, count: samples, seed: SearchSeeds.seed(seed, prompt: index, call: 0), ledger: &ledger)
        let bodies = drawn.map { policy.body($0.ids) }
        let promptText = p.columns["prompt"] as? String ?? p.text
        let task = p.columns["task"] as? String
        let confidence = try crew.scores(bodies.map { JudgedResponse(promptText: promptText, promptIDs: p.ids, response: $0, task: task) })
        let scored = try bodies.indices.map { i -> Scored in
            let text = policy.text(bodies[i])
            return Scored(text: text, correct: try isCorrect(text, row: p, marker: crew.marker), confidence: confidence[i])
        }
        guard let best = pair(scored) else { return (nil, scored) }
        let c = best.chosen, r = best.rejected
        return (["prompt": promptText, "chosen": c.text, "rejected": r.text,
                 "chosen_confidence": Double(c.confidence), "rejected_confidence": Double(r.confidence)], scored)
    }
}
