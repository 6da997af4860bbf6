// The evaluation targets: the annotations of `tokenalign eval credit` (ProcessBench's layout and the
// character-span layout) scored end to end, and the RewardBench-layout rows of `tokenalign eval rm`
// validated and scored under each benchmark's rules. The scores come from fixed functions of the
// tokens and texts (no model), so the parsing, the step reduction and the benchmark arithmetic are
// what is exercised.
import Datasets
import Experiments
import Foundation
import Rewards

extension FuzzHarness {
    /// A reward per response token that depends only on the token: some tokens look wrong.
    static var tokenIDReward: TokenRewardFunction {
        TokenRewardFunction(name: "token-id") { e in TokenRewards(values: e.response.map { Float(Int($0) % 7) - 3 }) }
    }

    /// `eval credit` rows: parsed and tokenised, then scored with every step reduction, at a fixed
    /// threshold and at the oracle one (few bootstrap resamples, for speed).
    @Sendable public static func credit(_ data: Data) -> Outcome {
        guard let tok = fixtureTokenizer else { return .refused("fixture tokenizer missing") }
        return outcome {
            let annotations = try CreditAnnotations.read(file(data, "annotations.jsonl").path, tokenizer: tok)
            for reduction in StepReduction.allCases {
                _ = CreditEvaluation.run(source: tokenIDReward, annotations: annotations, threshold: -1, reduction: reduction, resamples: 8, seed: 1)
            }
            _ = CreditEvaluation.run(source: tokenIDReward, annotations: annotations, threshold: nil, resamples: 8, seed: 2)
        }
    }

    /// Scores a response by its text alone (length and first byte), so ties and orderings vary.
    struct TextScorer: ResponseScorer {
        var name: String { "text" }
        func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
            items.map { Double($0.response.utf8.count % 5) + Double($0.response.utf8.first ?? 0) / 256 }
        }
    }

    /// `eval rm` rows: read, then validated and scored under RewardBench v1, v2 and RM-Bench (the
    /// robustness transformations included); accepted when any of the three takes them.
    @Sendable public static func rewardbench(_ data: Data) -> Outcome {
        let url = file(data, "bench.jsonl")
        let rows: [RMBenchRow]
        do { rows = try RMBenchRow.read(url.path) } catch { return .refused("\(error)") }
        var accepted = false, messages: [String] = []
        for scoring in RMScoring.allCases {
            switch outcome({ _ = try RMEvaluation.run(rows, scorer: TextScorer(), scoring: scoring, robustness: true) }) {
            case .accepted: accepted = true
            case .refused(let m): messages.append(m)
            }
        }
        return accepted ? .accepted : .refused(messages.joined(separator: " | "))
    }
}
