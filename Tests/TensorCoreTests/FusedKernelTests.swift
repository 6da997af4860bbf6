// Fused kernels against naive Double references written out per row / per head / per pair:
// layer norm, RMS norm, attention (causal, GQA, decoding offset, key padding), RoPE (both pairing
// conventions, checked against a per-pair rotation and against Hugging Face's `rotate_half` form)
// and the fused per-token log-probability.
import Foundation
import TensorCore
import TestSupport
import Testing

// MARK: - Naive references

/// Layer norm (biased variance) or RMS norm over the last axis, in Double. Returns y and per-row
/// (mean, rstd).
func naiveNorm(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Double, rms: Bool) -> (Tensor, [Double], [Double]) {
    let C = x.shape.last!, xs = doubles(x), w = doubles(weight), b = bias.map(doubles)
    var y = [Double](repeating: 0, count: xs.count), means: [Double] = [], rstds: [Double] = []
    for r in 0 ..< xs.count / C {
        let row = Array(xs[r * C ..< (r + 1) * C])
        let m = rms ? 0 : row.reduce(0, +) / Double(C)
        let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(C)
        let rs = 1 / (v + eps).squareRoot()
        for c in 0 ..< C { y[r * C + c] = (row[c] - m) * rs * w[c] + (b?[c] ?? 0) }
        means.append(m)
        rstds.append(rs)
    }
    return (tensor(x.shape, y), means, rstds)
}

/// Attention computed head by head with explicit loops. q [B,Tq,Hq,D], k/v [B,Tk,Hkv,D].
/// Returns out [B,Tq,Hq,D] and probabilities [B,Hq,Tq,Tk]; a query with no visible key gets zeros.
func naiveAttention(q: Tensor, k: Tensor, v: Tensor, scale: Double, causal: Bool, keyMask: Tensor?) -> (Tensor, Tensor) {
    let B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], D = q.shape[3], Tk = k.shape[1], Hkv = k.shape[2]
    let qs = doubles(q), ks = doubles(k), vs = doubles(v), ms = keyMask.map(doubles)
    var out = [Double](repeating: 0, count: q.count), probs = [Double](repeating: 0, count: B * Hq * Tq * Tk)
    for b in 0 ..< B {
        for h in 0 ..< Hq {
            let g = h / (Hq / Hkv)
            for i in 0 ..< Tq {
                let pos = Tk - Tq + i
                var scores = [Double](repeating: -.infinity, count: Tk)
                for j in 0 ..< Tk {
                    if causal && j > pos { continue }
                    if let ms, ms[b * Tk + j] == 0 { continue }
                    var s = 0.0
                    for d in 0 ..< D { s += qs[((b * Tq + i) * Hq + h) * D + d] * ks[((b * Tk + j) * Hkv + g) * D + d] }
                    scores[j] = scale * s
                }
                let m = scores.max()!
                if m == -.infinity { continue }  // nothing visible: zeros
                let e = scores.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for j in 0 ..< Tk {
                    let p = e[j] / z
                    probs[((b * Hq + h) * Tq + i) * Tk + j] = p
                    for d in 0 ..< D { out[((b * Tq + i) * Hq + h) * D + d] += p * vs[((b * Tk + j) * Hkv + g) * D + d] }
                }
            }
        }
    }
    return (tensor(q.shape, out), tensor([B, Hq, Tq, Tk], probs))
}

/// The rotation angle of pair i at position `pos`: pos · θ^(−2i/R).
func ropeAngle(_ pos: Int, _ i: Int, _ R: Int, _ theta: Double) -> Double {
    Double(pos) / Foundation.pow(theta, Double(2 * i) / Double(R))
}

