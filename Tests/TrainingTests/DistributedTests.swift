import Distributed
import Foundation
import Models
import Objectives
import Testing
@testable import Training

/// The pieces of data parallelism that need no second process.
@Suite struct DataParallelUnitTests {
    @Test func singleProcessCollectivesAreIdentities() throws {
        let c = SingleProcess()
        var v: [Float] = [1.5, -2, 3]
        try c.allReduceSum(&v)
        #expect(v == [1.5, -2, 3])
        #expect(try c.allReduceSum(["a": 2.0]) == ["a": 2.0])
        #expect(try c.allGatherVariable([1, 2, 3]) == [[1, 2, 3]])
        #expect(try c.broadcast([7, 8]) == [7, 8])
        #expect(try c.any(true) && !(try c.any(false)))
        let n = Normalizer(tokens: 12, sequences: 4, items: nil, chosenTokens: 5)
        #expect(try DataParallel.allReduce(n, c) == n)
    }

    /// Rank r takes the r-th block of `perRank` micro-batches; a short last window leaves the last
    /// ranks fewer (or none), never a micro-batch twice.
    @Test func shardsAreConsecutiveBlocks() {
        let micro = [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
        #expect(DataParallel.shard(micro, perRank: 2, rank: 0) == [[0, 1], [2, 3]])
        #expect(DataParallel.shard(micro, perRank: 2, rank: 1) == [[4, 5], [6, 7]])
        #expect(DataParallel.shard(micro, perRank: 2, rank: 2) == [[8]])
        #expect(DataParallel.shard(micro, perRank: 2, rank: 3).isEmpty)
    }

    /// Floats cross between ranks bit for bit (NaN payloads and −0 included), lengths are checked.
    @Test func wireRoundTripsBits() throws {
        var w = WireWriter()
        let floats: [Float] = [-0.0, .nan, 1e-38, 3.25, -.infinity]
        w.int(-5); w.floats(floats); w.string("ü\n"); w.optionalFloats(nil); w.optionalFloat(2.5); w.bool(true); w.ints([1, 2])
        var r = WireReader(w.bytes)
        #expect(try r.int() == -5)
        #expect(try r.floats().map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try r.string() == "ü\n")
        #expect(try r.optionalFloats() == nil)
        #expect(try r.optionalFloat() == 2.5)
        #expect(try r.bool())
        #expect(try r.ints() == [1, 2])
        #expect(r.atEnd)
        var short = WireReader(Array(w.bytes.prefix(12)))
        _ = try short.int()
        #expect(throws: DistributedError.self) { try short.floats() }
    }

    /// Without a launcher's variables the process is a world of one and never loads MPI.
    @Test func noLauncherMeansOneProcess() {
        #expect(!World.launched(["PATH": "/usr/bin"]))
        #expect(World.launched(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(World.launched(["PMIX_RANK": "0"]))
    }
}

/// `mpirun -np 2` against one process with the same global batch and seed (docs/design/distributed.md
/// §5). Tolerances: the two runs compute the very same micro-batches, but the one process adds the
/// micro-batch gradients in sequence, g₁ + g₂ + g₃ + g₄, while two ranks add (g₁ + g₂) + (g₃ + g₄);
/// float addition is not associative, so gradients differ by a few ulp (relative ~1e-7) and the
/// weights after a step by about as much. Measured here (tiny Llama, lr 1e-3, 2–3 steps): at most
/// 5e-7 in any weight, 4e-10 on average, 92 % of the weights bit-identical, losses equal to 1e-7.
/// Bounds: losses to a relative 1e-5; weights to 1e-5 at most (1 % of one learning-rate step:
/// AdamW divides by √v, so a rounding-level difference in a near-zero gradient entry can move its
/// weight by more than its own size) and 1e-8 on average.
@Suite(.serialized, .enabled(if: mpiAvailable, Comment(rawValue: mpiHint))) struct MPIParityTests {
    func sftData(_ n: Int) throws -> String {
        let words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "tokens", "credit"]
        return try writeJSONL((0 ..< n).map { i in
            ["prompt": "\(words[i % 10]) \(words[(i * 3) % 10])", "completion": " \(words[(i * 7) % 10]) \(words[(i + 4) % 10]) \(i % 5)"]
        })
    }

    func parameters(_ run: URL) throws -> [String: [Float]] {
        try PretrainedModel.load(path: run.appendingPathComponent("model").path).model.stateDict().mapValues(\.scalars)
    }

