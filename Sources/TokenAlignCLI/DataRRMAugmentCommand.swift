// `tokenalign data rrm-augment`: RRM's causal augmentation of a preference file (arXiv 2409.13156,
// `RRMAugmentation`, docs/design/rewards.md §6.1).
import ArgumentParser
import Datasets
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
        partner responses under the row's prompt: a tie) go to --ties-out with "tie": true; `tokenalign reward` trains \
        Bradley–Terry and has no tie loss, so they are not in --out. Counts go to stderr.
        """)

    @Option(help: "Preference pairs (TRL-format JSONL with an explicit prompt).") var data: String
    @Option(help: "Output JSONL: the original rows and the non-contextual pairs.") var out: String
    @Option(help: "Seed: the same seed and data give the same rows.") var seed: UInt64 = 0
    @Option(help: "Non-contextual pairs added per row (1…8).") var perRow: Int = RRMAugmentation.defaultPerRow
    @Option(help: "Optional JSONL for the neutral (tie) pairs, --per-row (at most 6) per row.") var tiesOut: String?

    func validate() throws {
        guard (1 ... 8).contains(perRow) else { throw ValidationError("--per-row must be in 1…8 (a row has 8 non-contextual candidates), got \(perRow)") }
    }

    func run() throws {
        let rows = try JSONLReader.read(data)
        let result: RRMAugmentation.Result
        do { result = try RRMAugmentation.augment(rows, seed: seed, perRow: perRow, ties: tiesOut != nil) } catch let e as RRMAugmentationError {
            throw InputDataError("\(data): \(e.description)")
        }
        try writeJSONL(result.rows, to: out)
        if let tiesOut { try writeJSONL(result.ties, to: tiesOut) }
        let c = result.counts
        FileHandle.standardError.write(Data("\(c["original"] ?? 0) original + \(c["non-contextual"] ?? 0) non-contextual rows written to \(out)\(tiesOut.map { ", \(c["neutral"] ?? 0) neutral (tie) rows to \($0)" } ?? "")\n".utf8))
    }
}
