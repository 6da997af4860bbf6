// `tokenalign data rrm-augment`: RRM's causal augmentation of a preference file (arXiv 2409.13156,
// `RRMAugmentation`, docs/design/rewards.md §6.1).
import ArgumentParser
import Datasets
import Experiments
import Foundation

struct DataRRMAugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rrm-augment",
        abstract: "RRM's causal data augmentation: add pairs where a response to the prompt beats a response to another prompt.",
        discussion: """
        For every row (prompt, chosen, rejected; strings or message lists) two partner rows with other prompts are drawn \
        (seeded). Of the 8 non-contextual pairs — either response of the row beats either response of a partner, under the \
        row's prompt — --per-row are added (pairs whose two sides are the same text are skipped). The output holds the \
        original rows (every column kept) then the added ones; every row has "\(RRMAugmentation.column)": original or \
        non-contextual, and added rows "\(RRMAugmentation.partnerColumn)" (the partner's line). RRM's neutral pairs (two \
        partner responses under the row's prompt: a tie, target P = ½) are added to --out with "tie": true when --ties is \
        given (`tokenalign reward` trains them with the tie loss), or written apart to --ties-out. With --filter-model, the \
        added pairs are scored by that reward model (trained on the original rows) and only those it gets wrong by at least \
        --filter-threshold in probability are kept (RRM's filter step); the original rows are always kept. Counts go to stderr.
        """)

    @Option(help: "Preference pairs (TRL-format JSONL with an explicit prompt).") var data: String
    @Option(help: "Output JSONL: the original rows and the non-contextual pairs.") var out: String
    @Option(help: "Seed: the same seed and data give the same rows.") var seed: UInt64 = 0
    @Option(help: "Non-contextual pairs added per row (1…8).") var perRow: Int = RRMAugmentation.defaultPerRow
    @Option(help: "Optional JSONL for the neutral (tie) pairs, --per-row (at most 6) per row.") var tiesOut: String?
    @Flag(help: "Add the neutral (tie) pairs, --per-row (at most 6) per row, to --out with \"tie\": true.") var ties = false
    @Option(help: "A sequence reward model (trained on the original rows) that filters the added pairs.") var filterModel: String?
    @Option(help: "Keep an added pair when |target − P(chosen ≻ rejected)| under --filter-model is at least this (target 1, or ½ for a tie).")
    var filterThreshold: Double = RRMFilter.defaultThreshold

    func validate() throws {
        guard (1 ... 8).contains(perRow) else { throw ValidationError("--per-row must be in 1…8 (a row has 8 non-contextual candidates), got \(perRow)") }
        if ties && tiesOut != nil { throw ValidationError("--ties adds the neutral pairs to --out; --ties-out writes them apart: give one") }
        guard filterThreshold.isFinite && (0 ... 1).contains(filterThreshold) else {
            throw ValidationError("--filter-threshold must be a probability gap in [0, 1], got \(filterThreshold)")
        }
    }

    func run() throws {
        let rows = try JSONLReader.read(data)
        let result: RRMAugmentation.Result
        do { result = try RRMAugmentation.augment(rows, seed: seed, perRow: perRow, ties: ties || tiesOut != nil) } catch let e as RRMAugmentationError {
            throw InputDataError("\(data): \(e.description)")
        }
        var written = result.rows + (ties ? result.ties : [])
        var c = result.counts
        if let filterModel {
            let scorer: RewardHeadScorer
            do { scorer = try RewardHeadScorer(folder: filterModel) } catch let e as RMEvalError { throw ValidationError("--filter-model \(e)") }
            let f = try RRMFilter.filter(written, scorer: scorer, threshold: filterThreshold, source: out)
            written = f.rows
            c = f.kept
            let dropped = f.dropped.keys.sorted().map { "\(f.dropped[$0]!) \($0)" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("filter (--filter-threshold \(filterThreshold)): dropped \(dropped.isEmpty ? "none" : dropped) the reward model already gets right\n".utf8))
        }
        try writeJSONL(written, to: out)
        if let tiesOut { try writeJSONL(result.ties, to: tiesOut) }
        let neutral = ties ? " + \(c["neutral"] ?? 0) neutral (tie)" : ""
        FileHandle.standardError.write(Data("\(c["original"] ?? 0) original + \(c["non-contextual"] ?? 0) non-contextual\(neutral) rows written to \(out)\(tiesOut.map { ", \(result.counts["neutral"] ?? 0) neutral (tie) rows to \($0)" } ?? "")\n".utf8))
    }
}
