import Foundation
import Testing

/// Runs the built `tokenalign` binary; returns its exit status and standard error.
func runCLIStatus(_ args: [String]) throws -> (status: Int32, stderr: String) {
    let r = try runTokenAlign(args)
    return (r.status, r.stderr)
}

/// README, "Exit codes": 64 usage or invalid settings, 65 bad input data, 1 anything else; every
/// message names what is wrong and where.
@Suite struct ExitCodeTests {
    func yaml(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func invalidSettingsExit64FromFlagsAndFiles() throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 4, heldOut: 2).train
        let common = ["dpo", "--model", model.path, "--data", data, "--eval-only"]
        let flag = try runCLIStatus(common + ["--eval-fraction", "1"])
        #expect(flag.status == 64 && flag.stderr.contains("eval_fraction = 1.0"), "\(flag)")
        let nan = try runCLIStatus(common + ["--learning-rate", "nan"])
        #expect(nan.status == 64 && nan.stderr.contains("learning_rate = nan"), "\(nan)")
        let file = try yaml("beta: 0.1\nlora_rank: 0\n")
        let fromFile = try runCLIStatus(common + ["--config", file])
        #expect(fromFile.status == 64 && fromFile.stderr.contains("\(file):2: invalid setting lora_rank = 0"), "\(fromFile)")
        let unknown = try yaml("epoch: 2\n")
        let unknownKey = try runCLIStatus(common + ["--config", unknown])
        #expect(unknownKey.status == 64 && unknownKey.stderr.contains("\(unknown):1: unknown setting 'epoch'"), "\(unknownKey)")
        let deep = try yaml("loss: " + String(repeating: "[", count: 100_000) + "\n")
        let nested = try runCLIStatus(common + ["--config", deep])
        #expect(nested.status == 64 && nested.stderr.contains("\(deep):1: nested"), "\(nested)")
        let parse = try runCLIStatus(["dpo", "--no-such-flag"])
        #expect(parse.status == 64)
    }

    @Test func settingsFilesOfOtherCommandsAreBoundedToo() throws {
        let deep = try yaml(String(repeating: "[", count: 100_000))
        for command in [["grpo"], ["demo", "credit"]] {
            let r = try runCLIStatus(command + ["--config", deep])
            #expect(r.status == 64 && r.stderr.contains("\(deep):1: nested"), "\(command): \(r)")
        }
    }

    @Test func badDataExits65NamingFileLineAndField() throws {
        let model = try modelFolder()
        let rows = try writeJSONL([["prompt": "a", "chosen": " b", "rejected": " c"], ["prompt": "a", "chosen": " b"]])
        let r = try runCLIStatus(["dpo", "--model", model.path, "--data", rows, "--eval-only"])
        #expect(r.status == 65 && r.stderr.contains("\(rows):2: field 'rejected' is missing"), "\(r)")
        let missing = try runCLIStatus(["dpo", "--model", model.path, "--data", "/nonexistent/rows.jsonl", "--eval-only"])
        #expect(missing.status == 65 && missing.stderr.contains("/nonexistent/rows.jsonl"), "\(missing)")
        let ids = try writeJSONL([["ids": [1, 2]], ["ids": [1, 99_999_999]]])
        let score = try runCLIStatus(["score", "--model", model.path, "--data", ids, "--out", ids + ".out"])
        #expect(score.status == 65 && score.stderr.contains("\(ids):2: field 'ids'"), "\(score)")
    }
}