/// Per-pair rotation: pairs (i, i + R/2) for rotateHalf, (2i, 2i+1) for interleaved.
func naiveRoPEPairs(_ x: Tensor, positions: [Int], R: Int, theta: Double, convention: RoPEConvention) -> Tensor {
    let B = x.shape[0], T = x.shape[1], H = x.shape[2], D = x.shape[3]
    var y = doubles(x)
    for b in 0 ..< B {
        for t in 0 ..< T {
            for h in 0 ..< H {
                let o = ((b * T + t) * H + h) * D
                for i in 0 ..< R / 2 {
                    let (p0, p1) = convention == .rotateHalf ? (i, i + R / 2) : (2 * i, 2 * i + 1)
                    let pos = positions.count == T ? positions[t] : positions[b * T + t]  // shared or per row
                    let a = y[o + p0], c = y[o + p1], th = ropeAngle(pos, i, R, theta)
                    y[o + p0] = a * Foundation.cos(th) - c * Foundation.sin(th)
                    y[o + p1] = a * Foundation.sin(th) + c * Foundation.cos(th)
                }
            }
        }
    }
    return tensor(x.shape, y)
}

/// Hugging Face Llama's form: emb = cat(freqs, freqs); q_embed = q·cos(emb) + rotate_half(q)·sin(emb),
/// with rotate_half(x) = cat(−x2, x1), applied to the first R dims (partial rotary passes the rest).
func naiveRoPEHuggingFace(_ x: Tensor, positions: [Int], R: Int, theta: Double) -> Tensor {
    let B = x.shape[0], T = x.shape[1], H = x.shape[2], D = x.shape[3], half = R / 2
    let xs = doubles(x)
    var y = xs
    for b in 0 ..< B {
        for t in 0 ..< T {
            let freqs = (0 ..< half).map { Double(positions[t]) * (1 / Foundation.pow(theta, Double(2 * $0) / Double(R))) }
            let emb = freqs + freqs
            for h in 0 ..< H {
                let o = ((b * T + t) * H + h) * D
                let rot = Array(xs[o ..< o + R])
                let rotated = rot[half ..< R].map { -$0 } + Array(rot[0 ..< half])  // rotate_half
                for d in 0 ..< R { y[o + d] = rot[d] * Foundation.cos(emb[d]) + rotated[d] * Foundation.sin(emb[d]) }
            }
        }
    }
    return tensor(x.shape, y)
}

/// Meta Llama's form for the interleaved convention: adjacent pairs as complex numbers times e^{iθ}.
func naiveRoPEComplex(_ x: Tensor, positions: [Int], R: Int, theta: Double) -> Tensor {
    let B = x.shape[0], T = x.shape[1], H = x.shape[2], D = x.shape[3]
    var y = doubles(x)
    for bth in 0 ..< B * T * H {
        let t = (bth / H) % T, o = bth * D
        for i in 0 ..< R / 2 {
            let (re, im) = (y[o + 2 * i], y[o + 2 * i + 1])
            let th = ropeAngle(positions[t], i, R, theta)
            let (cr, ci) = (Foundation.cos(th), Foundation.sin(th))
            y[o + 2 * i] = re * cr - im * ci
            y[o + 2 * i + 1] = re * ci + im * cr
        }
    }
    return tensor(x.shape, y)
}

// MARK: - Tests

@Suite("Normalisation kernels")
struct NormalizationKernelTests {
    @Test("layerNormForward matches the naive per-row formula", arguments: [[1, 5], [2, 3, 7], [33, 64], [300, 48]])
    func layerNorm(_ shape: [Int]) {
        let C = shape.last!
        let x = randomTensor(shape, seed: 90, scale: 2).affine(scale: 1, shift: 0.7)
        let w = randomTensor([C], seed: 91), b = randomTensor([C], seed: 92)
        for bias in [b, nil] as [Tensor?] {
            let (y, stats) = CPU.layerNormForward(x, weight: w, bias: bias, eps: 1e-5)
            let (ey, means, rstds) = naiveNorm(x, weight: w, bias: bias, eps: 1e-5, rms: false)
            expectClose(y, ey, atol: 1e-5, rtol: 1e-5, "layerNorm \(shape) bias \(bias != nil)")
            expectClose(stats.mean, tensor([means.count], means), atol: 1e-6, rtol: 1e-5, "mean")
            expectClose(stats.rstd, tensor([rstds.count], rstds), atol: 1e-6, rtol: 1e-5, "rstd")
        }
    }

