// `tokenalign bench trie`: what Saffron-1's trie KV cache (arXiv 2506.06444; `TrieKVCache`,
// docs/design/search.md §7) saves in wall time, measured against the same search without it in the
// same run. The workload is Saffron's own search: a prompt of P random tokens, --budget nodes kept per
// depth, at most --children children each, --new-tokens depths, with the `bench rl-step` Llama (random
// weights) as the policy and a second copy as the multifurcation reward model. Without the trie every
// depth re-runs prompt + prefix for both models; with it, each node runs its newest token. Both runs
// must choose the same answers; the row says so (`same_outputs`).
import ArgumentParser
import Foundation
import Models
import OnlineRL
import Search
import TensorCore
import Tokenizers
import Decoding
import Datasets

struct TrieBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trie",
        abstract: "Saffron's tree search with and without the trie KV cache (policy and multifurcation reward model).")
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny, small or gpt2 (Llama shapes, random weights).")
    var sizes: [String] = ["tiny"]
    @Option(help: "Prompt tokens.") var promptLength: Int = 64
    @Option(help: "Search depths (new tokens).") var newTokens: Int = 16
    @Option(help: "Nodes kept per depth.") var budget: Int = 8
    @Option(help: "Most children per node.") var children: Int = 4
    @OptionGroup var options: BenchOptions

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil { throw ValidationError("unknown size '\(s)'") }
        guard promptLength > 0, newTokens > 0, budget > 0, children > 0 else {
            throw ValidationError("--prompt-length, --new-tokens, --budget and --children must be positive")
        }
    }

    func run() throws {
        let bytes = try BPETrainer(vocabularySize: 256).train([])
        var rows: [[String: Any]] = []
        for name in sizes {
            let s = BenchSize.named(name)!
            guard children <= s.vocab else { throw ValidationError("--children \(children) exceeds the vocabulary of \(s.vocab) tokens") }
            let policyModel = LlamaForCausalLM(rlStepLlama(s, positions: promptLength + newTokens), seed: 0)
            let mrmModel = LlamaForCausalLM(rlStepLlama(s, positions: promptLength + newTokens), seed: 1)
            var rng = RandomGenerator(seed: 1)
            let ids = (0 ..< promptLength).map { _ in Int(rng.next() % UInt64(s.vocab)) }
            let prompt = RLPrompt(location: RowLocation(file: "bench", line: 1), text: "", ids: ids, columns: [:])
            let params = GenerationParameters(maxNewTokens: newTokens, temperature: 1, seed: 3)
            var settings = SearchSettings()
            settings.budget = budget
            settings.maxChildren = children
            settings.saffronTopP = 1
            let search = SaffronSearch(settings)
            func once(trie: Bool, _ ledger: inout CostLedger) throws -> SearchResult {
                let policy = SearchPolicy(model: policyModel, tokenizer: bytes, parameters: params, trieCache: trie)
                let mrm = MultifurcationScorer(model: mrmModel, seenTokens: nil, padID: 0, trieCache: trie)
                return try search.search(prompt, index: 0, policy: policy, scorer: mrm, ledger: &ledger)
            }
            var a = CostLedger(), b = CostLedger(), scratch = CostLedger()
            let ra = try once(trie: false, &a), rb = try once(trie: true, &b)
            let same = ra.answer == rb.answer && ra.samples == rb.samples
            let tPlain = try measure(warmup: options.warmup, repeats: options.repeats) { _ = try once(trie: false, &scratch) }
            let tTrie = try measure(warmup: options.warmup, repeats: options.repeats) { _ = try once(trie: true, &scratch) }
            rows.append([
                "case": "trie", "size": name, "prompt_tokens": promptLength, "new_tokens": newTokens, "budget": budget, "children": children,
                "plain_ms": tPlain.min()! * 1000, "trie_ms": tTrie.min()! * 1000, "median_plain_ms": median(tPlain) * 1000,
                "median_trie_ms": median(tTrie) * 1000, "speedup": tPlain.min()! / tTrie.min()!,
                "plain_tokens": a.policy.tokens + a.scoring.tokens, "trie_tokens": b.policy.tokens + b.scoring.tokens,
                "same_outputs": same ? "yes" : "NO",
            ])
        }
        emit(rows, json: options.json, columns: ["case", "size", "plain_ms", "trie_ms", "speedup", "median_plain_ms", "median_trie_ms",
                                                "plain_tokens", "trie_tokens", "same_outputs"])
    }
}
