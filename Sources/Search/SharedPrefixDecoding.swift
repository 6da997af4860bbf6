// Sibling samples share their parent's prefill: a one-level form of Saffron-1's trie KV cache
// (arXiv 2506.06444). When a searcher asks for b continuations of each of R contexts (best-of-N's N
// copies of the prompt, a beam's b next steps, an MCTS node's b children), the R contexts are run
// through the model once, their KV cache rows are copied b times, and decoding continues on all
// R·b rows exactly as `Generator.generate` would on the R·b repeated contexts: same processors, same
// seeded draws in the same row order, same stopping rules. Prefill positions drop from R·b·P to
// R·P; the ledger counts both (`policy.prefillTokens` what ran, `prefillTokensSaved` the rest).
// With a `TrieKVCache` (the full trie, kept across calls) the prefill also starts from the stored
// positions of each context, running only the T columns not stored (`TrieForward`'s layout), and every
// position computed here, prompt and generated tokens alike, is stored for the next call: a beam's
// next step or an MCTS child then prefills only what its parent's call did not feed.
import Autograd
import Decoding
import Foundation
import Models
import TensorCore

enum SharedPrefixDecoding {
    /// `Generator.generate` on `contexts` each repeated `copies` times (context-major row order),
    /// prefilling every context once (from `trie`'s stored positions when given). Returns the results,
    /// the forward passes run and the prefill columns run per context (P without a trie).
    /// A `recorder` keeps each layer's states as `Generator.generate` does.
    static func generate(model: any LanguageModel, contexts: [[Int]], copies: Int, parameters: GenerationParameters,
                         decode: (([Int]) -> String)?, trie: TrieKVCache? = nil,
                         recorder: LayerStateRecorder? = nil) -> (results: [GenerationResult], steps: Int, prefillColumns: Int) {
        precondition(!contexts.isEmpty && contexts.allSatisfy { !$0.isEmpty } && copies >= 1, "shared-prefix decoding: empty input")
        let R = contexts.count, B = R * copies
        let P = contexts.map(\.count).max()!
        let capacity = P + parameters.maxNewTokens
        var rng = RandomGenerator(seed: parameters.seed)
        let source = (0 ..< B).map { $0 / copies }
        let prompts = source.map { contexts[$0] }
        var mask = [Float]()
        for p in contexts { mask += [Float](repeating: 0, count: P - p.count) + [Float](repeating: 1, count: p.count) }
        let needsMask = contexts.contains { $0.count != P }
        // Columns L ..< P run; the first L come from the trie (none without one).
        let T = trie.map { t in contexts.map { $0.count - min(t.matchedLength($0), $0.count - 1) }.max()! } ?? P
        let L = P - T
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: parameters.padTokenID), count: R * T)
        for (r, p) in contexts.enumerated() {
            for q in max(L, P - p.count) ..< P { ids[r * T + q - L] = Int32(truncatingIfNeeded: p[q - (P - p.count)]) }
        }
        let small = trie.map { $0.gather(contexts, reuse: contexts.map { max(0, $0.count - T) }, length: L, capacity: capacity) }
            ?? model.makeCache(batch: R, capacity: capacity)
        // Prefill the distinct contexts; keep the last position's logits, one row per context.
        let first: Tensor = withoutGradients {
            let input = IndexTensor(shape: [R, T], data: ids), maskTensor = needsMask ? Tensor(shape: [R, P], data: mask) : nil
            let h = recorder?.forward(input, attentionMask: maskTensor, cache: small, step: 0, generated: [])
                ?? model.hiddenStates(input, attentionMask: maskTensor, cache: small).value
            return lastLogits(model, h)
        }
        let cache = small.selectRows(source)
        recorder?.selectRows(source)
        let V = first.shape[1]
        var logits = Tensor(uninitializedShape: [B, V])
        for b in 0 ..< B { (logits.unsafeMutablePointer + b * V).update(from: first.unsafePointer + source[b] * V, count: V) }
        var maskRows = source.map { Array(mask[($0 * P) ..< (($0 + 1) * P)]) }

        let processors = parameters.processors()
        let ordered = processors.filter { $0 is RepetitionPenalty } + processors.filter { !($0 is RepetitionPenalty) }
        var generated = [[Int]](repeating: [], count: B)
        var finished = [FinishReason?](repeating: nil, count: B)
        var steps = 1
        var input: IndexTensor?
        for step in 0 ..< parameters.maxNewTokens {
            if let input {
                let maskTensor: Tensor? = needsMask ? Tensor(shape: [B, maskRows[0].count], data: maskRows.flatMap { $0 }) : nil
                logits = withoutGradients {
                    lastLogits(model, recorder?.forward(input, attentionMask: maskTensor, cache: cache, step: step, generated: generated)
                        ?? model.hiddenStates(input, attentionMask: maskTensor, cache: cache).value)
                }
                steps += 1
            }
            let context = DecodingContext(prompts: prompts, generated: generated, step: step)
            for proc in ordered { proc.process(&logits, context: context) }
            let choice = parameters.temperature > 0 ? logits.softmax().sampleCategorical(using: &rng).data : logits.argmax().data
            // Rows that finished earlier are fed the pad id, as the generator does.
            var next = [Int](repeating: parameters.padTokenID, count: B)
            for b in 0 ..< B where finished[b] == nil {
                let t = Int(choice[b])
                next[b] = t
                generated[b].append(t)
                finished[b] = parameters.finishReason(after: t, generated: generated[b], decode: decode)
            }
            if finished.allSatisfy({ $0 != nil }) || step == parameters.maxNewTokens - 1 { break }
            input = IndexTensor(shape: [B, 1], data: next.map { Int32($0) })
            for b in 0 ..< B { maskRows[b].append(1) }
        }
        if let trie {
            // Row b fed its context and its first steps − 1 generated tokens (later ones, if any, were pads).
            let fed = (0 ..< B).map { prompts[$0].count + min(generated[$0].count, steps - 1) }
            trie.insert((0 ..< B).map { prompts[$0] + generated[$0] }, from: cache, offsets: prompts.map { P - $0.count }, counts: fed)
        }
        recorder?.finish(generated: generated, finished: finished, maskRows: needsMask ? maskRows : nil, padTokenID: parameters.padTokenID,
                         cache: cache)
        return ((0 ..< B).map { GenerationResult(tokens: generated[$0], finishReason: finished[$0] ?? .length) }, steps, T)
    }

    /// Logits [B, V] of the last position of hidden states [B, T, C].
    static func lastLogits(_ model: any LanguageModel, _ h: Tensor) -> Tensor {
        let B = h.shape[0], T = h.shape[1], C = h.shape[2]
        let last = Tensor(uninitializedShape: [B, C])
        for b in 0 ..< B {
            (last.unsafeMutablePointer + b * C).update(from: h.unsafePointer + (b * T + T - 1) * C, count: C)
        }
        return model.logits(fromHidden: Variable(last)).value
    }
}
