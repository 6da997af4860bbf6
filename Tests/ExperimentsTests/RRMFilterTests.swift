// RRM's filter step (arXiv 2409.13156): the original rows stay; an added pair stays when the reward
// model's P(chosen ≻ rejected) = σ(r_c − r_r) is at least the threshold away from its target (1, or ½
// for a tie). Scores here are known, so the kept set is computed by hand.
import Datasets
import Experiments
import Foundation
import Testing

@Suite struct RRMFilterTests {
    /// r(prompt, response) = the response's number: P = σ(c − r) is known for every pair.
    static var scorer: FunctionScorer { FunctionScorer(name: "number") { _, response in Double(response)! } }

    static func row(_ kind: String, _ chosen: String, _ rejected: String, tie: Bool = false) -> [String: Any] {
        var r: [String: Any] = ["prompt": "q", "chosen": chosen, "rejected": rejected, RRMAugmentation.column: kind]
        if tie { r["tie"] = true }
        return r
    }

    @Test func keepsWhatTheModelGetsWrong() throws {
        let rows = [
            Self.row("original", "0", "5"),                  // wrong by far, but originals always stay
            Self.row("non-contextual", "3", "0"),            // P = σ(3) = 0.953: right, dropped at 0.2
            Self.row("non-contextual", "1", "0"),            // P = 0.731: wrong by 0.269, kept
            Self.row("non-contextual", "0", "2"),            // P = 0.119: kept
            Self.row("neutral", "0.1", "0", tie: true),      // P = 0.525: a tie the model gets right, dropped
            Self.row("neutral", "2", "0", tie: true),        // P = 0.881: 0.381 from ½, kept
        ]
        let r = try RRMFilter.filter(rows, scorer: Self.scorer, threshold: 0.2, source: "aug.jsonl")
        #expect(r.rows.map { $0["chosen"] as! String } == ["0", "1", "0", "2"])
        #expect(r.kept == ["original": 1, "non-contextual": 2, "neutral": 1] && r.dropped == ["non-contextual": 1, "neutral": 1])
        // Threshold 0 keeps every row.
        #expect(try RRMFilter.filter(rows, scorer: Self.scorer, threshold: 0, source: "aug.jsonl").rows.count == rows.count)
    }

    @Test func messageListsAreRefusedNamingTheLine() {
        var chat = Self.row("non-contextual", "1", "0")
        chat["prompt"] = [["role": "user", "content": "q"]]
        #expect { try RRMFilter.filter([Self.row("original", "0", "1"), chat], scorer: Self.scorer, threshold: 0.2, source: "aug.jsonl") }
            throws: { "\($0)".contains("aug.jsonl:2") && "\($0)".contains("prompt") }
    }
}
