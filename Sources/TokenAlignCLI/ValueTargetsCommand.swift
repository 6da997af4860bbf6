// `tokenalign value-targets`: the training data of a token-supervised value model (TVM, arXiv
// 2407.12863). For each CreditBench prompt it samples --rollouts answers, verifies them, and writes
// the answers two by two as preference-format rows whose `chosen_token_rewards` and
// `rejected_token_rewards` are the TVM targets (the fraction of correct rollouts sharing each
// prefix). `tokenalign reward --token-level --no-append-eos` fits a head to them with squared error
// (the pairing is only the file format: that loss treats every row alike), or `tokenalign reward
// --kind value` with TVM's own per-token BCE on σ(head) (targets as soft labels); the folder either
// writes scores prefixes as `--scorer value:DIR`.
// With --teacher SCORER the targets are instead the teacher's prefix rewards r_t = R(x ⊕ y_≤t), the
// distillation data of a multifurcation reward model (Saffron-1, arXiv 2506.06444;
// `tokenalign reward --kind multifurcation`).
import ArgumentParser
import Datasets
import Foundation
import OnlineRL
import Search

struct ValueTargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "value-targets",
        abstract: "Sample and verify rollouts of CreditBench prompts and write TVM value targets for `tokenalign reward --token-level`.")

    @OptionGroup var model: ModelArguments
    @Option(help: "Prompt-only JSONL of CreditBench rows (\"prompt\", \"task\").") var prompts: String
    @Option(help: "Output JSONL (preference format with token rewards).") var out: String
    @Option(help: "Rollouts per prompt (even).") var rollouts: Int = 16
    @OptionGroup var sampling: RolloutSamplingOptions
    @Option(help: "Targets from this scorer's prefix rewards R(x ⊕ y_≤t) instead of rollout outcomes (verifier[:TASK], rm:DIR, value:DIR, …): the data of `tokenalign reward --kind multifurcation`.")
    var teacher: String?

    func validate() throws {
        guard rollouts >= 2 && rollouts % 2 == 0 else { throw ValidationError("--rollouts must be even and ≥ 2, got \(rollouts)") }
    }

    func run() throws {
        let sampled = try SampledPrompts(model: model, prompts: prompts, sampling: sampling)
        let (loaded, tokenizer, rows, policy) = (sampled.loaded, sampled.tokenizer, sampled.rows, sampled.policy)
        let teacherScorer = try teacher.map {
            try SequenceScorers.make($0, context: ScorerContext(tokenizer: tokenizer, vocabularySize: loaded.model.vocabularySize, maxNewTokens: sampling.maxNewTokens))
        }
        var output: [[String: Any]] = [], correctCount = 0, total = 0
        let bar = ProgressLine(label: "value-targets")
        for (i, p) in rows.enumerated() {
            let made = try TokenTargetRows.rows(p, index: i, policy: policy, rollouts: rollouts, seed: sampling.seed, teacher: teacherScorer)
            output += made.rows
            correctCount += made.correct
            total += rollouts
            bar.update(i + 1, of: rows.count)
        }
        bar.finish()
        try writeJSONL(output, to: out)
        FileHandle.standardError.write(Data(String(format: "%d rows from %d rollouts (%.3f correct) written to %@\n",
                                                   output.count, total, Double(correctCount) / Double(max(total, 1)), out).utf8))
    }
}
