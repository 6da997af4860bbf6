// Causal multi-head attention with grouped-query heads, forward and backward.
// Legend: B = batch, Tq = query positions, Tk = key positions, Hq = query heads, Hkv = key/value heads
// (Hq % Hkv == 0; query head h reads kv head h / (Hq/Hkv)), D = head dimension.
// Layout: q [B, Tq, Hq, D], k and v [B, Tk, Hkv, D], out [B, Tq, Hq, D] — the layout projections
// produce, so no permute copies are needed: each head is a strided matrix (row stride H·D) that BLAS
// reads directly. Query i sits at absolute position (Tk − Tq) + i and sees keys 0…that position
// (so Tq < Tk is incremental decoding over a cache). An optional key mask [B, Tk] (1 keep, 0 drop)
// handles padding. An optional sliding window W (Mistral, arXiv:2310.06825; Qwen2's upper layers)
// narrows that to keys p − W < j ≤ p, transformers' convention (`sliding_window_overlay` in
// masking_utils.py: kv_idx > q_idx − sliding_window): each query sees itself and the W − 1
// positions before it. Positions here are key indices, as transformers' `cache_position`, so a
// left-padded row (padding keys masked) gets the same window as the unpadded sequence.
// A query block whose first query's window starts at key k0 > 0 skips keys [0, k0) entirely (its P
// columns stay zero): one decoding step reads only W keys, and a long sequence's later blocks skip
// their distant past. Without a window k0 is 0 and every loop is the plain causal one.
//
// Optional logit soft-capping c (Gemma 2, arXiv:2408.00118): scores s·q·k become c·tanh(s·q·k / c)
// before the mask and softmax, bounding every logit to (−c, c).
//
// The forward saves the probabilities P [B, Hq, Tq, Tk]; the backward uses
//   dP = dO·Vᵀ, dV = Pᵀ·dO, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = s·dS·K, dK = s·dSᵀ·Q,
// with soft-capping dS ⊙ (1 − t²) in place of dS, t = tanh(s·q·k / c) saved by the forward.
// Work is split over (batch, kv head) pairs so GQA gradient accumulation never races.

public struct AttentionContext: Sendable {
    /// Softmax probabilities [B, Hq, Tq, Tk].
    public var probabilities: Tensor
    public var scale: Float
    public var causal: Bool
    /// Sliding window W (keys p − W < j ≤ p), nil for full causal attention.
    public var window: Int? = nil
    /// Soft-capping c and the saved t = tanh(s·q·k / c) [B, Hq, Tq, Tk] (nil without capping).
    public var softcap: Float? = nil
    public var cappedTanh: Tensor? = nil
}

/// Soft-caps n scores in place, x ← c·tanh(x / c), keeping t = tanh(x / c) in `t` for the backward.
@inline(__always)
func softcapRow(_ x: UnsafeMutablePointer<Float>, _ t: UnsafeMutablePointer<Float>, _ n: Int, cap: Float) {
    var j = 0
    while j < n {
        let m = Swift.min(vecWidth, n - j)
        let th = VMath.tanh(VMath.load(x + j, m) / cap)
        VMath.store(th, t + j, m)
        VMath.store(th * cap, x + j, m)
        j += m
    }
}

/// First key a query block starting at absolute position `firstQuery` can see: 0 without a window.
@inline(__always)
func windowStart(firstQuery: Int, window: Int?) -> Int {
    guard let window else { return 0 }
    return Swift.max(0, firstQuery - window + 1)
}

/// Query-row blocks for causal attention: ~64 rows each (at least 32, at most 8 blocks).
@inline(__always)
func causalBlocks(Tq: Int, causal: Bool) -> [(Int, Int)] {
    if !causal || Tq < 64 { return [(0, Tq)] }
    let n = Swift.min(8, Swift.max(1, Tq / 32))
    let blocks = Swift.min(n, Swift.max(2, Tq / 64 * 1))
    return (0 ..< blocks).map { (Tq * $0 / blocks, Tq * ($0 + 1) / blocks) }
}

