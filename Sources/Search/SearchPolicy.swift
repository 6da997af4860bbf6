// The base model as searchers see it: "continue these contexts for at most k tokens", batched on
// the KV-cache decoder (`Generator.generate`), with every call's forward work written into the
// caller's `CostLedger`. The count is arithmetic from what the call did (rows × longest context for
// the prefill, rows per later step), so a test can check it against a model wrapper that counts
// the positions it is really fed.
import Decoding
import Models
import Tokenizers

/// Seeds of a search: one per (prompt, call), so the same `--seed` reproduces every number and
/// adding prompts does not change earlier prompts' draws.
public enum SearchSeeds {
    /// The seed of generation call `call` of prompt `prompt` in a run seeded with `seed`.
    public static func seed(_ seed: UInt64, prompt: Int, call: Int) -> UInt64 {
        seed &+ UInt64(truncatingIfNeeded: prompt) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: call) &* 0xBF58_476D_1CE4_E5B9
    }
}

/// One generated continuation.
public struct Continuation: Sendable, Equatable {
    /// The new ids (a stop token that ended it is included).
    public var ids: [Int]
    /// True when it ended on a stop token or a stop string (the answer is complete).
    public var finished: Bool
    /// Each layer's states from the decoding, when the call recorded them (`LayerStateRecorder`).
    public var layerStates: LayerStateRecord? = nil
}

/// A model plus its decoding settings.
public final class SearchPolicy: @unchecked Sendable {
    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    /// Temperature, top-k/p, stop tokens and strings, the pad id, the token budget of a whole answer.
    public let parameters: GenerationParameters
    /// Prefill each distinct context once and copy its cache rows to its samples
    /// (`SharedPrefixDecoding`); the outputs are the same, the prefill is smaller.
    public let sharePrefixes: Bool
    /// Saffron-1's trie KV cache (arXiv 2506.06444), kept across calls: every context starts from
    /// its stored positions and every computed position is stored (`TrieKVCache`); it also shares the
    /// prefill of sibling samples. Same outputs, fewer prefill tokens. `SearchRun` empties it before
    /// each prompt.
    public let trie: TrieKVCache?

    public init(model: any LanguageModel, tokenizer: Tokenizer, parameters: GenerationParameters, sharePrefixes: Bool = false,
                trieCache: Bool = false) {
        self.model = model
        self.tokenizer = tokenizer
        self.parameters = parameters
        self.sharePrefixes = sharePrefixes
        trie = trieCache ? TrieKVCache(model: model) : nil
    }

    /// Text of generated ids (special tokens skipped).
    public func text(_ ids: [Int]) -> String { tokenizer.decode(ids, skipSpecialTokens: true) }

    /// Continues every context `copies` times (context-major order) by at most `maxNewTokens`
    /// tokens, in one batch.
    /// - Parameters:
    ///   - greedy: argmax instead of the sampling settings.
    ///   - extraStops: stop strings for this call only (a step delimiter); a row that stops on one
    ///     is not `finished` unless it also holds one of the answer's own stop strings.
    ///   - hiddenStates: keep each layer's states while decoding (for a scorer that reads them) when
    ///     the model can; the one extra step this may take is booked as policy decode.
    public func continueContexts(_ contexts: [[Int]], copies: Int = 1, maxNewTokens: Int, seed: UInt64, greedy: Bool = false,
                                 extraStops: [String] = [], hiddenStates: Bool = false, ledger: inout CostLedger) -> [Continuation] {
        let rows = contexts.flatMap { [[Int]](repeating: $0, count: copies) }
        guard !rows.isEmpty, maxNewTokens > 0 else { return rows.map { _ in Continuation(ids: [], finished: false) } }
        var p = parameters
        p.maxNewTokens = maxNewTokens
        p.seed = seed
        if greedy { p.temperature = 0 }
        p.stopStrings = parameters.stopStrings + extraStops
        var steps = 0
        let decode: ([Int]) -> String = { [tokenizer] in tokenizer.decode($0, skipSpecialTokens: true) }
        let P = contexts.map(\.count).max() ?? 0
        let recorder = hiddenStates ? LayerStateRecorder(model: model, maxNewTokens: maxNewTokens) : nil
        let results: [GenerationResult]
        if sharePrefixes && copies > 1 || trie != nil {
            let columns: Int
            (results, steps, columns) = SharedPrefixDecoding.generate(model: model, contexts: contexts, copies: copies, parameters: p,
                                                                      decode: p.stopStrings.isEmpty ? nil : decode, trie: trie,
                                                                      recorder: recorder)
            ledger.recordGeneration(rows: rows.count, contextLength: P, steps: steps)
            let saved = rows.count * P - contexts.count * columns
            ledger.policy.prefillTokens -= saved
            ledger.policyPrefillSaved += saved
        } else {
            results = Generator.generate(model: model, prompts: rows, parameters: p, decode: p.stopStrings.isEmpty ? nil : decode,
                                         recorder: recorder) { _ in
                steps += 1
                return true
            }
            ledger.recordGeneration(rows: rows.count, contextLength: P, steps: steps)
        }
        if let recorder {
            ledger.policy.decodeTokens += recorder.extraPositions
            ledger.policy.forwardCalls += recorder.extraForwardCalls
        }
        return results.enumerated().map { i, r in
            let ended: Bool
            switch r.finishReason {
            case .stopToken: ended = true
            case .stopString: ended = parameters.stopStrings.contains { decode(r.tokens).contains($0) }
            case .length: ended = false
            }
            return Continuation(ids: r.tokens, finished: ended, layerStates: recorder?.records[i])
        }
    }

    /// `count` samples of whole answers to one prompt, in one batch (`hiddenStates`: with each
    /// layer's states, as `continueContexts` records them).
    public func sample(_ prompt: [Int], count: Int, seed: UInt64, greedy: Bool = false, hiddenStates: Bool = false,
                       ledger: inout CostLedger) -> [Continuation] {
        continueContexts([prompt], copies: count, maxNewTokens: parameters.maxNewTokens, seed: seed, greedy: greedy,
                         hiddenStates: hiddenStates, ledger: &ledger)
    }

    /// The generated ids without a final stop token (what scorers and verifiers read).
    public func body(_ ids: [Int]) -> [Int] {
        guard let last = ids.last, parameters.stopTokenIDs.contains(last) else { return ids }
        return Array(ids.dropLast())
    }
}
