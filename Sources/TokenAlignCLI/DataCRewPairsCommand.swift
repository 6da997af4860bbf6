// `tokenalign data crew-pairs`: CRew-DPO's preference pairs (arXiv 2510.13501): N samples per prompt,
// each scored by correctness (the CreditBench verifier, or the row's `answer` column) and by the
// model's own CRew confidence in its answer; chosen = the most confident correct sample, rejected = the
// most confident wrong one. TRL's preference format, so `tokenalign dpo --data` trains on it.
// docs/design/rewards.md §9.4.
import ArgumentParser
import Foundation
import OnlineRL
import Search

struct DataCRewPairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crew-pairs",
        abstract: "Sample responses, score correctness and CRew confidence, and write CRew-DPO preference pairs.")

    @OptionGroup var model: ModelArguments
    @Option(help: "Prompt-only JSONL: CreditBench rows (\"prompt\", \"task\") or rows with an \"answer\" column.") var data: String
    @Option(help: "Samples per prompt.") var samples: Int = 8
    @Option(help: "Output JSONL (prompt, chosen, rejected, chosen_confidence, rejected_confidence).") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Sampling temperature.") var temperature: Float = 1
    @Option(help: "Token budget of a response.") var maxNewTokens: Int = 32
    @Option(help: "Stop a response at this string (repeatable).") var stop: [String] = ["\n"]
    @Option(help: "CRew's aggregate over the answer tokens: mean or geometric.") var aggregate: String = "mean"
    @Option(help: "The text after which a free-text answer starts (\\boxed{} is found first).") var marker: String = AnswerSpan.defaultMarker
    @Flag(help: "Add the tokenizer's special tokens to each prompt.") var addSpecialTokens = false

    func validate() throws {
        guard samples >= 2 else { throw ValidationError("--samples must be ≥ 2, got \(samples)") }
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
        guard aggregate == "mean" || aggregate == "geometric" else { throw ValidationError("--aggregate is mean or geometric, got '\(aggregate)'") }
    }

    func run() throws {
        let sampled = try SampledPrompts(model: model, prompts: data, addSpecialTokens: addSpecialTokens, maxNewTokens: maxNewTokens,
                                         temperature: temperature, stop: stop, seed: seed)
        let (rows, policy) = (sampled.rows, sampled.policy)
        let crew = ConfidenceReward(model: LMJudgeModel(model: sampled.loaded.model, tokenizer: sampled.tokenizer, path: model.path),
                                    geometric: aggregate == "geometric", marker: marker)
        var output: [[String: Any]] = [], correct = 0
        let bar = ProgressLine(label: "crew-pairs")
        for (i, p) in rows.enumerated() {
            let made = try CRewPairs.row(p, index: i, policy: policy, samples: samples, seed: seed, crew: crew)
            if let r = made.row { output.append(r) }
            correct += made.scored.filter(\.correct).count
            bar.update(i + 1, of: rows.count)
        }
        bar.finish()
        try writeJSONL(output, to: out)
        FileHandle.standardError.write(Data(String(format: "%d pairs from %d prompts × %d samples (%.3f correct) written to %@\n",
                                                   output.count, rows.count, samples, Double(correct) / Double(max(rows.count * samples, 1)), out).utf8))
    }
}
