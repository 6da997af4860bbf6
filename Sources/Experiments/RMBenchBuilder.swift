// Reward-model benchmarks with known truth, in the RewardBench JSONL layout (`tokenalign data
// rm-bench`), so `tokenalign eval rm` runs offline end to end:
//
// - from CreditBench: per task, the verified-correct completion is chosen and the task's error
//   injector's output (which the verifier always rejects) is rejected; subset `creditbench-<task>`.
//   With k > 1 rejected responses per prompt (distinct injected errors) the rows are RewardBench 2's
//   best-of-(k+1) layout.
// - from sentiment samples: per prompt, the continuation with the highest VADER − profanity score is
//   chosen and the lowest rejected, when they differ by at least the margin; subset `sentiment`.
import CreditBench
import Foundation

public enum RMBenchBuilder {
    /// `n` rows per task; row i of a task is a pure function of (task, seed, i).
    public static func creditBench(tasks: [CreditTaskName], n: Int, seed: UInt64, rejectedPerPrompt k: Int = 1) throws -> [[String: Any]] {
        precondition(n >= 1 && k >= 1, "RMBenchBuilder.creditBench: n and k must be ≥ 1")
        var rows: [[String: Any]] = []
        for name in tasks {
            let task: any CreditTask
            do { task = try name.task() } catch { throw RMEvalError.usage("\(error)") }
            for i in 0 ..< n {
                let ex = task.example(seed: seed, index: i)
                var rejected: [String] = []
                var attempt: UInt64 = 0
                while rejected.count < k && attempt < UInt64(8 * k) {
                    let bad = task.injectedError(for: ex, seed: seed &+ 0x9E37 &* attempt, index: i)
                    attempt += 1
                    guard !task.verify(bad.response, for: ex).isCorrect, !rejected.contains(bad.response) else { continue }
                    rejected.append(bad.response)
                }
                guard !rejected.isEmpty else { continue }
                var row: [String: Any] = ["prompt": ex.prompt, "chosen": ex.completion, "subset": "creditbench-\(name.rawValue)",
                                          "id": "\(name.rawValue)-\(i)"]
                row["rejected"] = k == 1 ? rejected[0] as Any : rejected as Any
                rows.append(row)
            }
        }
        return rows
    }

    /// Best-vs-worst continuation per prompt by `score`, when the gap is at least `minimumMargin`.
    public static func ranked(prompts: [String], continuations: [[String]], score: (String) -> Double, minimumMargin: Double,
                              subset: String = "sentiment") -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for (i, (p, samples)) in zip(prompts, continuations).enumerated() {
            let scored = samples.filter { !$0.isEmpty }.map { (text: $0, score: score($0)) }.sorted { $0.score > $1.score }
            guard let best = scored.first, let worst = scored.last, best.score - worst.score >= minimumMargin else { continue }
            rows.append(["prompt": p, "chosen": best.text, "rejected": worst.text, "subset": subset, "id": "\(subset)-\(i)",
                         "chosen_score": best.score, "rejected_score": worst.score])
        }
        return rows
    }
}
