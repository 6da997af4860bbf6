// `tokenalign bench rl-step`: the wall-clock time of one online-RL step of `OnlineRLTrainer` (the
// loop behind `tokenalign grpo`), in the shape of a TRL `GRPOTrainer` step: 8 prompts × 4
// generations, 32-token prompts, 64 new tokens sampled at temperature 1 with no stop token (every
// completion is 64 tokens), GRPO advantages, PPO-clip loss (ε 0.2, token-mean aggregation), β = 0,
// one iteration, AdamW lr 1e-6, grad-norm clip 1. `bench/trl_grpo_step.py` times the same step with
// TRL and with plain PyTorch; `bench/compare_rl.sh` runs them side by side (BENCHMARKS.md).
//
// The model is a Llama with random weights (seed 0) at a `BenchSize` shape (`rlStepLlama`): the
// size's layers, d_model, heads and vocabulary, head dim d/heads, 2 KV heads (GQA), SwiGLU
// intermediate 8/3·d rounded to the nearest multiple of 64, RoPE θ 10 000, RMSNorm ε 1e-6, untied LM
// head. No tokenizer is involved: prompts are random ids (seed 1) and the reward is the fraction of
// even ids in the completion, which varies within a group (the mean `reward_std` is reported). The
// trainer still takes a `Tokenizer` (it decodes completion texts for text rewards): a 256-byte one
// with no special tokens, so no id stops generation.
import ArgumentParser
import CAllocationCounter
import Datasets
import Foundation
import Models
import OnlineRL
import TensorCore
import Tokenizers
import Training

/// The Llama that `bench rl-step` and `bench/trl_grpo_step.py` build for a bench size.
func rlStepLlama(_ s: BenchSize, positions: Int) -> LlamaConfiguration {
    let intermediate = Int((Double(8 * s.dModel) / 3 / 64).rounded()) * 64
    return LlamaConfiguration(vocabSize: s.vocab, hiddenSize: s.dModel, intermediateSize: intermediate, numHiddenLayers: s.layers,
                              numAttentionHeads: s.heads, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 10_000,
                              tieWordEmbeddings: false, maxPositionEmbeddings: max(s.context, positions))
}

/// Fraction of even token ids in a completion (tokenizer-free, deterministic).
struct EvenIDFraction: SequenceRewardFunction {
    var name: String { "even_ids" }
    func score(_ c: Completion) throws -> Float {
        c.ids.isEmpty ? 0 : Float(c.ids.reduce(0) { $0 + ($1 % 2 == 0 ? 1 : 0) }) / Float(c.ids.count)
    }
}

