// `tokenalign bench shared-prefix`: what sharing a context's prefill among its samples saves in wall
// time (`SearchPolicy.sharePrefixes`, docs/design/search.md §2), measured against the unshared call
// in the same run. The shape of one step-level beam expansion: R contexts (beams) of P tokens, b
// sampled continuations each (temperature 1, no stop token, so every row decodes all its tokens),
// on the `bench rl-step` Llama with random weights. Both calls must return the same tokens; the
// row says so (`same_outputs`).
import ArgumentParser
import Decoding
import Foundation
import Models
import Search
import TensorCore
import Tokenizers

struct SharedPrefixBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shared-prefix",
        abstract: "Search expansions with and without a shared prefill (contexts × samples, prompt → new tokens).")
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny, small or gpt2 (Llama shapes, random weights).")
    var sizes: [String] = ["tiny"]
    @Option(help: "Distinct contexts (beams).") var contexts: Int = 4
    @Option(help: "Samples per context.") var copies: Int = 8
    @Option(help: "Tokens per context.") var promptLength: Int = 96
    @Option(help: "New tokens per sample.") var newTokens: Int = 8
    @OptionGroup var options: BenchOptions

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil { throw ValidationError("unknown size '\(s)'") }
        guard contexts > 0, copies > 1, promptLength > 0, newTokens > 0 else {
            throw ValidationError("--contexts, --prompt-length and --new-tokens must be positive and --copies ≥ 2")
        }
    }

    func run() throws {
        let bytes = try BPETrainer(vocabularySize: 256).train([])
        var rows: [[String: Any]] = []
        for name in sizes {
            let s = BenchSize.named(name)!
            let model = LlamaForCausalLM(rlStepLlama(s, positions: promptLength + newTokens), seed: 0)
            model.eval()
            var rng = RandomGenerator(seed: 1)
            let V = UInt64(s.vocab)
            let ctx = (0 ..< contexts).map { _ in (0 ..< promptLength).map { _ in Int(rng.next() % V) } }
            let params = GenerationParameters(maxNewTokens: newTokens, temperature: 1, seed: 3)
            let plain = SearchPolicy(model: model, tokenizer: bytes, parameters: params)
            let shared = SearchPolicy(model: model, tokenizer: bytes, parameters: params, sharePrefixes: true)
            var a = CostLedger(), b = CostLedger()
            let same = plain.continueContexts(ctx, copies: copies, maxNewTokens: newTokens, seed: 3, ledger: &a)
                == shared.continueContexts(ctx, copies: copies, maxNewTokens: newTokens, seed: 3, ledger: &b)
            var scratch = CostLedger()
            let tPlain = measure(warmup: options.warmup, repeats: options.repeats) {
                _ = plain.continueContexts(ctx, copies: copies, maxNewTokens: newTokens, seed: 3, ledger: &scratch)
            }
            let tShared = measure(warmup: options.warmup, repeats: options.repeats) {
                _ = shared.continueContexts(ctx, copies: copies, maxNewTokens: newTokens, seed: 3, ledger: &scratch)
            }
            rows.append([
                "case": "shared-prefix", "size": name, "contexts": contexts, "copies": copies, "prompt_tokens": promptLength,
                "new_tokens": newTokens, "unshared_ms": tPlain.min()! * 1000, "shared_ms": tShared.min()! * 1000,
                "median_unshared_ms": median(tPlain) * 1000, "median_shared_ms": median(tShared) * 1000,
                "speedup": tPlain.min()! / tShared.min()!, "unshared_prefill_tokens": a.policy.prefillTokens,
                "shared_prefill_tokens": b.policy.prefillTokens, "same_outputs": same ? "yes" : "NO",
            ])
        }
        emit(rows, json: options.json, columns: ["case", "size", "unshared_ms", "shared_ms", "speedup", "median_unshared_ms", "median_shared_ms",
                                                "unshared_prefill_tokens", "shared_prefill_tokens", "same_outputs"])
    }
}