    @Test("rmsNormForward matches the naive per-row formula", arguments: [[1, 5], [2, 3, 7], [33, 64], [300, 48]])
    func rmsNorm(_ shape: [Int]) {
        let C = shape.last!
        let x = randomTensor(shape, seed: 93, scale: 2), w = randomTensor([C], seed: 94)
        let (y, stats) = CPU.rmsNormForward(x, weight: w, eps: 1e-6)
        let (ey, _, rstds) = naiveNorm(x, weight: w, bias: nil, eps: 1e-6, rms: true)
        expectClose(y, ey, atol: 1e-5, rtol: 1e-5, "rmsNorm \(shape)")
        expectClose(stats.rstd, tensor([rstds.count], rstds), atol: 1e-6, rtol: 1e-5, "rstd")
    }

    @Test("Norm backward kernels match naive Double VJPs")
    func backward() {
        let x = randomTensor([4, 9], seed: 95), w = randomTensor([9], seed: 96), b = randomTensor([9], seed: 97)
        let dy = randomTensor([4, 9], seed: 98)
        let xs = doubles(x), ws = doubles(w), gs = doubles(dy), C = 9
        // Layer norm: dx = rs·(g·w − mean(g·w) − x̂·mean(g·w·x̂)); dw = Σ g·x̂; db = Σ g.
        let (_, ln) = CPU.layerNormForward(x, weight: w, bias: b, eps: 1e-5)
        let (_, means, rstds) = naiveNorm(x, weight: w, bias: b, eps: 1e-5, rms: false)
        var dx = [Double](repeating: 0, count: 36), dw = [Double](repeating: 0, count: 9), db = dw
        for r in 0 ..< 4 {
            let xh = (0 ..< C).map { (xs[r * C + $0] - means[r]) * rstds[r] }
            let gw = (0 ..< C).map { gs[r * C + $0] * ws[$0] }
            let m1 = gw.reduce(0, +) / Double(C), m2 = zip(gw, xh).map(*).reduce(0, +) / Double(C)
            for c in 0 ..< C {
                dx[r * C + c] = rstds[r] * (gw[c] - m1 - xh[c] * m2)
                dw[c] += gs[r * C + c] * xh[c]
                db[c] += gs[r * C + c]
            }
        }
        let (gx, gw, gb) = CPU.layerNormBackward(dy, x: x, weight: w, stats: ln)
        expectClose(gx, tensor(x.shape, dx), atol: 1e-5, "layerNorm dx")
        expectClose(gw, tensor([9], dw), atol: 1e-5, "layerNorm dw")
        expectClose(gb, tensor([9], db), atol: 1e-5, "layerNorm db")
        // RMS norm: dx = rs·g·w − x·rs³·Σ(g·w·x)/C; dw = Σ g·x·rs.
        let (_, rn) = CPU.rmsNormForward(x, weight: w, eps: 1e-6)
        let (_, _, rr) = naiveNorm(x, weight: w, bias: nil, eps: 1e-6, rms: true)
        var rdx = [Double](repeating: 0, count: 36), rdw = [Double](repeating: 0, count: 9)
        for r in 0 ..< 4 {
            let dot = (0 ..< C).reduce(0.0) { $0 + gs[r * C + $1] * ws[$1] * xs[r * C + $1] }
            for c in 0 ..< C {
                rdx[r * C + c] = rr[r] * gs[r * C + c] * ws[c] - xs[r * C + c] * rr[r] * rr[r] * rr[r] * dot / Double(C)
                rdw[c] += gs[r * C + c] * xs[r * C + c] * rr[r]
            }
        }
        let (rgx, rgw) = CPU.rmsNormBackward(dy, x: x, weight: w, stats: rn)
        expectClose(rgx, tensor(x.shape, rdx), atol: 1e-5, "rmsNorm dx")
        expectClose(rgw, tensor([9], rdw), atol: 1e-5, "rmsNorm dw")
    }
}

struct AttentionCase: Sendable, CustomTestStringConvertible {
    var B: Int, Tq: Int, Tk: Int, Hq: Int, Hkv: Int, D: Int
    var causal = true
    var mask: [Float]? = nil
    var scale: Float? = nil
    var testDescription: String {
        "B\(B) Tq\(Tq) Tk\(Tk) Hq\(Hq) Hkv\(Hkv) D\(D)\(causal ? " causal" : "")\(mask != nil ? " keyMask" : "")\(scale.map { " scale \($0)" } ?? "")"
    }
}

