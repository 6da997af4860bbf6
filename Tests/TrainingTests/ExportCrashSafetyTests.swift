import Checkpoints
import Foundation
import TensorCore
import Testing
@testable import Training

/// Model exports (`tokenalign convert`, a run's final `model/`) under kill -9 and a file-size limit
/// (docs/design/hardening.md §2): the destination is always the previous export or the new one,
/// whole, and an interrupted run's resume writes the uninterrupted run's model byte for byte.
@Suite(.serialized) struct ExportCrashSafetyTests {
    static let exportFiles = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

    /// The exported files of `dir` with their bytes (nil: the folder is absent).
    static func export(_ dir: URL) throws -> [String: Data]? {
        guard FileManager.default.fileExists(atPath: dir.path) else { return nil }
        return try CrashSafetyTests.snapshot(dir)
    }

    /// Names beside `dir` that an export leaves while it runs (`.<name>.tmp-<pid>`, `.<name>.old-<pid>`).
    static func temporaries(of dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(dir.lastPathComponent).") }
    }

    /// Two different exports of the fixture model: the model itself, and the model after two SFT steps.
    static func twoModels() throws -> (a: URL, b: URL) {
        let model = try modelFolder(), data = try CrashSafetyTests.sftData()
        let run = temporaryDirectory()
        let r = try runTokenAlign(CrashSafetyTests.arguments(model: model, data: data, out: run, steps: 2))
        try #require(r.status == 0, "\(r.stderr)")
        return (model, run.appendingPathComponent("model"))
    }

    /// kill -9 at 22 seeded random points of `convert` replacing an existing export: every time the
    /// folder is the old export or the new one, file for file; the next `convert` completes and
    /// leaves no temporary.
    @Test func killNineDuringAnExportLeavesTheOldOrTheNewFolder() throws {
        let (a, b) = try Self.twoModels()
        let base = temporaryDirectory().appendingPathComponent("exported")
        try #require(try runTokenAlign(["convert", "--model", a.path, "--out", base.path]).status == 0)
        let old = try #require(try Self.export(base))
        let fresh = temporaryDirectory().appendingPathComponent("exported")
        try #require(try runTokenAlign(["convert", "--model", b.path, "--out", fresh.path]).status == 0)
        let new = try #require(try Self.export(fresh))
        try #require(old != new && Set(old.keys) == Set(Self.exportFiles))
        var seeded = RandomGenerator(seed: 0xE4B0)  // the same kill points every run
        var outcomes: [String: Int] = [:]
        for trial in 0 ..< 22 {
            let out = temporaryDirectory().appendingPathComponent("exported")
            try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: base, to: out)
            let delayMicroseconds = UInt32(seeded.next() % 110_000)  // within the four 25 ms pauses, and after
            let child = try CrashSafetyTests.Child(["convert", "--model", b.path, "--out", out.path], pauseMilliseconds: 25)
            try #require(child.waitFor("export-write-begin exported\n"), "trial \(trial): \(child.text)")
            usleep(delayMicroseconds)
            kill(child.process.processIdentifier, SIGKILL)
            _ = child.finish()
            // A kill between the two renames leaves the old folder under its `.old-` name, which
            // the next writer puts back (AtomicFolder.recoverAbandoned); a reader would see none.
            if !FileManager.default.fileExists(atPath: out.path) { AtomicFolder.recoverAbandoned(out) }
            let left = try Self.export(out)
            let state = left == old ? "old" : left == new ? "new" : "mixed"
            outcomes[state, default: 0] += 1
            #expect(state != "mixed", "trial \(trial): \(out.path) holds \(left.map { $0.keys.sorted() } ?? [])")
            let again = try runTokenAlign(["convert", "--model", b.path, "--out", out.path])
            #expect(again.status == 0, "trial \(trial): \(again.stderr)")
            #expect(try Self.export(out) == new, "trial \(trial)")
            #expect(try Self.temporaries(of: out).isEmpty, "trial \(trial): temporaries left")
        }
        // The pauses make the write long, so most kills land inside it and leave the old folder.
        #expect((outcomes["old"] ?? 0) >= 11, "\(outcomes)")
    }

    /// A file-size limit below the weights' size while `convert` replaces an export: exit 1 with
    /// an error naming the folder and the file, the previous export byte for byte, no temporary.
    @Test func fileSizeLimitDuringAnExportKeepsThePreviousFolder() throws {
        let (a, b) = try Self.twoModels()
        let out = temporaryDirectory().appendingPathComponent("exported")
        try #require(try runTokenAlign(["convert", "--model", a.path, "--out", out.path]).status == 0)
        let before = try #require(try Self.export(out))
        let limitKB = try #require(before["model.safetensors"]).count / 1024 / 2
        let script = "ulimit -f \(limitKB); trap '' XFSZ; exec '\(try tokenalignExecutable().path)' convert --model '\(b.path)' --out '\(out.path)'"
        let r = try runProcess("/bin/bash", ["-c", script], timeout: 60)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("\(out.path): cannot write:") && r.stderr.contains("model.safetensors"), "\(r.stderr)")
        #expect(try Self.export(out) == before)
        #expect(try Self.temporaries(of: out).isEmpty)
    }

    /// kill -9 at three points of a run's final export: `model/` is absent or whole, and after
    /// `--resume latest` it equals the uninterrupted run's, byte for byte.
    @Test func killNineDuringTheFinalExportResumesToTheSameModel() throws {
        let model = try modelFolder(), data = try CrashSafetyTests.sftData()
        let reference = temporaryDirectory()
        try #require(try runTokenAlign(CrashSafetyTests.arguments(model: model, data: data, out: reference, steps: 2)).status == 0)
        let expected = try #require(try Self.export(reference.appendingPathComponent("model")))
        for delay: UInt32 in [5_000, 40_000, 90_000] {
            let out = temporaryDirectory()
            let child = try CrashSafetyTests.Child(CrashSafetyTests.arguments(model: model, data: data, out: out, steps: 2), pauseMilliseconds: 25)
            try #require(child.waitFor("export-write-begin model\n"), "\(child.text)")
            usleep(delay)
            kill(child.process.processIdentifier, SIGKILL)
            _ = child.finish()
            let left = try Self.export(out.appendingPathComponent("model"))
            #expect(left == nil || left == expected, "a partial export after a kill at \(delay) µs: \(left?.keys.sorted() ?? [])")
            let resumed = try runTokenAlign(CrashSafetyTests.arguments(model: model, data: data, out: out, steps: 2) + ["--resume", "latest"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try Self.export(out.appendingPathComponent("model")) == expected, "resumed after a kill at \(delay) µs")
            #expect(try Self.temporaries(of: out.appendingPathComponent("model")).isEmpty)
        }
    }
}
