// Sliding-window attention (Mistral; Qwen2 with use_sliding_window) against transformers, in the
// three places it must hold: the full-sequence forward (plain and left-padded), its backward, and
// cached decoding past the window. Fixtures: Tests/Fixtures/generate_sliding_window_parity.py.
import Autograd
import Checkpoints
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

@Suite struct SlidingWindowTests {
    static let names = ["mistral", "qwen2_sliding", "qwen3_sliding", "phi3"]

    /// Greedy-decoding inputs and transformers' output stored beside a sliding-window fixture.
    struct GenerationCase {
        var prompt: [[Int32]]
        var promptMask: Tensor
        /// transformers' `generate` output [B, P + N] (prompt included).
        var ids: [[Int32]]

        init(_ name: String) throws {
            let f = try SafeTensorsFile(url: fixtureRoot.appendingPathComponent("\(name)/expected.safetensors"))
            func rows(_ key: String) throws -> [[Int32]] {
                let shape = try #require(f.info(key)).shape
                let flat = try f.integers(key).map { Int32($0) }
                return (0 ..< shape[0]).map { Array(flat[($0 * shape[1]) ..< (($0 + 1) * shape[1])]) }
            }
            prompt = try rows("gen_prompt")
            ids = try rows("gen_ids")
            promptMask = try f.tensor("gen_prompt_mask")
        }
    }

    static func load(_ name: String) throws -> LlamaForCausalLM {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        return try #require(model as? LlamaForCausalLM)
    }