@Suite("Attention kernel")
struct AttentionKernelTests {
    static let cases: [AttentionCase] = [
        AttentionCase(B: 1, Tq: 4, Tk: 4, Hq: 2, Hkv: 2, D: 8),
        AttentionCase(B: 2, Tq: 5, Tk: 5, Hq: 4, Hkv: 2, D: 4),                                   // GQA
        AttentionCase(B: 2, Tq: 2, Tk: 7, Hq: 4, Hkv: 2, D: 4),                                   // decoding offset
        AttentionCase(B: 1, Tq: 1, Tk: 6, Hq: 4, Hkv: 1, D: 4),                                   // one token, MQA
        AttentionCase(B: 2, Tq: 5, Tk: 5, Hq: 4, Hkv: 2, D: 4, mask: [1, 1, 1, 0, 0, 0, 1, 1, 1, 1]),  // padding
        AttentionCase(B: 2, Tq: 3, Tk: 6, Hq: 2, Hkv: 1, D: 3, causal: false, mask: [1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0]),
        AttentionCase(B: 1, Tq: 3, Tk: 5, Hq: 2, Hkv: 2, D: 4, causal: false, scale: 0.3),
        AttentionCase(B: 2, Tq: 16, Tk: 16, Hq: 8, Hkv: 4, D: 16),                                // splits over threads
        AttentionCase(B: 1, Tq: 70, Tk: 70, Hq: 2, Hkv: 1, D: 8),                                 // causal query blocks
        AttentionCase(B: 1, Tq: 130, Tk: 140, Hq: 2, Hkv: 1, D: 4),                               // blocks + offset
        AttentionCase(B: 2, Tq: 256, Tk: 256, Hq: 2, Hkv: 2, D: 4,
                      mask: (0 ..< 512).map { $0 == 3 || $0 == 300 || $0 == 511 ? 0 : 1 }),         // 4 blocks + padding
    ]

    @Test("attentionForward matches naive per-head attention", arguments: cases)
    func forward(_ c: AttentionCase) {
        let q = randomTensor([c.B, c.Tq, c.Hq, c.D], seed: 100)
        let k = randomTensor([c.B, c.Tk, c.Hkv, c.D], seed: 101)
        let v = randomTensor([c.B, c.Tk, c.Hkv, c.D], seed: 102)
        let mask = c.mask.map { Tensor(shape: [c.B, c.Tk], data: $0) }
        let (y, ctx) = CPU.attentionForward(q: q, k: k, v: v, scale: c.scale, causal: c.causal, keyMask: mask)
        let scale = Double(c.scale ?? 1 / Float(c.D).squareRoot())
        let (ey, ep) = naiveAttention(q: q, k: k, v: v, scale: scale, causal: c.causal, keyMask: mask)
        expectClose(y, ey, atol: 2e-6, rtol: 1e-5, "output \(c.testDescription)")
        expectClose(ctx.probabilities, ep, atol: 1e-6, rtol: 1e-5, "probabilities \(c.testDescription)")
        #expect(ctx.scale == Float(scale))
    }