/// Where q, k and v live: base pointers plus strides (in floats) between positions and batches.
/// Separate tensors and a packed qkv projection [B, T, (Hq + 2·Hkv)·D] are both just strides.
@usableFromInline
struct AttentionLayout {
    var B: Int, Tq: Int, Tk: Int, Hq: Int, Hkv: Int, D: Int
    var qRow: Int, kRow: Int, vRow: Int
    var qBatch: Int, kBatch: Int, vBatch: Int
}

extension CPU {
    /// - Parameter window: sliding window W (query at p sees keys p − W < j ≤ p); requires `causal`.
    /// - Parameter softcap: logit soft-capping c (scores → c·tanh(scores / c)), nil for none.
    public static func attentionForward(q: Tensor, k: Tensor, v: Tensor, scale: Float? = nil, causal: Bool = true,
                                        keyMask: Tensor? = nil, window: Int? = nil, softcap: Float? = nil) -> (Tensor, AttentionContext) {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], D = q.shape[3]
        let Tk = k.shape[1], Hkv = k.shape[2]
        precondition(k.shape == [B, Tk, Hkv, D] && v.shape == k.shape && Hq % Hkv == 0 && Tq <= Tk,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let L = AttentionLayout(B: B, Tq: Tq, Tk: Tk, Hq: Hq, Hkv: Hkv, D: D, qRow: Hq * D, kRow: Hkv * D, vRow: Hkv * D,
                                qBatch: Tq * Hq * D, kBatch: Tk * Hkv * D, vBatch: Tk * Hkv * D)
        return attentionForwardCore(L, q.unsafePointer, k.unsafePointer, v.unsafePointer, scale: scale, causal: causal, keyMask: keyMask,
                                    window: window, softcap: softcap)
    }