struct RLStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rl-step",
        abstract: "One online-RL (GRPO) step: sample prompts × generations completions, reward, advantages, one PPO-clip update.")
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny or small (random-weight Llama of that bench size).")
    var sizes: [String] = ["tiny", "small"]
    @Option(help: "Prompts per step.") var prompts: Int = 8
    @Option(help: "Completions sampled per prompt.") var generations: Int = 4
    @Option(help: "Prompt tokens (random ids).") var promptLength: Int = 32
    @Option(help: "New tokens per completion (no stop token: always this many).") var newTokens: Int = 64
    @Option(help: "Completions per forward/backward pass of the update (default: all in one pass, as TRL's per_device_train_batch_size = prompts × generations).")
    var microBatch: Int?
    @Option(help: "Timed steps (best and median reported).") var steps: Int = 5
    @Option(help: "Untimed warm-up steps.") var warmup: Int = 2
    @Flag(help: "Print one JSON object per size instead of a table.") var json = false

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil {
            throw ValidationError("unknown size '\(s)'; expected one of \(BenchSize.all.map(\.name).joined(separator: ", "))")
        }
        guard prompts > 0, generations >= 2, promptLength > 0, newTokens > 0 else {
            throw ValidationError("--prompts, --prompt-length and --new-tokens must be positive and --generations ≥ 2")
        }
        guard steps >= 1, warmup >= 0 else { throw ValidationError("--steps must be ≥ 1 and --warmup ≥ 0") }
        if let m = microBatch, m < 1 { throw ValidationError("--micro-batch must be ≥ 1") }
    }

    func run() throws {
        let rows = try sizes.map { try measure(BenchSize.named($0)!) }
        emit(rows, json: json, columns: ["case", "size", "ms_per_step", "median_ms_per_step", "generated_tokens_per_s", "generate_ms",
                                         "update_ms", "peak_rss_mib"])
    }

    func measure(_ s: BenchSize) throws -> [String: Any] {
        let llama = rlStepLlama(s, positions: promptLength + newTokens)
        let policy = LlamaForCausalLM(llama, seed: 0)
        var rng = RandomGenerator(seed: 1)
        let total = warmup + steps
        let promptSet = (0 ..< prompts * total).map { i in
            RLPrompt(location: RowLocation(file: "random-ids", line: i + 1), text: "",
                     ids: (0 ..< promptLength).map { _ in Int(rng.next() % UInt64(s.vocab)) })
        }
        var c = OnlineRLConfiguration()
        c.model = "random Llama (\(s.name))"
        c.prompts = "random ids"
        c.rewards = ["even_ids"]
        c.seed = 0
        c.estimator = "grpo"
        c.policyLoss = "ppo"
        c.beta = 0
        c.numIterations = 1
        c.promptsPerStep = prompts
        c.numGenerations = generations
        c.maxCompletionLength = newTokens
        c.temperature = 1
        c.generationBatchSize = c.rolloutSize
        c.perDeviceTrainBatchSize = microBatch ?? c.rolloutSize
        c.learningRate = 1e-6
        c.weightDecay = 0
        c.maxGradNorm = 1
        c.maxSteps = total
        let bytes = try BPETrainer(vocabularySize: 256).train([])
        let trainer = try OnlineRLTrainer(configuration: c, policy: policy, reference: nil, tokenizer: bytes, prompts: promptSet,
                                          rewardFunctions: [EvenIDFraction()])

        var timed: [(step: Double, generate: Double, tokens: Double, rewardStd: Double)] = []
        var mallocs: [Double] = []
        var lastCount = ta_allocation_count()
        try trainer.run { event in
            guard case .step(let k, _, let m) = event else { return .continue }
            let now = ta_allocation_count()
            if k > warmup {
                let tokens = Double(m["completions/mean_length"] ?? 0) * Double(c.rolloutSize)
                timed.append((Double(m["step_ms"] ?? 0), Double(m["generate_ms"] ?? 0), tokens, Double(m["reward_std"] ?? 0)))
                mallocs.append(Double(now - lastCount))
            }
            lastCount = now
            return .continue
        }
        let stepMs = timed.map(\.step), generateMs = timed.map(\.generate), updateMs = timed.map { $0.step - $0.generate }
        let rates = timed.map { $0.tokens / ($0.step / 1000) }
        let params = policy.parameters().values.reduce(0) { $0 + Tensor.elementCount($1.value.shape) }
        return [
            "case": "rl-step", "implementation": "tokenalign", "size": s.name,
            "prompts": prompts, "generations": generations, "completions": c.rolloutSize, "prompt_tokens": promptLength,
            "new_tokens": newTokens, "micro_batch": c.perDeviceTrainBatchSize, "steps": steps, "warmup": warmup,
            "generated_tokens_per_step": timed.map(\.tokens).reduce(0, +) / Double(timed.count),
            "ms_per_step": stepMs.min()!, "median_ms_per_step": median(stepMs),
            "generated_tokens_per_s": rates.max()!, "median_generated_tokens_per_s": median(rates),
            "generate_ms": generateMs.min()!, "median_generate_ms": median(generateMs),
            "update_ms": updateMs.min()!, "median_update_ms": median(updateMs),
            "all_ms_per_step": stepMs.map { ($0 * 10).rounded() / 10 },
            "reward_std": timed.map(\.rewardStd).reduce(0, +) / Double(timed.count),
            "peak_rss_mib": peakRSSMiB(), "params": params, "threads": Parallel.threadCount,
            "heap_allocations_per_step": lastCount < 0 ? -1 : Int(median(mallocs)),
            "llama": ["layers": llama.numHiddenLayers, "d_model": llama.hiddenSize, "heads": llama.numAttentionHeads,
                      "kv_heads": llama.kvHeads, "intermediate": llama.intermediateSize, "vocab": llama.vocabSize,
                      "tied_embeddings": llama.tieWordEmbeddings],
        ]
    }
}
