// Runs one searcher over a file's prompts: per prompt, its own ledger and wall time, the chosen
// answer and its score, and, when the row names a CreditBench task, whether the answer is correct
// (judged by the verifier outside the ledger: evaluation, not search) and the unbiased best-of-n
// accuracies of the method's sample pool.
import CreditBench
import Foundation
import OnlineRL

/// The outcome for one prompt.
public struct SearchRow: Sendable {
    public var result: SearchResult
    public var ledger: CostLedger
    /// Verifier's judgement of the chosen answer (nil when the row has no task).
    public var correct: Bool?
    /// n → E[accuracy of best-of-n by the method's scores] from the pool (rows with a task).
    public var bestOfNAccuracy: [Int: Double] = [:]
}

public enum SearchRun {
    /// Searches every prompt in order.
    /// - Parameter estimateN: values of n for the unbiased best-of-n accuracy (each ≤ the pool size).
    public static func run(_ searcher: any Searcher, prompts: [RLPrompt], policy: SearchPolicy, scorer: (any SequenceScorer)?,
                           estimateN: [Int] = [], progress: ((Int, Int) -> Void)? = nil) throws -> [SearchRow] {
        let judge = VerifierScorer(task: nil)
        var rows: [SearchRow] = []
        for (i, p) in prompts.enumerated() {
            var ledger = CostLedger()
            policy.trie?.removeAll()
            let start = ContinuousClock.now
            let r = try searcher.search(p, index: i, policy: policy, scorer: scorer, ledger: &ledger)
            let d = ContinuousClock.now - start
            ledger.wallSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            var row = SearchRow(result: r, ledger: ledger)
            if p.columns["task"] is String {
                var free = CostLedger()
                row.correct = try judge.scores(p, [r.answer], ledger: &free)[0] == 1
                if !estimateN.isEmpty {
                    guard r.sampleScores.count == r.samples.count, !r.samples.isEmpty else {
                        throw SearchError.invalidSetting("--estimate-n needs a method that scores a pool of samples (best-of-n, weighted-majority, early-reject)")
                    }
                    let gold = try judge.scores(p, r.samples, ledger: &free).map(Double.init)
                    for n in estimateN {
                        row.bestOfNAccuracy[n] = try BestOfNEstimator.expected(proxy: r.sampleScores, gold: gold, n: n)
                    }
                }
            }
            rows.append(row)
            progress?(i + 1, prompts.count)
        }
        return rows
    }
}