    @Test("Packed qkv [B, T, (Hq+2Hkv)·D] gives the same output and gradients as separate q, k, v",
          arguments: [(2, 2, 5, 3), (4, 2, 6, 4), (2, 1, 70, 4)])
    func packed(_ Hq: Int, _ Hkv: Int, _ T: Int, _ D: Int) {
        let B = 2
        let qkv = randomTensor([B, T, (Hq + 2 * Hkv) * D], seed: 103)
        let parts = qkv.split(axis: 2, sizes: [Hq * D, Hkv * D, Hkv * D])
        let q = parts[0].reshaped([B, T, Hq, D]), k = parts[1].reshaped([B, T, Hkv, D]), v = parts[2].reshaped([B, T, Hkv, D])
        let mask = Tensor(shape: [B, T], data: (0 ..< B * T).map { $0 == T + 1 ? 0 : 1 })
        let (y, ctx) = CPU.attentionForwardPacked(qkv: qkv, heads: Hq, kvHeads: Hkv, keyMask: mask)
        let (ey, ep) = naiveAttention(q: q, k: k, v: v, scale: 1 / Double(D).squareRoot(), causal: true, keyMask: mask)
        expectClose(y, ey, atol: 2e-6, rtol: 1e-5, "packed output Hq\(Hq) Hkv\(Hkv) T\(T)")
        expectClose(ctx.probabilities, ep, atol: 1e-6, rtol: 1e-5, "packed probabilities")
        let dOut = randomTensor([B, T, Hq, D], seed: 104)
        let (_, splitCtx) = CPU.attentionForward(q: q, k: k, v: v, keyMask: mask)
        let (dq, dk, dv) = CPU.attentionBackward(dOut, q: q, k: k, v: v, context: splitCtx)
        let dPacked = CPU.attentionBackwardPacked(dOut, qkv: qkv, heads: Hq, kvHeads: Hkv, context: ctx)
        let expected = Tensor.concatenate([dq.reshaped([B, T, Hq * D]), dk.reshaped([B, T, Hkv * D]), dv.reshaped([B, T, Hkv * D])],
                                          axis: 2)
        expectClose(dPacked, expected, atol: 1e-6, rtol: 1e-5, "packed gradient Hq\(Hq) Hkv\(Hkv) T\(T)")
    }

    @Test("KV-cache attention reads only the first `length` cache positions",
          arguments: [(1, 5, 8, 4, 2), (3, 6, 6, 2, 2), (2, 4, 9, 4, 1)])
    func kvCache(_ Tq: Int, _ length: Int, _ capacity: Int, _ Hq: Int, _ Hkv: Int) {
        let B = 2, D = 4
        let q = randomTensor([B, Tq, Hq, D], seed: 105)
        let k = randomTensor([B, length, Hkv, D], seed: 106), v = randomTensor([B, length, Hkv, D], seed: 107)
        // Caches hold k / v in their first `length` positions and NaN garbage after.
        func cache(_ t: Tensor) -> Tensor {
            var data = [Float](repeating: .nan, count: B * capacity * Hkv * D)
            let ts = t.scalars, run = length * Hkv * D
            for b in 0 ..< B { for i in 0 ..< run { data[b * capacity * Hkv * D + i] = ts[b * run + i] } }
            return Tensor(shape: [B, capacity, Hkv, D], data: data)
        }
        let mask = Tensor(shape: [B, length], data: (0 ..< B * length).map { $0 == 1 ? 0 : 1 })
        for keyMask in [nil, mask] as [Tensor?] {
            let y = CPU.attentionForward(q: q, kCache: cache(k), vCache: cache(v), length: length, keyMask: keyMask)
            let (ey, _) = naiveAttention(q: q, k: k, v: v, scale: 1 / Double(D).squareRoot(), causal: true, keyMask: keyMask)
            expectClose(y, ey, atol: 2e-6, rtol: 1e-5, "Tq\(Tq) length \(length) capacity \(capacity) mask \(keyMask != nil)")
        }
    }

    @Test("A query whose keys are all padded out gets a zero output")
    func fullyMaskedQuery() {
        // Batch 1 masks key 0, which is the only key query 0 may see causally.
        let c = Self.cases[4]
        let q = randomTensor([c.B, c.Tq, c.Hq, c.D], seed: 100)
        let k = randomTensor([c.B, c.Tk, c.Hkv, c.D], seed: 101), v = randomTensor([c.B, c.Tk, c.Hkv, c.D], seed: 102)
        let (y, _) = CPU.attentionForward(q: q, k: k, v: v, keyMask: Tensor(shape: [2, 5], data: c.mask!))
        #expect(y.row(1).row(0).scalars.allSatisfy { $0 == 0 })
        #expect(y.scalars.allSatisfy { $0.isFinite })
    }
}

struct RoPECase: Sendable, CustomTestStringConvertible {
    var D: Int, R: Int?, positions: [Int], theta: Float
    var testDescription: String { "D\(D) R\(R.map(String.init) ?? "D") positions \(positions) θ \(theta)" }
}

