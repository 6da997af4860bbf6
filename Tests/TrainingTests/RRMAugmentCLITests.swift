// `tokenalign data rrm-augment` (arXiv 2409.13156) end to end: the file holds the originals and
// --per-row marked non-contextual pairs per row, ties go to --ties-out, the same seed writes the
// same bytes, `tokenalign reward` trains on the output, and bad input exits 64 / 65 with the message.
import Datasets
import Foundation
import TestSupport
import Testing

@Suite struct RRMAugmentCLITests {
    static func pairs() throws -> String {
        try writeJSONL((0 ..< 6).map { ["prompt": "question \($0)", "chosen": " answer \($0) right", "rejected": " answer \($0) wrong"] })
    }

    @Test func writesMarkedRowsDeterministically() throws {
        let data = try Self.pairs()
        let out = TestFiles.temporaryPath("aug.jsonl"), again = TestFiles.temporaryPath("aug2.jsonl")
        let ties = TestFiles.temporaryPath("ties.jsonl")
        let r = try runCLIStatus(["data", "rrm-augment", "--data", data, "--out", out, "--seed", "3", "--per-row", "2", "--ties-out", ties])
        #expect(r.status == 0 && r.stderr.contains("6 original + 12 non-contextual") && r.stderr.contains("12 neutral"), "\(r.stderr)")
        let rows = try JSONLReader.read(out).map(\.object)
        #expect(rows.count == 18)
        #expect(rows.filter { $0["rrm_augmentation"] as? String == "original" }.count == 6)
        #expect(rows.filter { $0["rrm_augmentation"] as? String == "non-contextual" }.count == 12)
        #expect(try JSONLReader.read(ties).allSatisfy { $0.object["tie"] as? Bool == true })
        _ = try runCLIStatus(["data", "rrm-augment", "--data", data, "--out", again, "--seed", "3", "--per-row", "2", "--ties-out", ties])
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: again)))
        // The reward trainer reads the augmented file (the extra columns are ignored).
        let trained = try runCLIStatus(["reward", "--model", try modelFolder().path, "--data", out, "--max-steps", "1"])
        #expect(trained.status == 0, "\(trained.stderr)")
    }

    @Test func badInput() throws {
        let out = TestFiles.temporaryPath("aug.jsonl")
        let missing = try writeJSONL([["prompt": "a", "chosen": "x", "rejected": "y"], ["prompt": "b", "chosen": "x"], ["prompt": "c", "chosen": "x", "rejected": "z"]])
        let m = try runCLIStatus(["data", "rrm-augment", "--data", missing, "--out", out])
        #expect(m.status == 65 && m.stderr.contains(":2") && m.stderr.contains("rejected"), "\(m.status) \(m.stderr)")
        let one = try writeJSONL([["prompt": "a", "chosen": "x", "rejected": "y"], ["prompt": "b", "chosen": "x", "rejected": "w"]])
        let few = try runCLIStatus(["data", "rrm-augment", "--data", one, "--out", out])
        #expect(few.status == 65 && few.stderr.contains("two other prompts"), "\(few.status) \(few.stderr)")
        let k = try runCLIStatus(["data", "rrm-augment", "--data", try Self.pairs(), "--out", out, "--per-row", "9"])
        #expect(k.status == 64 && k.stderr.contains("--per-row"), "\(k.status) \(k.stderr)")
        let both = try runCLIStatus(["data", "rrm-augment", "--data", try Self.pairs(), "--out", out, "--ties", "--ties-out", TestFiles.temporaryPath("t.jsonl")])
        #expect(both.status == 64 && both.stderr.contains("--ties"), "\(both.status) \(both.stderr)")
        let gap = try runCLIStatus(["data", "rrm-augment", "--data", try Self.pairs(), "--out", out, "--filter-threshold", "1.5"])
        #expect(gap.status == 64 && gap.stderr.contains("--filter-threshold"), "\(gap.status) \(gap.stderr)")
        let notRM = try runCLIStatus(["data", "rrm-augment", "--data", try Self.pairs(), "--out", out, "--filter-model", try modelFolder().path])
        #expect(notRM.status == 64 && notRM.stderr.contains("no reward head"), "\(notRM.status) \(notRM.stderr)")
    }

    /// --ties puts the neutral pairs in the training file, which `tokenalign reward` trains (the tie
    /// loss); --filter-model keeps the originals and only the added pairs the model gets wrong.
    @Test func tiesInTheTrainingFileAndTheFilterStep() throws {
        let data = try Self.pairs()
        let out = TestFiles.temporaryPath("aug-ties.jsonl")
        let r = try runCLIStatus(["data", "rrm-augment", "--data", data, "--out", out, "--seed", "3", "--per-row", "2", "--ties"])
        #expect(r.status == 0 && r.stderr.contains("6 original + 12 non-contextual + 12 neutral (tie)"), "\(r.stderr)")
        let rows = try JSONLReader.read(out).map(\.object)
        #expect(rows.count == 30 && rows.filter { $0["tie"] as? Bool == true }.count == 12)
        let run = temporaryDirectory()
        let trained = try runCLIStatus(["reward", "--model", try modelFolder().path, "--data", data, "--max-steps", "2", "--out", run.path])
        #expect(trained.status == 0, "\(trained.stderr)")
        let onTies = try runCLIStatus(["reward", "--model", try modelFolder().path, "--data", out, "--max-steps", "1"])
        #expect(onTies.status == 0, "\(onTies.stderr)")
        // Threshold 0 keeps everything; threshold 1 keeps only the originals (no probability is 1 away from its target).
        let all = TestFiles.temporaryPath("aug-f0.jsonl"), originals = TestFiles.temporaryPath("aug-f1.jsonl")
        let rm = run.appendingPathComponent("model").path
        let f0 = try runCLIStatus(["data", "rrm-augment", "--data", data, "--out", all, "--seed", "3", "--per-row", "2", "--ties",
                                   "--filter-model", rm, "--filter-threshold", "0"])
        let kept = try JSONLReader.read(all).count
        #expect(f0.status == 0 && f0.stderr.contains("dropped none") && kept == 30, "\(f0.stderr)")
        let f1 = try runCLIStatus(["data", "rrm-augment", "--data", data, "--out", originals, "--seed", "3", "--per-row", "2", "--ties",
                                   "--filter-model", rm, "--filter-threshold", "1"])
        #expect(f1.status == 0 && f1.stderr.contains("dropped 12 neutral, 12 non-contextual"), "\(f1.stderr)")
        #expect(try JSONLReader.read(originals).allSatisfy { $0.object["rrm_augmentation"] as? String == "original" })
    }
}
