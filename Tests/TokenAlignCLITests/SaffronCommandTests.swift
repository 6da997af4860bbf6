// `tokenalign search --method saffron@mrm:DIR` end to end with and without the trie KV cache,
// `value-targets --teacher` + `reward --kind multifurcation`, and the bad inputs (exit code 64).
import Foundation
import Search
import TestSupport
import Testing
@testable import TokenAlignCLI
import TrainedFixtures

@Suite(.serialized) struct SaffronCommandTests {
    @Test func saffronWritesTheSameRowsWithAndWithoutTheTrie() throws {
        let s = try ChainSetup.shared.get()
        let m = try MultifurcationSetup.shared.get()
        let a = TestFiles.temporaryPath("plain.jsonl"), b = TestFiles.temporaryPath("trie.jsonl")
        let common = ["search", "--model", s.model, "--prompts", s.prompts, "--method", "saffron@mrm:\(m.folder)", "--budget", "4",
                      "--max-children", "3", "--stop", "\n", "--max-new-tokens", "24"]
        try run(common + ["--out", a])
        try run(common + ["--out", b, "--trie-cache"])
        let plain = try TestFiles.readRows(a), trie = try TestFiles.readRows(b)
        #expect(plain.count == 6 && trie.count == 6)
        for (x, y) in zip(plain, trie) {
            #expect(x["completion"] as? String == y["completion"] as? String && x["method"] as? String == "saffron")
            for key in ["policy_prefill_tokens", "policy_forward_calls", "scorer_prefill_tokens", "scorer_forward_calls", "wall_seconds", "correct"] {
                #expect(y[key] != nil, "missing \(key)")
            }
            // What ran with the trie plus what it saved is what ran without it.
            #expect((y["policy_prefill_tokens"] as! Int) + (y["policy_prefill_tokens_saved"] as! Int) == x["policy_prefill_tokens"] as! Int)
            #expect((y["scorer_prefill_tokens"] as! Int) + (y["scorer_prefill_tokens_saved"] as! Int) == x["scorer_prefill_tokens"] as! Int)
            #expect((y["scorer_prefill_tokens_saved"] as! Int) > 0)
        }
    }

    @Test func valueTargetsWithATeacherTrainAMultifurcationFolder() throws {
        let s = try ChainSetup.shared.get()
        let data = TestFiles.temporaryPath("targets.jsonl"), out = TestFiles.temporaryPath("mrm-run")
        try run(["value-targets", "--model", s.model, "--prompts", s.prompts, "--out", data, "--rollouts", "4", "--teacher", "verifier",
                 "--max-new-tokens", "24"])
        let rows = try TestFiles.readRows(data)
        #expect(!rows.isEmpty)
        for r in rows {
            // The oracle PRM's targets: 1 up to the first error, 0 from it on.
            let t = try #require(r["chosen_token_rewards"] as? [Double])
            #expect(t.allSatisfy { $0 == 0 || $0 == 1 } && t == t.sorted(by: >))
        }
        try run(["reward", "--kind", "multifurcation", "--model", s.model, "--data", data, "--out", out, "--max-steps", "2",
                 "--batch-size", "4", "--no-append-eos"])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/model/config.json"))) as! [String: Any]
        #expect(config["tokenalign_multifurcation"] as? Bool == true)
        #expect(((config["tokenalign_seen_tokens"] as? [Any])?.count ?? 0) > 0)
    }

    @Test func badInputExitsWithUsage() throws {
        let s = try ChainSetup.shared.get()
        let m = try MultifurcationSetup.shared.get()
        let out = TestFiles.temporaryPath("o.jsonl")
        func refused(_ extra: [String], _ needle: String) {
            do {
                try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--max-new-tokens", "4"] + extra)
                Issue.record("\(extra) must be refused")
            } catch {
                #expect("\(error)".contains(needle), "\(error)")
                #expect(ExitCodes.code(for: error) == ExitCodes.usage)
            }
        }
        refused(["--method", "saffron@judge:x"], "judge")
        refused(["--method", "saffron"], "needs a scorer")
        refused(["--method", "saffron@mrm:\(m.folder)", "--max-children", "513"], "--max-children 513 exceeds the policy's vocabulary of 512")
        refused(["--method", "saffron@mrm:\(s.model)"], "not a multifurcation reward model")
        // The same folder with another tokenizer.
        let other = URL(fileURLWithPath: TestFiles.temporaryPath("mrm-other"))
        try FileManager.default.copyItem(at: URL(fileURLWithPath: m.folder), to: other)
        try FileManager.default.removeItem(at: other.appendingPathComponent("tokenizer.json"))
        try FileManager.default.copyItem(at: TestFiles.fixtures.appendingPathComponent("tokenizers/tiny_lower.json"),
                                         to: other.appendingPathComponent("tokenizer.json"))
        refused(["--method", "saffron@mrm:\(other.path)"], "tokenizer differs from the policy's at id")
    }
}