    @Test func configurationsSelectTheWindowedLayers() throws {
        let mistral = try Self.load("mistral").config
        #expect(mistral.slidingWindow == 6)
        #expect((0 ..< 2).map(mistral.attentionWindow(layer:)) == [6, 6])
        // Qwen2: use_sliding_window with max_window_layers 1 and no layer_types → only layer 1.
        let qwen = try Self.load("qwen2_sliding").config
        #expect((0 ..< 2).map(qwen.attentionWindow(layer:)) == [nil, 5])
        let qwen3 = try Self.load("qwen3_sliding").config
        #expect((0 ..< 2).map(qwen3.attentionWindow(layer:)) == [nil, 5])
        // Phi-3: one window on every layer, fused projections split on load.
        let phi3 = try Self.load("phi3")
        #expect((0 ..< 2).map(phi3.config.attentionWindow(layer:)) == [6, 6])
        #expect(phi3.checkpointTensors().keys.contains("model.layers.0.self_attn.qkv_proj.weight"))
        #expect(!phi3.checkpointTensors().keys.contains("model.layers.0.self_attn.q_proj.weight"))
        // The plain Qwen2 fixture (use_sliding_window false) and Llama have none.
        let plainQwen = try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent("qwen2")) as? LlamaForCausalLM)
        #expect(plainQwen.config.attentionWindow(layer: 1) == nil)
    }

    /// transformers' logits for a 40-token sequence with window 6 (5 for Qwen2's upper layer), with
    /// and without a left-padded row (position ids from the mask).
    @Test(arguments: names)
    func logitsMatchTransformersPastTheWindow(_ name: String) throws {
        let model = try Self.load(name)
        let c = try ParityCase(name)
        #expect(c.ids.shape == [2, 40])
        let (r1, r2) = c.compare(model)
        #expect(r1.ok, "\(name) plain: \(r1)")
        #expect(r2.ok, "\(name) left-padded: \(r2)")
        print("\(name): max |Δlogits| vs transformers plain \(r1.maxAbsDifference), left-padded \(r2.maxAbsDifference)")
    }

    /// The same weights without the window give clearly different numbers on this input, so the
    /// parity test above cannot pass by ignoring the window (the bug this guards against).
    @Test(arguments: names)
    func windowChangesTheResult(_ name: String) throws {
        let windowed = try Self.load(name)
        var config = windowed.config
        config.slidingWindow = nil
        config.useSlidingWindow = false
        config.layerTypes = nil
        #expect((0 ..< config.numHiddenLayers).allSatisfy { config.attentionWindow(layer: $0) == nil })
        let full = LlamaForCausalLM(config)
        try ModelRegistry.assign(try ModelRegistry.readWeights(folder: fixtureRoot.appendingPathComponent(name)), to: full, path: name)
        let c = try ParityCase(name)
        let a = withoutGradients { windowed(c.ids) }.value.reshaped([-1, config.vocabSize])
        let b = withoutGradients { full(c.ids) }.value.reshaped([-1, config.vocabSize])
        let gap = compareClose(b, c.logitsPlain.reshaped([-1, config.vocabSize]), atol: 1e-4, rtol: 1e-4).maxAbsDifference
        #expect(gap > 0.1, "\(name): unwindowed model is within \(gap) of transformers' windowed logits")
        // Inside the window (positions < W) the two agree: the window is the only difference.
        let W = try #require(windowed.config.slidingWindow)
        let early = compareClose(a.slice(axis: 0, 0 ..< W), b.slice(axis: 0, 0 ..< W), atol: 1e-5, rtol: 1e-5)
        #expect(early.ok, "\(name) first \(W) positions: \(early)")
    }

    /// Greedy decoding through the KV cache (left-padded batch, mask growing each step) runs 28
    /// tokens past a prompt of 8, far beyond the window, and must give transformers' tokens. Also the
    /// Gemma fixtures, whose local layers window and global layers do not, and the RoPE-scaling ones
    /// (dynamic NTK switches frequencies at position 24, mid-generation; Phi-3's LongRoPE, whose
    /// transformers generation also recomputes the cache there, is checked through the Generator in
    /// RopeScalingTests).
    @Test(arguments: names + ["gemma2", "gemma3", "gemma2_variant"] + ModelParityTests.ropeNames.filter { $0 != "phi3_longrope" })
    func greedyGenerationMatchesTransformers(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let g = try GenerationCase(name)
        let B = g.prompt.count, P = g.prompt[0].count, total = g.ids[0].count
        let cache = model.makeCache(batch: B, capacity: total)
        var mask = g.promptMask.scalars
        var width = P
        var generated = g.prompt
        withoutGradients {
            var logits = model(IndexTensor(shape: [B, P], data: g.prompt.flatMap { $0 }),
                               attentionMask: Tensor(shape: [B, P], data: mask), cache: cache).value
            var step = P
            while step < total {
                let V = logits.shape[2], T = logits.shape[1]
                let last = logits.scalars
                var next: [Int32] = []
                for b in 0 ..< B {
                    let row = Array(last[((b * T + T - 1) * V) ..< ((b * T + T) * V)])
                    next.append(Int32(row.indices.max { row[$0] < row[$1] } ?? 0))
                }
                for b in 0 ..< B { generated[b].append(next[b]) }
                step += 1
                if step == total { break }
                // Grow the mask by one real column.
                var grown: [Float] = []
                for b in 0 ..< B { grown += mask[(b * width) ..< ((b + 1) * width)] + [1] }
                mask = grown
                width += 1
                logits = model(IndexTensor(shape: [B, 1], data: next), attentionMask: Tensor(shape: [B, width], data: mask),
                               cache: cache).value
            }
        }
        #expect(cache.length == total - 1)
        #expect(generated == g.ids, "\(name): ours \(generated.map { Array($0[P...]) }) vs transformers \(g.ids.map { Array($0[P...]) })")
    }

    /// The windowed kernel against a naive loop, including the blocked path (T ≥ 64) and a
    /// left-padded row, and windows of 1 (only itself) and ≥ T (plain causal).
    @Test(arguments: zip([7, 70, 70, 9], [3, 5, 1, 20]))
    func windowedKernelMatchesNaiveAttention(T: Int, W: Int) {
        let B = 2, Hq = 4, Hkv = 2, D = 4
        let q = randomTensor([B, T, Hq, D], seed: 1), k = randomTensor([B, T, Hkv, D], seed: 2), v = randomTensor([B, T, Hkv, D], seed: 3)
        var m = [Float](repeating: 1, count: B * T)
        for j in 0 ..< 3 { m[T + j] = 0 }
        let mask = Tensor(shape: [B, T], data: m)
        let (out, _) = CPU.attentionForward(q: q, k: k, v: v, keyMask: mask, window: W)
        let ref = naiveAttention(q, k, v, mask: m, window: W)
        // Padding queries (row 1, first 3) see no key: the kernel defines them as zeros; compare real rows.
        let r = compareClose(realQueries(out, m), realQueries(ref, m), atol: 1e-5, rtol: 1e-4)
        #expect(r.ok, "T \(T) W \(W): \(r)")
        // Cached decoding over the same keys: one query at a time.
        let kc = k, vc = v
        var pieces: [Tensor] = []
        for t in 0 ..< T {
            let qt = q.slice(axis: 1, t ..< t + 1)
            pieces.append(CPU.attentionForward(q: qt, kCache: kc, vCache: vc, length: t + 1, keyMask: mask.slice(axis: 1, 0 ..< t + 1),
                                               window: W))
        }
        let cached = Tensor.concatenate(pieces, axis: 1)
        let rc = compareClose(realQueries(cached, m), realQueries(ref, m), atol: 1e-5, rtol: 1e-4)
        #expect(rc.ok, "cached T \(T) W \(W): \(rc)")
    }

    /// Finite differences of the windowed attention (the differentiable path used in training),
    /// small and blocked shapes, with a left-padded row.
    @Test(arguments: zip([7, 66], [3, 4]))
    func windowedAttentionGradientsMatchFiniteDifferences(T: Int, W: Int) {
        let B = T > 10 ? 1 : 2, Hq = 4, Hkv = 2, D = 3
        var m = [Float](repeating: 1, count: B * T)
        if B == 2 { for j in 0 ..< 2 { m[T + j] = 0 } }
        let mask = Tensor(shape: [B, T], data: m)
        let inputs = [randomTensor([B, T, Hq, D], seed: 4), randomTensor([B, T, Hkv, D], seed: 5), randomTensor([B, T, Hkv, D], seed: 6)]
        let result = gradcheck(inputs, step: 1e-2, atol: 2e-3, rtol: 2e-2) { v in
            Functional.attention(q: v[0], k: v[1], v: v[2], keyMask: mask, window: W)
        }
        #expect(result.ok, "T \(T) W \(W): \(result)")
    }
}

