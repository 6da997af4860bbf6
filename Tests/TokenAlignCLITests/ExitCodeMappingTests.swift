import ArgumentParser
import Datasets
import Foundation
import Testing
import Training
@testable import TokenAlignCLI

/// The exit-code convention (README, "Exit codes") by error type, the `--on-nonfinite` flag, and
/// the JSONL writer's non-finite check.
@Suite struct ExitCodeMappingTests {
    @Test func errorsMapToTheDocumentedCodes() throws {
        let location = RowLocation(file: "d.jsonl", line: 3)
        #expect(ExitCodes.code(for: DatasetError.missingField(location, field: "rejected")) == 65)
        #expect(ExitCodes.code(for: InputDataError("d.jsonl:3: bad row")) == 65)
        #expect(ExitCodes.code(for: ValidationError("--n must be ≥ 1")) == 64)
        #expect(ExitCodes.code(for: TrainingError.invalidSetting(key: "beta", value: "0.0", requirement: "a finite number > 0")) == 64)
        #expect(ExitCodes.code(for: TrainingError.configurationFile(path: "r.yaml", line: 1, reason: "nested")) == 64)
        #expect(ExitCodes.code(for: TrainingError.unknownSetting(key: "epoch", suggestion: "epochs")) == 64)
        #expect(ExitCodes.code(for: TrainingError.nonFinite(step: 3, quantity: "loss", value: .nan, rows: [location])) == 1)
        #expect(ExitCodes.code(for: CocoaError(.fileWriteNoPermission)) == 1)
        #expect(throws: (any Error).self) { _ = try TokenAlignCommand.parseAsRoot(["dpo", "--no-such-flag"]) }
        do { _ = try TokenAlignCommand.parseAsRoot(["dpo", "--no-such-flag"]) } catch { #expect(ExitCodes.code(for: error) == 64) }
    }

    @Test func onNonFiniteFlagReachesTheConfiguration() throws {
        #expect(try TrainingArguments.parse(["--on-nonfinite", "skip"]).configuration(task: .sft).onNonfinite == .skip)
        #expect(try TrainingArguments.parse([]).configuration(task: .sft).onNonfinite == .stop)
        #expect(throws: (any Error).self) { _ = try TrainingArguments.parse(["--on-nonfinite", "ignore"]) }
    }

    @Test func writeJSONLNamesFileRowAndField() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).jsonl").path
        #expect {
            try writeJSONL([["ids": [1, 2], "logprobs": [-0.5]], ["ids": [1, 2, 3], "logprobs": [-0.5, Double.infinity]]], to: path)
        } throws: { error in
            "\(error)".hasPrefix("\(path):2: field 'logprobs[1]' is inf")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
