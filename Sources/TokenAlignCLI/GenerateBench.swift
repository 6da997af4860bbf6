// `tokenalign bench generate`: batched prefill + greedy decoding with the KV cache, the shape of
// the PyTorch baseline's `infer` case (batch 8, 64 prompt tokens, 64 new tokens). With --guide, the
// same model also decodes with the guides (docs/design/decoding.md), timed in the same run beside
// the plain decode so the two ms/step compare like with like.
import ArgumentParser
import Autograd
import Decoding
import Foundation
import Guidance
import Models
import TensorCore
import Tokenizers

struct GenerateBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Prefill and decode throughput with the KV cache (greedy, batch × prompt → new tokens).")
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny, small or gpt2 (random GPT-2-style weights).")
    var sizes: [String] = ["tiny", "small"]
    @Option(help: "A model folder or .gguf file to benchmark instead of the synthetic sizes.")
    var model: String?
    @Option(parsing: .upToNextOption, help: "Rows decoded together (several values: each timed in the same run).")
    var batch: [Int] = [8]
    @Option(help: "Prompt tokens per row.") var promptLength: Int = 64
    @Option(help: "New tokens per row.") var newTokens: Int = 64
    @Option(parsing: .singleValue, help: "A decoding guide NAME:ARG to time beside plain decoding (repeatable; combined).") var guide: [String] = []
    @Option(parsing: .singleValue, help: "The weight of the --guide in the same position (default 1 each).") var weight: [Float] = []
    @Option(help: "Candidates per step for RAD / ARGS / PAD.") var guideTopK: Int = 10
    @Option(parsing: .upToNextOption, help: "With --model: weight storages to time in the same run (f32, bf16, q8_0, keep).")
    var weights: [WeightFormat] = [.f32]
    @Flag(help: "Also time decoding that keeps every layer's states (what the hidden-state verifiers read), beside plain decoding.")
    var recordStates = false
    @OptionGroup var options: BenchOptions

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil { throw ValidationError("unknown size '\(s)'") }
        if model == nil && weights != [.f32] { throw ValidationError("--weights needs --model (the synthetic sizes are float32 GPT-2s)") }
        guard !batch.isEmpty, batch.allSatisfy({ $0 > 0 }), promptLength > 0, newTokens > 1 else { throw ValidationError("batch, prompt and new tokens must be positive") }
        if !weight.isEmpty && weight.count != guide.count {
            throw ValidationError("--weight given \(weight.count) times for \(guide.count) --guide; pair them in order")
        }
    }

    func run() throws {
        var rows: [[String: Any]] = []
        if let path = model {
            // One storage at a time, so each is measured without the others resident.
            for format in weights {
                let loaded = try PretrainedModel.load(path: path, weights: format)
                let label = weights == [.f32] ? path : "\(URL(fileURLWithPath: path).lastPathComponent) \(format.rawValue)"
                rows += try measureAll(model: loaded.model, label: label, tokenizer: loaded.tokenizer, format: format)
            }
        } else {
            for name in sizes {
                let s = BenchSize.named(name)!
                var config = GPT2Configuration(vocabSize: s.vocab, nPositions: s.context, nEmbd: s.dModel, nLayer: s.layers, nHead: s.heads)
                config.nPositions = max(s.context, promptLength + newTokens)
                rows += try measureAll(model: GPT2LMHeadModel(config, seed: 0), label: name, tokenizer: nil, format: nil)
            }
        }
        var columns = ["case", "size", "batch", "new_tokens_per_s", "prefill_ms", "decode_ms_per_step",
                       "median_new_tokens_per_s", "median_decode_ms_per_step", "peak_rss_mib"]
        if model != nil && weights != [.f32] { columns.insert("weights", at: 2) }
        if !guide.isEmpty { columns.insert("guide", at: 2); columns += ["decode_slowdown", "guide_forward_tokens_per_step"] }
        if recordStates { columns += ["record_slowdown"] }
        emit(rows, json: options.json, columns: columns)
    }

    /// Every batch size for one model: plain decoding, and guided decoding beside it with --guide.
    func measureAll(model m: any LanguageModel, label: String, tokenizer: Tokenizers.Tokenizer?, format: WeightFormat?) throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for batch in batch {
            var plain = measure(model: m, label: label, batch: batch)
            if let format { plain["weights"] = format.rawValue }
            let states = recordStates ? [try statesRow(model: m, label: label, batch: batch, plain: plain)] : []
            guard !guide.isEmpty else {
                rows.append(plain)
                rows += states
                continue
            }
            let environment = GuideEnvironment(policy: m, tokenizer: tokenizer)
            let weights = weight.isEmpty ? [Float](repeating: 1, count: guide.count) : weight
            let terms = try zip(guide, weights).map { (guide: try Guides.make($0, environment: environment), weight: $1) }
            let guided = try GuidedLogits(terms: terms, topK: guideTopK, maxNewTokens: newTokens, padTokenID: 0)
            try guided.check(vocabularySize: m.vocabularySize, longestPrompt: promptLength)
            plain["guide"] = "none"
            var g = measure(model: m, label: label, batch: batch, processors: [guided])
            let described = zip(guide, weights).map { "\($0)×\($1)" }.joined(separator: " + ")
            g["guide"] = described + (guided.usesCandidates ? " (k \(guideTopK))" : "")
            let runs = Double(options.warmup + options.repeats)
            g["guide_forward_tokens_per_step"] = Double(guided.guideForwardTokens) / runs / Double(newTokens)
            if let a = g["decode_ms_per_step"] as? Double, let b = plain["decode_ms_per_step"] as? Double, b > 0 {
                g["decode_slowdown"] = a / b
            }
            rows += [plain, g] + states
        }
        return rows
    }

    /// Plain decoding again with a `LayerStateRecorder`, and its time over plain decoding's.
    func statesRow(model: any LanguageModel, label: String, batch: Int, plain: [String: Any]) throws -> [String: Any] {
        guard LayerStateRecorder(model: model, maxNewTokens: newTokens) != nil else {
            throw ValidationError("--record-states: \(model.modelType) does not hand out its layer states while decoding")
        }
        var row = measure(model: model, label: label, batch: batch, recordStates: true)
        row["case"] = "generate+states"
        if let a = row["decode_ms_per_step"] as? Double, let b = plain["decode_ms_per_step"] as? Double, b > 0 { row["record_slowdown"] = a / b }
        return row
    }

    func measure(model: any LanguageModel, label: String, batch: Int, processors: [LogitProcessor] = [], recordStates: Bool = false) -> [String: Any] {
        var rng = RandomGenerator(seed: 1)
        let V = UInt64(model.vocabularySize)
        let prompts = (0 ..< batch).map { _ in (0 ..< promptLength).map { _ in Int(rng.next() % V) } }
        let params = GenerationParameters(maxNewTokens: newTokens)
        var runs: [(total: Double, prefill: Double, decodePerStep: Double)] = []
        for i in 0 ..< options.warmup + options.repeats {
            var t = GenerationTimings()
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = Generator.generate(model: model, prompts: prompts, parameters: params, extraProcessors: processors, timings: &t,
                                   recorder: recordStates ? LayerStateRecorder(model: model, maxNewTokens: newTokens) : nil)
            let total = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if i >= options.warmup { runs.append((total, t.prefillSeconds, t.decodeSeconds / Double(max(t.decodeSteps, 1)))) }
        }
        let best = runs.min { $0.total < $1.total }!
        let med = runs.sorted { $0.total < $1.total }[runs.count / 2]
        let newCount = Double(batch * newTokens)
        return [
            "case": "generate", "size": label, "batch": batch, "prompt_tokens": promptLength, "new_tokens": newTokens,
            "new_tokens_per_s": newCount / best.total, "median_new_tokens_per_s": newCount / med.total,
            "prefill_ms": runs.map(\.prefill).min()! * 1000, "median_prefill_ms": med.prefill * 1000,
            "decode_ms_per_step": runs.map(\.decodePerStep).min()! * 1000, "median_decode_ms_per_step": med.decodePerStep * 1000,
            "peak_rss_mib": peakRSSMiB(),
        ]
    }
}

/// Loads a model folder or a .gguf file.
func loadLanguageModel(_ path: String) throws -> any LanguageModel {
    try PretrainedModel.load(path: path).model
}
