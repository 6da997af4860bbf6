// `tokenalign verifier-fit --method elhsr|clue` then `tokenalign search` and `generate --best-of`
// with `--scorer elhsr:FILE` / `clue:FILE` end to end on the add fixture (a tiny policy that is partly right), and the bad inputs
// (exit code 64).
import Foundation
import Search
import TestSupport
import Testing
@testable import TokenAlignCLI
import TrainedFixtures

@Suite(.serialized) struct VerifierFitCommandTests {
    @Test func fittedVerifiersScoreBestOfNInSearchAndGenerate() throws {
        let s = try AdditionSetup.shared.get()
        for method in ["elhsr", "clue"] {
            let file = TestFiles.temporaryPath("\(method).json"), out = TestFiles.temporaryPath("\(method)-search.jsonl")
            try run(["verifier-fit", "--method", method, "--model", s.sftModel, "--prompts", s.trainPrompts, "--out", file, "--rollouts", "2",
                     "--max-new-tokens", "6", "--steps", "30", "--seed", "4"])
            let verifier = try HiddenStateVerifier.read(file, flag: "test")
            #expect(verifier.method.rawValue == method && verifier.samples == 128 && verifier.correct > 0 && verifier.correct < 128)
            try run(["search", "--model", s.sftModel, "--prompts", s.evalPrompts, "--out", out, "--method", "best-of-n@\(method):\(file)",
                     "-n", "4", "--stop", "\n", "--max-new-tokens", "6"])
            let rows = try TestFiles.readRows(out)
            #expect(rows.count == 64)
            for r in rows {
                #expect(r["scorer_prefill_tokens"] as? Int == 0, "no scoring model runs")
                #expect(r["scorer_\(method)_tokens"] == nil)
                #expect((r["policy_prefill_tokens"] as? Int ?? 0) > 0 && r["score"] as? Double != nil)
            }
            let best = TestFiles.temporaryPath("\(method)-best.jsonl")
            try run(["generate", "--model", s.sftModel, "--prompts", s.evalPrompts, "--best-of", "3", "--scorer", "\(method):\(file)",
                     "--stop", "\n", "--max-new-tokens", "6", "--out", best])
            #expect(try TestFiles.readRows(best).count == 64)
        }
    }

    @Test func badInputsExitWithUsage() throws {
        let s = try ChainSetup.shared.get()
        let bad: [[String]] = [
            ["verifier-fit", "--method", "prm", "--model", s.model, "--prompts", s.prompts, "--out", TestFiles.temporaryPath("v.json")],
            ["verifier-fit", "--method", "clue", "--model", s.model, "--prompts", s.prompts, "--out", TestFiles.temporaryPath("v.json"),
             "--rollouts", "0"],
            ["search", "--model", s.model, "--prompts", s.prompts, "--out", TestFiles.temporaryPath("x.jsonl"), "--method", "best-of-n@elhsr"],
            ["search", "--model", s.model, "--prompts", s.prompts, "--out", TestFiles.temporaryPath("x.jsonl"),
             "--method", "best-of-n@clue:/nonexistent/clue.json"],
        ]
        for args in bad {
            do {
                try run(args)
                Issue.record("\(args) should fail")
            } catch {
                #expect(ExitCodes.code(for: error) == 64, "\(args): \(error)")
            }
        }
    }
}
