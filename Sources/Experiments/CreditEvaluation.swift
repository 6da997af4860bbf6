// Scoring a credit source against first-error annotations a user brings (`tokenalign eval credit`,
// docs/design/credit-eval.md). The source gives a reward per response token; the annotation says
// where the response first went wrong. Three readings, each a standard one:
//  - localisation (the CreditBench metrics): AUROC of the first error against the correct tokens
//    before it, and top-1 (the lowest reward among 0…e is e), at the token level and, for
//    ProcessBench rows, at the step level (a step's score is the min, mean or last of its tokens');
//  - ProcessBench's error / correct accuracies and F1 (arXiv 2412.06559), predicting the first
//    step whose score is below a threshold: at the threshold the user fixed, and at the oracle
//    threshold fitted on the same data (an optimistic ceiling, labelled as such).
// Rows of the span layout are their own steps (one per token), so both layouts get all three.
import Datasets
import Evaluation
import Foundation
import Rewards

/// How a step's tokens' rewards become the step's score.
public enum StepReduction: String, Sendable, CaseIterable, Codable {
    /// The lowest token reward: a step is as bad as its worst token.
    case min
    case mean
    /// The step's last token: where a process reward model reads its verdict.
    case last
}

/// One response's scores, for the per-response output.
public struct CreditEvaluationRow: Sendable, Codable {
    public var line: Int
    public var id: String?
    public var subset: String
    /// The annotation: first wrong step (ProcessBench) or token (span layout), −1 when right.
    public var label: Int
    /// The predicted first wrong step/token at the reported threshold, −1 for none.
    public var prediction: Int
    public var stepScores: [Float]
    public var tokenRewards: [Float]
}

public struct CreditEvaluationReport: Sendable, Codable {
    public var source: String
    public var responses: Int
    public var erroneous: Int
    public var stepReduction: StepReduction
    /// Token-level localisation over the erroneous responses (AUROC leaves out errors at token 0).
    public var tokenAUROC: Estimate
    public var tokenTop1: Estimate
    /// Step-level localisation (ProcessBench rows only; nil for span rows).
    public var stepAUROC: Estimate?
    public var stepTop1: Estimate?
    /// ProcessBench's metric at the user's threshold (nil when none was given).
    public var threshold: Float?
    public var processBench: ProcessBenchScore?
    /// ProcessBench's metric at the threshold that maximises it on these data (optimistic).
    public var oracleThreshold: Float
    public var oracleProcessBench: ProcessBenchScore
}

public enum CreditEvaluation {
    /// A step's score from its tokens' rewards.
    public static func stepScores(_ rewards: [Float], tokenSteps: [Int], stepCount: Int, reduction: StepReduction) -> [Float] {
        var lo = [Float](repeating: .infinity, count: stepCount), sum = [Float](repeating: 0, count: stepCount)
        var count = [Int](repeating: 0, count: stepCount), last = [Float](repeating: 0, count: stepCount)
        for (r, s) in zip(rewards, tokenSteps) {
            lo[s] = Swift.min(lo[s], r)
            sum[s] += r
            count[s] += 1
            last[s] = r
        }
        return (0 ..< stepCount).map { s in
            guard count[s] > 0 else { return .infinity }  // a step with no tokens can hold no error
            switch reduction {
            case .min: return lo[s]
            case .mean: return sum[s] / Float(count[s])
            case .last: return last[s]
            }
        }
    }

    /// Scores `source` on `annotations`.
    /// - Parameters:
    ///   - threshold: the fixed threshold for ProcessBench's prediction (nil: report only the oracle one).
    ///   - seed: for the bootstrap intervals (over responses).
    public static func run(source: any TokenRewardSource, annotations: [AnnotatedResponse], threshold: Float?,
                           reduction: StepReduction = .min, resamples: Int = 1000, seed: UInt64 = 0)
        -> (report: CreditEvaluationReport, rows: [CreditEvaluationRow]) {
        let episodes = annotations.map { Episode(prompt: $0.promptIDs, response: $0.responseIDs) }
        let rewards = source.tokenRewards(episodes).map(\.values)
        var tokenItems: [(prompt: Int, localisation: CreditLocalisation)] = []
        var stepItems: [(prompt: Int, localisation: CreditLocalisation)] = []
        var allSteps: [[Float]] = [], labels: [Int] = [], subsets: [String] = []
        var anySteps = false
        for (i, (a, r)) in zip(annotations, rewards).enumerated() {
            precondition(r.count == a.responseIDs.count, "\(source.name): \(r.count) rewards for \(a.responseIDs.count) tokens")
            if let e = a.firstErrorToken { tokenItems.append((i, CreditLocalisation(rewards: r, firstError: e))) }
            let steps: [Float], label: Int
            if let ts = a.tokenSteps, let n = a.stepCount, let l = a.firstErrorStep {
                anySteps = true
                steps = stepScores(r, tokenSteps: ts, stepCount: n, reduction: reduction)
                label = l
                if l >= 0 { stepItems.append((i, CreditLocalisation(rewards: steps, firstError: l))) }
            } else {
                steps = r
                label = a.firstErrorToken ?? -1
            }
            allSteps.append(steps)
            labels.append(label)
            subsets.append(a.subset)
        }
        let token = LocalisationSummary(tokenItems, resamples: resamples, seed: seed)
        let step = anySteps ? LocalisationSummary(stepItems, resamples: resamples, seed: seed &+ 2) : nil
        let oracle = FirstErrorRule.oracleThreshold(stepScores: allSteps, labels: labels, subsets: subsets)
        let used = threshold ?? oracle.threshold
        let predictions = allSteps.map { FirstErrorRule.predict(stepScores: $0, threshold: used) }
        let fixed = threshold.map { _ in
            ProcessBenchScore(labels.indices.map { FirstErrorPrediction(label: labels[$0], prediction: predictions[$0], subset: subsets[$0]) })
        }
        let report = CreditEvaluationReport(
            source: source.name, responses: annotations.count, erroneous: labels.filter { $0 >= 0 }.count, stepReduction: reduction,
            tokenAUROC: token.auroc, tokenTop1: token.top1, stepAUROC: step?.auroc, stepTop1: step?.top1,
            threshold: threshold, processBench: fixed, oracleThreshold: oracle.threshold, oracleProcessBench: oracle.score)
        let rows = annotations.indices.map { i in
            CreditEvaluationRow(line: annotations[i].location.line, id: annotations[i].id, subset: subsets[i], label: labels[i],
                                prediction: predictions[i], stepScores: allSteps[i], tokenRewards: rewards[i])
        }
        return (report, rows)
    }
}