/// softmax over keys p − W < j ≤ p that the mask keeps, in Double. q [B,T,Hq,D], k/v [B,T,Hkv,D].
func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: [Float], window: Int) -> Tensor {
    let B = q.shape[0], T = q.shape[1], Hq = q.shape[2], D = q.shape[3], Hkv = k.shape[2]
    let qs = q.scalars, ks = k.scalars, vs = v.scalars
    var out = [Float](repeating: 0, count: q.count)
    let scale = 1 / Double(D).squareRoot()
    for b in 0 ..< B {
        for h in 0 ..< Hq {
            let g = h / (Hq / Hkv)
            for i in 0 ..< T {
                let keys = (max(0, i - window + 1) ... i).filter { mask[b * T + $0] != 0 }
                if keys.isEmpty { continue }
                var scores: [Double] = keys.map { j in
                    var s = 0.0
                    for d in 0 ..< D { s += Double(qs[((b * T + i) * Hq + h) * D + d]) * Double(ks[((b * T + j) * Hkv + g) * D + d]) }
                    return s * scale
                }
                let top = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - top) }
                let total = scores.reduce(0, +)
                for d in 0 ..< D {
                    var acc = 0.0
                    for (n, j) in keys.enumerated() { acc += scores[n] / total * Double(vs[((b * T + j) * Hkv + g) * D + d]) }
                    out[((b * T + i) * Hq + h) * D + d] = Float(acc)
                }
            }
        }
    }
    return Tensor(shape: q.shape, data: out)
}

/// Rows [*, Hq, D] of real (unmasked) query positions of x [B, T, Hq, D], flattened.
func realQueries(_ x: Tensor, _ mask: [Float]) -> Tensor {
    let B = x.shape[0], T = x.shape[1]
    let flat = x.reshaped([B * T, -1])
    let keep = (0 ..< B * T).filter { mask[$0] != 0 }
    return Tensor.concatenate(keep.map { flat.rows($0 ..< $0 + 1) }, axis: 0)
}
