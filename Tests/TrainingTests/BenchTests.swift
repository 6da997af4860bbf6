import Foundation
import Testing

/// `bench sft-step` / `bench dpo-step` run and print the benchmark schema (docs/design/README.md,
/// "Benchmarks"; a smoke test on a short context, not the timed comparison with PyTorch).
@Suite struct TrainStepBenchTests {
    @Test(arguments: [("sft-step", "tokens_per_s"), ("dpo-step", "sequences_per_s")])
    func printsTheSchema(_ c: (String, String)) throws {
        let out = try runCLI(["bench", c.0, "--size", "tiny", "--context", "16", "--repeats", "5", "--warmup", "1", "--json"])
        let row = try #require(try JSONSerialization.jsonObject(with: Data(out.split(separator: "\n").last!.utf8)) as? [String: Any])
        #expect(row["case"] as? String == c.0 && row["size"] as? String == "tiny")
        for k in [c.1, "median_" + c.1, "ms_per_step", "median_ms_per_step", "peak_rss_mib"] {
            #expect((row[k] as? Double ?? 0) > 0, "\(k) missing in \(row)")
        }
    }
}

/// `bench rl-step` runs one online-RL step (rollout + update) and prints the fields BENCHMARKS.md
/// compares with TRL (a smoke test: one step without warm-up, no timing assertions).
@Suite struct RLStepBenchTests {
    @Test func printsTheSchema() throws {
        let out = try runCLI(["bench", "rl-step", "--size", "tiny", "--steps", "1", "--warmup", "0", "--json"])
        let row = try #require(try JSONSerialization.jsonObject(with: Data(out.split(separator: "\n").last!.utf8)) as? [String: Any])
        #expect(row["case"] as? String == "rl-step" && row["size"] as? String == "tiny")
        for k in ["ms_per_step", "median_ms_per_step", "generated_tokens_per_s", "generate_ms", "update_ms", "peak_rss_mib"] {
            #expect((row[k] as? Double ?? 0) > 0, "\(k) missing in \(row)")
        }
        // No stop token: every completion has all its new tokens.
        #expect((row["generated_tokens_per_step"] as? Double) == Double(8 * 4 * 64))
    }
}
