// `tokenalign data crew-pairs` and `tokenalign eval rm --judge` (docs/design/rewards.md §9): the pairs
// file is TRL's preference format with a correct chosen and a wrong rejected response per row, and a
// judge that cannot work is a usage error (exit 64).
import ArgumentParser
import Foundation
import Testing
import TestSupport
import TrainedFixtures
@testable import TokenAlignCLI

@Suite(.serialized) struct JudgeCommandTests {
    @Test func crewPairsWritesPreferenceRows() throws {
        let setup = try AdditionSetup.shared.get()
        let out = TestFiles.temporaryPath("pairs.jsonl")
        try run(["data", "crew-pairs", "--model", setup.sftModel, "--data", setup.trainPrompts, "--samples", "8", "--max-new-tokens", "6",
                 "--temperature", "1.5", "--seed", "3", "--out", out])
        let rows = try TestFiles.readRows(out)
        #expect(!rows.isEmpty)
        for r in rows {
            #expect(r["prompt"] is String && r["chosen"] is String && r["rejected"] is String)
            #expect(r["chosen"] as? String != r["rejected"] as? String)
        }
        #expect { try run(["data", "crew-pairs", "--model", setup.sftModel, "--data", setup.trainPrompts, "--samples", "1", "--out", out]) }
            throws: { ExitCodes.code(for: $0) == 64 }
    }

    @Test func evalRMJudgeErrorsAreUsageErrors() throws {
        let model = try TestFiles.modelFolder()
        let rm = try TestFiles.rewardModelFolder(tokenizer: model.appendingPathComponent("tokenizer.json")).path
        let bench = try TestFiles.writeRows([["prompt": "2+2=", "chosen": "The answer is 4", "rejected": "The answer is 5", "subset": "math-prm"]])
        #expect { try run(["eval", "rm", "--judge", "crew:\(rm)", "--bench", bench]) } throws: {
            ExitCodes.code(for: $0) == 64 && "\($0)".contains("reward-model folder")
        }
        #expect { try run(["eval", "rm", "--judge", "judge:\(model.path)", "--bench", bench]) } throws: {
            ExitCodes.code(for: $0) == 64 && "\($0)".contains("must be one token")
        }
        #expect { try run(["eval", "rm", "--judge", "crew:\(model.path)", "--model", model.path, "--bench", bench]) } throws: { ExitCodes.code(for: $0) == 64 }
        try run(["eval", "rm", "--judge", "crew:\(model.path)", "--bench", bench])
    }
}