    /// (max |Δ|, mean |Δ|) over every parameter of two saved models.
    func difference(_ a: URL, _ b: URL) throws -> (max: Float, mean: Float) {
        let pa = try parameters(a), pb = try parameters(b)
        #expect(pa.keys.sorted() == pb.keys.sorted())
        var worst: Float = 0, sum = 0.0, n = 0
        for (k, x) in pa {
            guard let y = pb[k], y.count == x.count else { Issue.record("parameter \(k) differs in shape"); continue }
            for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)); sum += Double(abs(u - v)); n += 1 }
        }
        return (worst, Float(sum / Double(max(n, 1))))
    }

    func expectSameRun(_ one: URL, _ two: URL, learningRate: Float, steps: Int) throws {
        let l1 = try stepLosses(one), l2 = try stepLosses(two)
        #expect(l1.count == steps && l2.count == steps, "\(l1) vs \(l2)")
        for (a, b) in zip(l1, l2) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "losses \(l1) vs \(l2)") }
        let d = try difference(one, two)
        #expect(d.max <= 1e-2 * learningRate && d.mean <= 1e-8, "parameters differ by max \(d.max), mean \(d.mean)")
    }

    func check(_ r: (status: Int32, stdout: String, stderr: String), _ what: String) {
        #expect(r.status == 0, "\(what) exited \(r.status): \(r.stderr)")
    }

    @Test func sftTwoProcessesEqualOne() throws {
        let model = try modelFolder().path, data = try sftData(16)
        let common = ["sft", "--model", model, "--data", data, "--batch-size", "2", "--max-steps", "3", "--learning-rate", "1e-3",
                      "--schedule", "constant", "--seed", "3"]
        let one = temporaryDirectory(), two = temporaryDirectory()
        // Global batch 8 rows: 2 × 4 × 1 process, 2 × 2 × 2 processes.
        check(try runSingle(common + ["--gradient-accumulation", "4", "--out", one.path]), "one process")
        check(try runMPI(Array(repeating: common + ["--gradient-accumulation", "2", "--out", two.path], count: 2)), "two processes")
        try expectSameRun(one, two, learningRate: 1e-3, steps: 3)
    }

    /// DPO with the reference log-probs precomputed, batch k by rank k mod 2 (the cache must equal
    /// the one-process cache exactly: each value is computed on one rank only).
    @Test func dpoTwoProcessesEqualOne() throws {
        let model = try modelFolder().path, data = try syntheticPreferences(train: 12, heldOut: 2).train
        let common = ["dpo", "--model", model, "--data", data, "--batch-size", "2", "--max-steps", "3", "--learning-rate", "1e-3",
                      "--schedule", "constant", "--seed", "5", "--precompute-ref"]
        let one = temporaryDirectory(), two = temporaryDirectory()
        check(try runSingle(common + ["--gradient-accumulation", "2", "--out", one.path]), "one process")
        check(try runMPI(Array(repeating: common + ["--gradient-accumulation", "1", "--out", two.path], count: 2)), "two processes")
        try expectSameRun(one, two, learningRate: 1e-3, steps: 3)
        let c1 = try Data(contentsOf: one.appendingPathComponent("ref_logps.safetensors"))
        let c2 = try Data(contentsOf: two.appendingPathComponent("ref_logps.safetensors"))
        #expect(c1 == c2, "the sharded reference cache differs from the one-process cache")
    }

    /// GRPO: the same flags (prompts_per_step is the whole rollout batch); each rank samples two
    /// whole groups with the generation batches the one process uses, so the first step's
    /// completions and rewards are identical and only the gradient sums differ in rounding. A dense reward (the
    /// sampled tokens' log-probs) keeps every advantage non-zero; `scale_rewards: batch` divides by
    /// the standard deviation of the whole rollout batch (a batch statistic across ranks), and the
    /// KL term reads the reference pass each rank runs on its own samples.
    @Test func grpoTwoProcessesEqualOne() throws {
        let model = try modelFolder().path
        let prompts = temporaryDirectory().path + ".jsonl"
        check(try runSingle(["data", "make", "--task", "add", "--digits", "1", "--kind", "prompts", "--n", "16", "--seed", "2", "--out", prompts]), "data")
        let config = temporaryDirectory().path + ".yaml"
        try "generation_batch_size: 8\n".write(toFile: config, atomically: true, encoding: .utf8)
        let one = temporaryDirectory(), two = temporaryDirectory()
        func args(_ out: URL) -> [String] {
            ["grpo", "--model", model, "--prompts", prompts, "--reward", "neg-trajectory-entropy", "--max-completion-length", "4",
             "--beta", "0.04", "--scale-rewards", "batch",
             "--num-generations", "4", "--prompts-per-step", "4", "--per-device-train-batch-size", "4", "--learning-rate", "1e-3",
             "--max-steps", "2", "--seed", "1", "--config", config, "--out", out.path]
        }
        check(try runSingle(args(one)), "one process")
        check(try runMPI(Array(repeating: args(two), count: 2)), "two processes")
        try expectSameRun(one, two, learningRate: 1e-3, steps: 2)
        func rewards(_ run: URL) throws -> [Double] {
            try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").compactMap {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double])?["reward"]
            }
        }
        // Step 1 samples from the same weights: the same completions, rewards equal bit for bit. Later
        // steps sample from weights that differ in rounding, and this reward is a sum of log-probs.
        let r1 = try rewards(one), r2 = try rewards(two)
        #expect(r1.count == 2 && r2.count == 2 && r1.first == r2.first, "step 1 sampled different completions: \(r1) vs \(r2)")
        for (a, b) in zip(r1, r2) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "rewards \(r1) vs \(r2)") }
    }

    /// A two-process run stopped after its step-2 checkpoint and resumed from it (`--resume latest`,
    /// every rank reading rank 0's checkpoint) ends where the uninterrupted two-process run does.
    @Test func twoProcessResumeEqualsUninterrupted() throws {
        let model = try modelFolder().path, data = try sftData(12)
        let common = ["sft", "--model", model, "--data", data, "--batch-size", "2", "--gradient-accumulation", "1",
                      "--learning-rate", "1e-3", "--schedule", "constant", "--seed", "9", "--save-steps", "2"]
        let full = temporaryDirectory(), parts = temporaryDirectory()
        check(try runMPI(Array(repeating: common + ["--max-steps", "4", "--out", full.path], count: 2)), "uninterrupted")
        check(try runMPI(Array(repeating: common + ["--max-steps", "2", "--out", parts.path], count: 2)), "first part")
        check(try runMPI(Array(repeating: common + ["--max-steps", "4", "--out", parts.path, "--resume", "latest"], count: 2)), "resumed")
        let d = try difference(full, parts)
        #expect(d.max == 0, "resumed parameters differ by up to \(d.max)")
        #expect(try stepLosses(full) == stepLosses(parts))
    }

    /// A two-process run whose rank dies (SIGKILL to one rank once the step-3 checkpoint exists;
    /// mpirun then ends the other and exits non-zero), resumed with `--resume latest` on two
    /// processes, ends where the uninterrupted run does, bit for bit. Checkpoints are atomic (a kill
    /// during a write leaves only a hidden temporary folder), so the latest one is always whole.
    @Test func twoProcessRunKilledAfterCheckpointResumes() throws {
        let model = try modelFolder().path, data = try sftData(12)
        let common = ["sft", "--model", model, "--data", data, "--batch-size", "2", "--learning-rate", "1e-4",
                      "--schedule", "constant", "--seed", "4", "--save-steps", "1", "--max-steps", "12"]
        let full = temporaryDirectory(), killed = temporaryDirectory()
        check(try runMPI(Array(repeating: common + ["--out", full.path], count: 2)), "uninterrupted")
        let job = try startMPI(Array(repeating: common + ["--out", killed.path], count: 2))
        let deadline = Date().addingTimeInterval(60)
        while job.isRunning, Date() < deadline,
              !FileManager.default.fileExists(atPath: killed.appendingPathComponent("checkpoint-3/trainer_state.json").path) {
            usleep(5_000)
        }
        let ranks = childProcesses(of: job.processIdentifier)
        #expect(!ranks.isEmpty, "no rank processes found under mpirun")
        if let victim = ranks.first { kill(victim, SIGKILL) }
        job.waitUntilExit()
        #expect(job.terminationStatus != 0, "mpirun exited 0 after a rank was killed")
        let latest = try #require(Trainer.latestCheckpoint(in: killed))
        #expect(latest.lastPathComponent != "checkpoint-12", "the job finished before it was killed")
        check(try runMPI(Array(repeating: common + ["--out", killed.path, "--resume", "latest"], count: 2)), "resumed")
        let d = try difference(full, killed)
        #expect(d.max == 0, "resumed from \(latest.lastPathComponent): parameters differ by up to \(d.max)")
    }

    /// `bench sft-step` under two ranks sums the gradients between the steps and reports, from rank 0
    /// only, both ranks' tokens and the all-reduce apart (the figures of BENCHMARKS.md).
    @Test func benchSFTStepReportsTheAllReduce() throws {
        let r = try runMPI(Array(repeating: ["bench", "sft-step", "--size", "tiny", "--batch", "2", "--context", "16", "--warmup", "1",
                                             "--repeats", "5", "--json"], count: 2))
        check(r, "bench")
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 1, "one JSON line from rank 0, got \(lines.count): \(r.stdout)")
        let row = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(row["processes"] as? Int == 2)
        let ms = try #require(row["ms_per_step"] as? Double), tokensPerSecond = try #require(row["tokens_per_s"] as? Double)
        #expect(abs(tokensPerSecond - 2 * 2 * 16 / (ms / 1000)) <= 1e-6 * tokensPerSecond, "tokens/s must count both ranks: \(row)")
        #expect((row["allreduce_ms"] as? Double ?? -1) >= 0 && (row["wait_ms"] as? Double ?? -1) >= 0)
        // The tiny model's gradients: every parameter, 4 bytes each.
        #expect((row["allreduce_mib"] as? Double ?? 0) > 1)
    }

    /// Rank 1 fails on its data (MPMD: it alone gets a broken file) while rank 0 waits in the first
    /// collective: the job must end non-zero with the rank and the reason, not hang.
    @Test func failingRankEndsTheJob() throws {
        let model = try modelFolder().path, good = try sftData(8)
        let bad = try writeJSONL([["prompt": "a", "completion": " b"], ["prompt": "c"]])
        let common = ["sft", "--model", model, "--batch-size", "2", "--max-steps", "2"]
        let r = try runMPI([common + ["--data", good], common + ["--data", bad]], timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.contains("rank 1 of 2") && r.stderr.contains(bad), "\(r.stderr)")
    }
}