@Suite("RoPE kernel")
struct RoPEKernelTests {
    static let cases: [RoPECase] = [
        RoPECase(D: 8, R: nil, positions: [0, 1, 2], theta: 10_000),
        RoPECase(D: 6, R: 4, positions: [3, 4, 7, 10], theta: 10_000),         // partial rotary
        RoPECase(D: 16, R: nil, positions: [100, 2047], theta: 1_000_000),     // Qwen2 θ, far positions
        RoPECase(D: 10, R: 2, positions: [5], theta: 500),
    ]

    @Test("Both conventions match a naive per-pair rotation; rotateHalf matches HF rotate_half; interleaved matches the complex form",
          arguments: cases)
    func conventions(_ c: RoPECase) {
        let x = randomTensor([2, c.positions.count, 3, c.D], seed: 110)
        let R = c.R ?? c.D
        for conv in RoPEConvention.allCases {
            let y = CPU.rope(x, positions: c.positions, rotaryDimensions: c.R, theta: c.theta, convention: conv)
            expectClose(y, naiveRoPEPairs(x, positions: c.positions, R: R, theta: Double(c.theta), convention: conv),
                        atol: 2e-6, rtol: 1e-5, "\(conv) vs per-pair \(c.testDescription)")
            // The inverse rotation undoes it, and positions 0 rotate by nothing.
            let back = CPU.rope(y, positions: c.positions, rotaryDimensions: c.R, theta: c.theta, convention: conv, inverse: true)
            expectClose(back, x, atol: 2e-6, rtol: 1e-5, "\(conv) inverse round trip")
            // Dimensions past R pass through untouched.
            if R < c.D { expectEqual(y.slice(axis: 3, R ..< c.D), x.slice(axis: 3, R ..< c.D), "\(conv) pass-through") }
        }
        let half = CPU.rope(x, positions: c.positions, rotaryDimensions: c.R, theta: c.theta, convention: .rotateHalf)
        expectClose(half, naiveRoPEHuggingFace(x, positions: c.positions, R: R, theta: Double(c.theta)),
                    atol: 2e-6, rtol: 1e-5, "rotateHalf vs HF rotate_half \(c.testDescription)")
        let inter = CPU.rope(x, positions: c.positions, rotaryDimensions: c.R, theta: c.theta, convention: .interleaved)
        expectClose(inter, naiveRoPEComplex(x, positions: c.positions, R: R, theta: Double(c.theta)),
                    atol: 2e-6, rtol: 1e-5, "interleaved vs complex form \(c.testDescription)")
    }

    @Test("Per-row positions [B·T] (left padding) rotate each row by its own positions", arguments: RoPEConvention.allCases)
    func perRowPositions(_ conv: RoPEConvention) {
        let x = randomTensor([3, 4, 2, 6], seed: 112)
        let positions = [0, 1, 2, 3, 0, 0, 1, 2, 5, 9, 13, 400]
        for R in [6, 4] {
            let y = CPU.rope(x, positions: positions, rotaryDimensions: R, theta: 10_000, convention: conv)
            expectClose(y, naiveRoPEPairs(x, positions: positions, R: R, theta: 10_000, convention: conv),
                        atol: 2e-6, rtol: 1e-5, "\(conv) per-row R\(R)")
            // Each batch row equals the shared-positions kernel applied to that row alone.
            for b in 0 ..< 3 {
                let row = CPU.rope(x.rows(b ..< b + 1), positions: Array(positions[b * 4 ..< b * 4 + 4]), rotaryDimensions: R,
                                   theta: 10_000, convention: conv)
                expectEqual(y.rows(b ..< b + 1), row, "\(conv) row \(b)")
            }
            let back = CPU.rope(y, positions: positions, rotaryDimensions: R, theta: 10_000, convention: conv, inverse: true)
            expectClose(back, x, atol: 2e-6, rtol: 1e-5, "\(conv) per-row inverse")
        }
    }

    @Test("Position 0 is the identity; the input is not modified")
    func identityAndPurity() {
        let x = randomTensor([1, 1, 2, 8], seed: 111)
        let snapshot = x.scalars
        for conv in RoPEConvention.allCases {
            expectEqual(CPU.rope(x, positions: [0], theta: 10_000, convention: conv), x, "\(conv) at 0")
            _ = CPU.rope(x, positions: [9], theta: 10_000, convention: conv)
        }
        #expect(x.scalars == snapshot)
    }

