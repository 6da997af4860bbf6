// `tokenalign bench rm-eval`: reward-model scoring throughput — preference pairs scored per second
// by a backbone with a sequence reward head (`RewardHeadScorer`, what `tokenalign eval rm` runs),
// beside transformers' `AutoModelForSequenceClassification` forward on the same pairs, measured in
// the same run (`bench/hf_rm_eval.py`, started by this command). The head is untrained (seed 0):
// speed does not depend on its values. Pairs are random token ids (seed 1): a prompt of
// --prompt-length tokens followed by a chosen or a rejected response of --response-length tokens,
// so both sides score identical sequences with no tokenizer involved; every sequence has the same
// length, so there is no padding.
import ArgumentParser
import Experiments
import Foundation
import Support
import Models
import TensorCore
import Tokenizers
import Training

struct RMEvalBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm-eval",
        abstract: "Pairs scored per second by a reward model (backbone + sequence head), beside transformers' sequence-classification forward.")
    @Option(help: "A model folder or .gguf file (default: the SmolLM2-135M GGUF in .assets).")
    var model: String = ".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(help: "Pairs per timed run.") var pairs: Int = 16
    @Option(help: "Sequences per forward pass.") var batch: Int = 8
    @Option(help: "Prompt tokens.") var promptLength: Int = 64
    @Option(help: "Response tokens.") var responseLength: Int = 64
    @Option(help: "Python with torch and transformers for the baseline (default .venv-bench/bin/python when present; \"none\" skips it).")
    var python: String?
    @Option(help: "The Hugging Face folder transformers loads (default: --model converted into a temporary folder).") var hfModel: String?
    @Option(help: "Threads of the PyTorch baseline.") var threads: Int = 2
    @Option(help: "Rounds: each round times TokenAlign, then the baseline; each side reports its best round (the machine is shared).")
    var rounds: Int = 1
    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard pairs > 0, batch > 0, promptLength > 0, responseLength > 0, rounds > 0 else {
            throw ValidationError("--pairs, --batch, --prompt-length, --response-length and --rounds must be positive")
        }
    }

    func run() throws {
        let loaded = try PretrainedModel.load(path: model)
        guard let tokenizer = loaded.tokenizer else { throw ValidationError("\(model) has no tokenizer") }
        let head = RewardHead(hiddenSize: loaded.model.hiddenSize, seed: 0)
        let scorer = RewardHeadScorer(model: loaded.model, head: head, tokenizer: tokenizer, name: model)
        scorer.batchSize = batch
        var rng = RandomGenerator(seed: 1)
        let V = UInt64(loaded.model.vocabularySize)
        func ids(_ n: Int) -> [Int] { (0 ..< n).map { _ in Int(rng.next() % V) } }
        var seqs: [[Int]] = []
        for _ in 0 ..< pairs {
            let p = ids(promptLength)
            seqs.append(p + ids(responseLength))
            seqs.append(p + ids(responseLength))
        }
        // A pad id no sequence holds, so the head is read at the last token as transformers reads it.
        let pad = -1
        let py = python ?? (FileManager.default.isExecutableFile(atPath: ".venv-bench/bin/python") ? ".venv-bench/bin/python" : "none")
        var folder = hfModel
        var temporary: URL?
        if py != "none", folder == nil {
            let t = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-rm-eval-\(ProcessInfo.processInfo.processIdentifier)")
            try loaded.save(to: t)
            temporary = t
            folder = t.path
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        var ours: [[Double]] = [], theirs: [[String: Any]] = []
        for _ in 0 ..< rounds {
            ours.append(measure(warmup: options.warmup, repeats: options.repeats) { _ = scorer.scores(ids: seqs, padID: pad) })
            if py != "none" { theirs.append(try baseline(python: py, folder: folder!)) }
        }
        let times = ours.min { $0.min()! < $1.min()! }!
        var rows: [[String: Any]] = [[
            "case": "rm-eval", "implementation": "tokenalign", "model": model, "pairs": pairs, "batch": batch,
            "sequence_tokens": promptLength + responseLength, "rounds": rounds,
            "pairs_per_s": Double(pairs) / times.min()!, "median_pairs_per_s": Double(pairs) / median(times),
            "ms_per_pair": times.min()! * 1000 / Double(pairs), "peak_rss_mib": peakRSSMiB(), "threads": Parallel.threadCount,
            "all_rounds_pairs_per_s": ours.map { Double(pairs) / $0.min()! },
            "load_average_1m_at_end": (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap { $0.split(separator: " ").first.flatMap { Double($0) } } ?? -1,
        ]]
        if var best = theirs.max(by: { ($0["pairs_per_s"] as? Double ?? 0) < ($1["pairs_per_s"] as? Double ?? 0) }) {
            best["all_rounds_pairs_per_s"] = theirs.map { $0["pairs_per_s"] as? Double ?? 0 }
            rows.append(best)
            if let t = best["pairs_per_s"] as? Double, let o = rows[0]["pairs_per_s"] as? Double { rows[0]["speedup_vs_transformers"] = o / t }
        }
        emit(rows, json: options.json, columns: ["case", "implementation", "pairs_per_s", "median_pairs_per_s", "ms_per_pair", "peak_rss_mib",
                                                "speedup_vs_transformers"])
    }

    /// One run of `bench/hf_rm_eval.py` on `folder`: its JSON object.
    func baseline(python: String, folder: String) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["bench/hf_rm_eval.py", folder, "--pairs", "\(pairs)", "--batch", "\(batch)", "--prompt-length", "\(promptLength)",
                       "--response-length", "\(responseLength)", "--repeats", "\(options.repeats)", "--warmup", "\(options.warmup)",
                       "--threads", "\(threads)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
              let obj = try JSONValue.parse(String(line), file: "bench/hf_rm_eval.py output").foundationObject as? [String: Any] else {
            throw ValidationError("bench/hf_rm_eval.py failed (exit \(p.terminationStatus)); run it by hand to see why, or pass --python none")
        }
        return obj
    }
}