    /// Attention of new queries q [B, Tq, Hq, D] over the first `length` positions of key/value
    /// caches [B, capacity, Hkv, D] (incremental decoding: the new keys are already written at
    /// length − Tq ..< length). Inference only: no backward. With a sliding `window` the cache keeps
    /// every position but a query at p reads only keys p − W < j ≤ p.
    public static func attentionForward(q: Tensor, kCache: Tensor, vCache: Tensor, length: Int, scale: Float? = nil,
                                        keyMask: Tensor? = nil, window: Int? = nil, softcap: Float? = nil) -> Tensor {
        precondition(q.rank == 4 && kCache.rank == 4 && vCache.shape == kCache.shape, "attention: q \(q.shape), cache \(kCache.shape)")
        let B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], D = q.shape[3]
        let cap = kCache.shape[1], Hkv = kCache.shape[2]
        precondition(kCache.shape[0] == B && kCache.shape[3] == D && Hq % Hkv == 0 && Tq <= length && length <= cap,
                     "attention: q \(q.shape) over cache \(kCache.shape) of length \(length)")
        let L = AttentionLayout(B: B, Tq: Tq, Tk: length, Hq: Hq, Hkv: Hkv, D: D, qRow: Hq * D, kRow: Hkv * D, vRow: Hkv * D,
                                qBatch: Tq * Hq * D, kBatch: cap * Hkv * D, vBatch: cap * Hkv * D)
        return attentionForwardCore(L, q.unsafePointer, kCache.unsafePointer, vCache.unsafePointer, scale: scale, causal: true,
                                    keyMask: keyMask, window: window, softcap: softcap).0
    }

    /// Self-attention straight from a packed projection qkv [B, T, (Hq + 2·Hkv)·D] (GPT-2's `c_attn`
    /// output), with no split copies: q, k, v are strided views of it.
    public static func attentionForwardPacked(qkv: Tensor, heads Hq: Int, kvHeads Hkv: Int, scale: Float? = nil,
                                              causal: Bool = true, keyMask: Tensor? = nil) -> (Tensor, AttentionContext) {
        let L = packedLayout(qkv, Hq, Hkv)
        let base = qkv.unsafePointer
        return attentionForwardCore(L, base, base + Hq * L.D, base + (Hq + Hkv) * L.D, scale: scale, causal: causal, keyMask: keyMask,
                                    window: nil, softcap: nil)
    }

    static func packedLayout(_ qkv: Tensor, _ Hq: Int, _ Hkv: Int) -> AttentionLayout {
        precondition(qkv.rank == 3 && Hq % Hkv == 0 && qkv.shape[2] % (Hq + 2 * Hkv) == 0,
                     "attention: packed qkv \(qkv.shape) for \(Hq) query and \(Hkv) key/value heads")
        let B = qkv.shape[0], T = qkv.shape[1], W = qkv.shape[2], D = W / (Hq + 2 * Hkv)
        return AttentionLayout(B: B, Tq: T, Tk: T, Hq: Hq, Hkv: Hkv, D: D, qRow: W, kRow: W, vRow: W,
                               qBatch: T * W, kBatch: T * W, vBatch: T * W)
    }

    static func attentionForwardCore(_ L: AttentionLayout, _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                     scale: Float?, causal: Bool, keyMask: Tensor?, window: Int?,
                                     softcap: Float?) -> (Tensor, AttentionContext) {
        let B = L.B, Tq = L.Tq, Tk = L.Tk, Hq = L.Hq, Hkv = L.Hkv, D = L.D
        if let m = keyMask { precondition(m.shape == [B, Tk], "attention: keyMask \(m.shape), expected [\(B), \(Tk)]") }
        if let window { precondition(causal && window >= 1, "attention: sliding window \(window) needs causal attention and W ≥ 1") }
        if let softcap { precondition(softcap > 0, "attention: soft-capping \(softcap) must be positive") }
        let s = scale ?? 1 / Float(D).squareRoot()
        let group = Hq / Hkv
        let out = Tensor(uninitializedShape: [B, Tq, Hq, D])
        let probs = Tensor(uninitializedShape: [B, Hq, Tq, Tk])
        // Only read by the backward inside each row's computed key range.
        let capped = softcap.map { _ in Tensor(shape: [B, Hq, Tq, Tk], repeating: 0) }
        let offset = Tk - Tq
        let box = UnsafeSendableBox((q, k, v, keyMask?.unsafePointer, out.unsafeMutablePointer, probs.unsafeMutablePointer,
                                     capped?.unsafeMutablePointer))
        Parallel.forRanges(B * Hq) { r in
            let (qp, kp, vp, mp, op, pp, tp) = box.value
            for bh in r {
                let b = bh / Hq, h = bh % Hq, g = h / group
                let qh = qp + b * L.qBatch + h * D
                let kh = kp + b * L.kBatch + g * D
                let vh = vp + b * L.vBatch + g * D
                let P = pp + bh * Tq * Tk
                let oh = op + (b * Tq * Hq + h) * D
                // Causal: query block [i0, i1) only needs keys [0, offset + i1); the rest of its
                // rows in P stay exactly zero. Blocks cut the product work by up to ~40%.
                for (i0, i1) in causalBlocks(Tq: Tq, causal: causal) {
                    let kEnd = causal ? Swift.min(Tk, offset + i1) : Tk
                    // Sliding window: the block's first query sees nothing before kStart (0 without one).
                    let kStart = windowStart(firstQuery: offset + i0, window: window)
                    let n = kEnd - kStart
                    let rowsP = P + i0 * Tk
                    // S = s · Q K[kStart..<kEnd]ᵀ   [i1-i0, n], stored at columns kStart..<kEnd
                    BLAS.gemm(transA: false, transB: true, M: i1 - i0, N: n, K: D, alpha: s,
                              A: qh + i0 * L.qRow, lda: L.qRow, B: kh + kStart * L.kRow, ldb: L.kRow, C: rowsP + kStart, ldc: Tk,
                              parallel: false)
                    for i in i0 ..< i1 {
                        let row = P + i * Tk
                        if let softcap, let tp { softcapRow(row + kStart, tp + bh * Tq * Tk + i * Tk + kStart, n, cap: softcap) }
                        if causal {
                            let last = offset + i
                            if last + 1 < kEnd { for j in (last + 1) ..< kEnd { row[j] = -.infinity } }
                            if let window {
                                // Keys j ≤ last − W are outside this query's window.
                                let first = Swift.min(last - window + 1, kEnd)
                                if first > kStart { for j in kStart ..< first { row[j] = -.infinity } }
                            }
                        }
                        if let mp {
                            let mrow = mp + b * Tk
                            for j in kStart ..< kEnd where mrow[j] == 0 { row[j] = -.infinity }
                        }
                        softmaxRow(row + kStart, row + kStart, n)
                        if kStart > 0 { row.update(repeating: 0, count: kStart) }
                        if kEnd < Tk { (row + kEnd).update(repeating: 0, count: Tk - kEnd) }
                    }
                    // O = P[:, kStart..<kEnd] V[kStart..<kEnd]   [i1-i0, D]
                    BLAS.gemm(transA: false, transB: false, M: i1 - i0, N: D, K: n,
                              A: rowsP + kStart, lda: Tk, B: vh + kStart * L.vRow, ldb: L.vRow, C: oh + i0 * Hq * D, ldc: Hq * D,
                              parallel: false)
                }
            }
        }
        return (out, AttentionContext(probabilities: probs, scale: s, causal: causal, window: window, softcap: softcap,
                                      cappedTanh: capped))
    }

    /// Returns (dq, dk, dv) for upstream dOut [B, Tq, Hq, D].
    public static func attentionBackward(_ dOut: Tensor, q: Tensor, k: Tensor, v: Tensor,
                                         context: AttentionContext) -> (Tensor, Tensor, Tensor) {
        let B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], D = q.shape[3]
        let Tk = k.shape[1], Hkv = k.shape[2]
        let L = AttentionLayout(B: B, Tq: Tq, Tk: Tk, Hq: Hq, Hkv: Hkv, D: D, qRow: Hq * D, kRow: Hkv * D, vRow: Hkv * D,
                                qBatch: Tq * Hq * D, kBatch: Tk * Hkv * D, vBatch: Tk * Hkv * D)
        let dq = Tensor(uninitializedShape: q.shape)
        let dk = Tensor(shape: k.shape, repeating: 0)
        let dv = Tensor(shape: v.shape, repeating: 0)
        attentionBackwardCore(L, dOut, q.unsafePointer, k.unsafePointer, v.unsafePointer, context: context,
                              dq: dq.unsafeMutablePointer, dk: dk.unsafeMutablePointer, dv: dv.unsafeMutablePointer)
        return (dq, dk, dv)
    }

    /// Gradient of `attentionForwardPacked` with respect to the packed qkv [B, T, (Hq + 2·Hkv)·D].
    public static func attentionBackwardPacked(_ dOut: Tensor, qkv: Tensor, heads Hq: Int, kvHeads Hkv: Int,
                                               context: AttentionContext) -> Tensor {
        let L = packedLayout(qkv, Hq, Hkv)
        let d = Tensor(shape: qkv.shape, repeating: 0)
        let base = qkv.unsafePointer, dbase = d.unsafeMutablePointer
        attentionBackwardCore(L, dOut, base, base + Hq * L.D, base + (Hq + Hkv) * L.D, context: context,
                              dq: dbase, dk: dbase + Hq * L.D, dv: dbase + (Hq + Hkv) * L.D)
        return d
    }

    /// dk and dv must be zeroed by the caller (they accumulate over the query heads of a group).
    static func attentionBackwardCore(_ L: AttentionLayout, _ dOut: Tensor, _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
                                      _ v: UnsafePointer<Float>, context: AttentionContext,
                                      dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) {
        let B = L.B, Tq = L.Tq, Tk = L.Tk, Hq = L.Hq, Hkv = L.Hkv, D = L.D
        precondition(dOut.shape == [B, Tq, Hq, D], "attention backward: upstream \(dOut.shape), expected [\(B), \(Tq), \(Hq), \(D)]")
        let group = Hq / Hkv
        let s = context.scale
        let causal = context.causal
        let window = context.window
        let offset = Tk - Tq
        // Scratch for dP / dS, one [Tq, Tk] block per worker chunk.
        let chunks = Swift.min(Parallel.threadCount, B * Hkv)
        let scratch = Tensor(uninitializedShape: [Swift.max(chunks, 1), Tq * Tk])
        let box = UnsafeSendableBox((q, k, v, dOut.unsafePointer, context.probabilities.unsafePointer, dq, dk, dv,
                                     scratch.unsafeMutablePointer, context.cappedTanh?.unsafePointer))
        Parallel.forRanges(chunks) { cr in
            let (qp, kp, vp, dop, pp, dqp, dkp, dvp, sp, tp) = box.value
            for chunk in cr {
                let dS = sp + chunk * Tq * Tk
                let lo = (B * Hkv) * chunk / chunks, hi = (B * Hkv) * (chunk + 1) / chunks
                for bg in lo ..< hi {
                    let b = bg / Hkv, g = bg % Hkv
                    let kh = kp + b * L.kBatch + g * D, vh = vp + b * L.vBatch + g * D
                    let dkh = dkp + b * L.kBatch + g * D, dvh = dvp + b * L.vBatch + g * D
                    for h in (g * group) ..< ((g + 1) * group) {
                        let qh = qp + b * L.qBatch + h * D, dqh = dqp + b * L.qBatch + h * D
                        let doh = dop + (b * Tq * Hq + h) * D
                        let P = pp + (b * Hq + h) * Tq * Tk
                        for (i0, i1) in causalBlocks(Tq: Tq, causal: causal) {
                            let kEnd = causal ? Swift.min(Tk, offset + i1) : Tk
                            // Keys before kStart have P = 0 for the whole block (sliding window).
                            let kStart = windowStart(firstQuery: offset + i0, window: window)
                            let n = kEnd - kStart
                            let m = i1 - i0
                            let Pb = P + i0 * Tk + kStart, dSb = dS + i0 * Tk + kStart
                            let dob = doh + i0 * Hq * D, qb = qh + i0 * L.qRow, dqb = dqh + i0 * L.qRow
                            let kw = kh + kStart * L.kRow, vw = vh + kStart * L.vRow
                            // dV[kStart..<kEnd] += Pᵀ dO   [n, D]
                            BLAS.gemm(transA: true, transB: false, M: n, N: D, K: m, A: Pb, lda: Tk, B: dob, ldb: Hq * D,
                                      beta: 1, C: dvh + kStart * L.vRow, ldc: L.vRow, parallel: false)
                            // dP = dO Vᵀ   [m, n]
                            BLAS.gemm(transA: false, transB: true, M: m, N: n, K: D, A: dob, lda: Hq * D, B: vw, ldb: L.vRow,
                                      C: dSb, ldc: Tk, parallel: false)
                            // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                            for i in 0 ..< m {
                                let pr = Pb + i * Tk, dr = dSb + i * Tk
                                var dot: Float = 0
                                for j in 0 ..< n { dot += pr[j] * dr[j] }
                                for j in 0 ..< n { dr[j] = pr[j] * (dr[j] - dot) }
                                // Soft-capping: d(c·tanh(u/c))/du = 1 − tanh²(u/c).
                                if let tp {
                                    let tr = tp + (b * Hq + h) * Tq * Tk + (i0 + i) * Tk + kStart
                                    for j in 0 ..< n { dr[j] *= 1 - tr[j] * tr[j] }
                                }
                            }
                            // dQ = s dS K   [m, D]
                            BLAS.gemm(transA: false, transB: false, M: m, N: D, K: n, alpha: s, A: dSb, lda: Tk, B: kw, ldb: L.kRow,
                                      C: dqb, ldc: L.qRow, parallel: false)
                            // dK[kStart..<kEnd] += s dSᵀ Q   [n, D]
                            BLAS.gemm(transA: true, transB: false, M: n, N: D, K: m, alpha: s, A: dSb, lda: Tk, B: qb, ldb: L.qRow,
                                      beta: 1, C: dkh + kStart * L.kRow, ldc: L.kRow, parallel: false)
                        }
                    }
                }
            }
        }
    }
}