    @Test("ropeTables hold cos/sin of pos·θ^(−2i/R)")
    func tables() {
        let (c, s) = CPU.ropeTables(positions: [0, 3, 11], rotaryDimensions: 6, theta: 10_000)
        var ec: [Double] = [], es: [Double] = []
        for p in [0, 3, 11] { for i in 0 ..< 3 { ec.append(Foundation.cos(ropeAngle(p, i, 6, 10_000))); es.append(Foundation.sin(ropeAngle(p, i, 6, 10_000))) } }
        expectClose(Tensor(c), tensor([9], ec), atol: 1e-7, rtol: 1e-6, "cos")
        expectClose(Tensor(s), tensor([9], es), atol: 1e-7, rtol: 1e-6, "sin")
    }
}

@Suite("Token log-probabilities kernel")
struct TokenLogProbKernelTests {
    @Test("tokenLogProbsForward / Backward match log-softmax + gather (+ mask)", arguments: [false, true])
    func matchesLogSoftmaxGather(_ masked: Bool) {
        let N = 7, V = 11
        let x = randomTensor([N, V], seed: 120, scale: 3)
        var labels: [Int32] = [0, 10, 3, 3, 7, 1, 5]
        let mask: Tensor? = masked ? Tensor([1, 0, 1, 1, 0, 1, 0]) : nil
        if masked { labels[1] = -100; labels[4] = -100 }   // padding labels, allowed where masked
        let idx = IndexTensor(shape: [N], data: labels)
        let (y, ctx) = CPU.tokenLogProbsForward(logits: x, labels: idx, mask: mask)
        let lsm = doubles(naiveSoftmaxRows(x, log: true))
        let ms = mask.map(doubles) ?? [Double](repeating: 1, count: N)
        let expected = (0 ..< N).map { n in ms[n] == 0 ? 0 : lsm[n * V + Int(labels[n])] }
        expectClose(y, tensor([N], expected), atol: 1e-5, rtol: 1e-6, "log p(label), masked \(masked)")
        let xs = doubles(x)
        for n in 0 ..< N where ms[n] != 0 {
            let lse = naiveLogSumExp(Array(xs[n * V ..< (n + 1) * V]))
            #expect(Swift.abs(Double(ctx.logSumExp[flat: n]) - lse) < 1e-5, "row \(n) logsumexp")
        }
        // dx[n, :] = g[n]·(onehot(label) − softmax(x[n, :])), zero for masked rows.
        let g = randomTensor([N], seed: 121)
        let gs = doubles(g)
        var dx = [Double](repeating: 0, count: N * V)
        for n in 0 ..< N where ms[n] != 0 {
            for j in 0 ..< V { dx[n * V + j] = gs[n] * ((j == Int(labels[n]) ? 1 : 0) - Foundation.exp(lsm[n * V + j])) }
        }
        let gx = CPU.tokenLogProbsBackward(g, logits: x, labels: idx, mask: mask, context: ctx)
        expectClose(gx, tensor([N, V], dx), atol: 1e-6, rtol: 1e-5, "dlogits, masked \(masked)")
    }

    @Test("Large vocabulary and many rows (parallel)")
    func large() {
        let N = 64, V = 1000
        let x = randomTensor([N, V], seed: 122, scale: 5)
        let labels = (0 ..< N).map { Int32(($0 * 37) % V) }
        let (y, _) = CPU.tokenLogProbsForward(logits: x, labels: IndexTensor(shape: [N], data: labels), mask: nil)
        let lsm = doubles(naiveSoftmaxRows(x, log: true))
        expectClose(y, tensor([N], (0 ..< N).map { lsm[$0 * V + Int(labels[$0])] }), atol: 1e-5, rtol: 1e-6, "N64 V1000")
        expectClose(y, x.logSoftmax().gatherLast(IndexTensor(shape: [N], data: labels)), atol: 1e-5, "vs engine composition")
    }
}
