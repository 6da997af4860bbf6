// Each fused kernel against the same computation composed from primitive ops: forward values and
// the gradient of every input agree to 1e-5 (absolute, on O(1) values). The composed versions use
// only primitives, each with its own gradient check, so a wrong hand-written backward shows here.
import Autograd
import Foundation
import TensorCore
import TestSupport
import Testing

/// Attention from primitives: permute → matmul → scale → mask (−1e9 via `select`) → softmax →
/// matmul → permute. GQA repeats each kv head over its query group with slices + concatenate.
func composedAttention(q: Variable, k: Variable, v: Variable, scale: Float?, causal: Bool, keyMask: Tensor?) -> Variable {
    let B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], D = q.shape[3], Tk = k.shape[1], Hkv = k.shape[2]
    let group = Hq / Hkv
    let qh = q.permuted([0, 2, 1, 3])                                    // [B, Hq, Tq, D]
    var kh = k.permuted([0, 2, 1, 3]), vh = v.permuted([0, 2, 1, 3])     // [B, Hkv, Tk, D]
    if group > 1 {
        kh = Variable.concatenate((0 ..< Hq).map { h in kh.slice(axis: 1, h / group ..< h / group + 1) }, axis: 1)
        vh = Variable.concatenate((0 ..< Hq).map { h in vh.slice(axis: 1, h / group ..< h / group + 1) }, axis: 1)
    }
    let scores = qh.matmul(kh, transposeOther: true) * (scale ?? 1 / Float(D).squareRoot())  // [B, Hq, Tq, Tk]
    var visible = [Float](repeating: 1, count: B * Tq * Tk)
    for b in 0 ..< B {
        for i in 0 ..< Tq {
            for j in 0 ..< Tk {
                if causal && j > Tk - Tq + i { visible[(b * Tq + i) * Tk + j] = 0 }
                if let keyMask, keyMask[b, j] == 0 { visible[(b * Tq + i) * Tk + j] = 0 }
            }
        }
    }
    let masked = Variable.select(Tensor(shape: [B, 1, Tq, Tk], data: visible), scores, Variable.constant(Tensor(-1e9)))
    return masked.softmax().matmul(vh).permuted([0, 2, 1, 3])             // [B, Tq, Hq, D]
}

/// RoPE from primitives: slices, products with constant cos/sin tensors, concatenate.
func composedRoPE(_ x: Variable, positions: [Int], R: Int, theta: Float, convention: RoPEConvention) -> Variable {
    let B = x.shape[0], T = x.shape[1], H = x.shape[2], D = x.shape[3], half = R / 2
    var cosv: [Float] = [], sinv: [Float] = []
    let rows = positions.count == T ? 1 : B   // shared positions [T] or per-row [B·T]
    for p in positions {
        for i in 0 ..< half {
            let angle = Double(p) / Foundation.pow(Double(theta), Double(2 * i) / Double(R))
            cosv.append(Float(Foundation.cos(angle)))
            sinv.append(Float(Foundation.sin(angle)))
        }
    }
    var parts: [Variable]
    switch convention {
    case .rotateHalf:
        let c = Tensor(shape: [rows, T, 1, half], data: cosv), s = Tensor(shape: [rows, T, 1, half], data: sinv)
        let x1 = x.slice(axis: 3, 0 ..< half), x2 = x.slice(axis: 3, half ..< R)
        parts = [x1 * c - x2 * s, x2 * c + x1 * s]
    case .interleaved:
        let c = Tensor(shape: [rows, T, 1, half, 1], data: cosv), s = Tensor(shape: [rows, T, 1, half, 1], data: sinv)
        let pairs = x.slice(axis: 3, 0 ..< R).reshaped([B, T, H, half, 2])
        let even = pairs.slice(axis: 4, 0 ..< 1), odd = pairs.slice(axis: 4, 1 ..< 2)
        parts = [Variable.concatenate([even * c - odd * s, even * s + odd * c], axis: 4).reshaped([B, T, H, R])]
    }
    if R < D { parts.append(x.slice(axis: 3, R ..< D)) }
    return parts.count == 1 ? parts[0] : Variable.concatenate(parts, axis: 3)
}

@Suite("Fused kernels vs compositions of primitives")
struct FusedCompositionTests {
    @Test("layerNorm = (x − mean)·rsqrt(var + ε)·w + b", arguments: [true, false])
    func layerNorm(_ withBias: Bool) {
        let eps: Float = 1e-5
        var inputs = [Inputs.normal([3, 4, 16], 1, scale: 1.5).affine(scale: 1, shift: 0.5), Inputs.normal([16], 2)]
        if withBias { inputs.append(Inputs.normal([16], 3)) }
        expectFusedMatchesComposed(inputs, "layerNorm bias \(withBias)", fused: { v in
            Functional.layerNorm(v[0], weight: v[1], bias: withBias ? v[2] : nil, eps: eps)
        }, composed: { v in
            let centered = v[0] - v[0].mean(axis: -1, keepDims: true)
            let variance = centered.squared().mean(axis: -1, keepDims: true)
            let y = centered * (variance + eps).rsqrt() * v[1]
            return withBias ? y + v[2] : y
        })
    }

    @Test("rmsNorm = x·rsqrt(mean(x²) + ε)·w")
    func rmsNorm() {
        let eps: Float = 1e-6
        expectFusedMatchesComposed([Inputs.normal([3, 4, 16], 4), Inputs.normal([16], 5)], "rmsNorm", fused: { v in
            Functional.rmsNorm(v[0], weight: v[1], eps: eps)
        }, composed: { v in
            v[0] * (v[0].squared().mean(axis: -1, keepDims: true) + eps).rsqrt() * v[1]
        })
    }

    struct AttentionShape: Sendable, CustomTestStringConvertible {
        var name: String
        var B: Int, Tq: Int, Tk: Int, Hq: Int, Hkv: Int, D: Int
        var causal = true
        var mask: [Float]? = nil
        var scale: Float? = nil
        var testDescription: String { name }
    }

    static let attentionShapes: [AttentionShape] = [
        AttentionShape(name: "causal MHA", B: 2, Tq: 5, Tk: 5, Hq: 2, Hkv: 2, D: 4),
        AttentionShape(name: "GQA Hq4 Hkv2", B: 2, Tq: 5, Tk: 5, Hq: 4, Hkv: 2, D: 4),
        AttentionShape(name: "decoding Tq3 < Tk7, GQA", B: 2, Tq: 3, Tk: 7, Hq: 4, Hkv: 2, D: 4),
        AttentionShape(name: "key padding mask, GQA", B: 2, Tq: 4, Tk: 4, Hq: 4, Hkv: 2, D: 4, mask: [1, 1, 1, 0, 1, 1, 0, 1]),
        AttentionShape(name: "non-causal, mask, scale", B: 2, Tq: 3, Tk: 5, Hq: 2, Hkv: 1, D: 4, causal: false,
                       mask: [0, 1, 1, 0, 1, 1, 1, 1, 1, 0], scale: 0.4),
        AttentionShape(name: "causal query blocks Tq70", B: 1, Tq: 70, Tk: 70, Hq: 2, Hkv: 1, D: 4),
        AttentionShape(name: "blocks with offset Tq130 < Tk135, mask", B: 1, Tq: 130, Tk: 135, Hq: 2, Hkv: 2, D: 4,
                       mask: (0 ..< 135).map { $0 == 2 || $0 == 100 ? 0 : 1 }),
    ]

    @Test("attention = softmax(mask(s·QKᵀ))·V per head", arguments: attentionShapes)
    func attention(_ s: AttentionShape) {
        let inputs = [Inputs.normal([s.B, s.Tq, s.Hq, s.D], 6), Inputs.normal([s.B, s.Tk, s.Hkv, s.D], 7),
                      Inputs.normal([s.B, s.Tk, s.Hkv, s.D], 8)]
        let mask = s.mask.map { Tensor(shape: [s.B, s.Tk], data: $0) }
        expectFusedMatchesComposed(inputs, "attention \(s.name)", fused: { v in
            Functional.attention(q: v[0], k: v[1], v: v[2], scale: s.scale, causal: s.causal, keyMask: mask)
        }, composed: { v in
            composedAttention(q: v[0], k: v[1], v: v[2], scale: s.scale, causal: s.causal, keyMask: mask)
        })
    }

    @Test("Packed-qkv attention = split + reshape + composed attention", arguments: [(2, 2, 5), (4, 2, 6), (2, 1, 70)])
    func packedAttention(_ Hq: Int, _ Hkv: Int, _ T: Int) {
        let B = 2, D = 3
        let mask = Tensor(shape: [B, T], data: (0 ..< B * T).map { $0 == T + 1 ? 0 : 1 })
        expectFusedMatchesComposed([Inputs.normal([B, T, (Hq + 2 * Hkv) * D], 9)], "packed Hq\(Hq) Hkv\(Hkv) T\(T)", fused: { v in
            Functional.attention(packed: v[0], heads: Hq, kvHeads: Hkv, keyMask: mask)
        }, composed: { v in
            let p = v[0].split(axis: 2, sizes: [Hq * D, Hkv * D, Hkv * D])
            return composedAttention(q: p[0].reshaped([B, T, Hq, D]), k: p[1].reshaped([B, T, Hkv, D]),
                                     v: p[2].reshaped([B, T, Hkv, D]), scale: nil, causal: true, keyMask: mask)
        })
    }

    @Test("rope = slices · constant cos/sin + concatenate", arguments: RoPEConvention.allCases)
    func rope(_ convention: RoPEConvention) {
        // (T, D, R, positions, θ); positions hold T shared entries or B·T = 2·T per-row entries.
        for (T, D, R, positions, theta) in [(4, 8, 8, [0, 1, 2, 3], Float(10_000)), (3, 6, 4, [2, 5, 11], Float(10_000)),
                                            (2, 10, 6, [7, 300], Float(1_000_000)), (3, 6, 6, [0, 1, 2, 0, 0, 5], Float(10_000))] {
            expectFusedMatchesComposed([Inputs.normal([2, T, 3, D], 10)], "rope \(convention) D\(D) R\(R) positions \(positions)", fused: { v in
                Functional.rope(v[0], positions: positions, rotaryDimensions: R == D ? nil : R, theta: theta, convention: convention)
            }, composed: { v in
                composedRoPE(v[0], positions: positions, R: R, theta: theta, convention: convention)
            })
        }
    }

    @Test("tokenLogProbs = logSoftmax → gatherLast → × mask", arguments: [false, true])
    func tokenLogProbs(_ masked: Bool) {
        let labels = IndexTensor(shape: [2, 4], data: [3, -100, 0, 6, 6, 2, -100, 1])
        let mask: Tensor? = masked ? Tensor(shape: [2, 4], data: [1, 0, 1, 1, 1, 1, 0, 1]) : nil
        let safe = masked ? IndexTensor(shape: [2, 4], data: labels.data.map { Swift.max($0, 0) })
                          : IndexTensor(shape: [2, 4], data: [3, 5, 0, 6, 6, 2, 4, 1])
        expectFusedMatchesComposed([Inputs.normal([2, 4, 7], 11, scale: 2)], "tokenLogProbs masked \(masked)", fused: { v in
            Functional.tokenLogProbs(logits: v[0], labels: masked ? labels : safe, mask: mask)
        }, composed: { v in
            let lp = v[0].logSoftmax().gatherLast(safe)
            return mask.map { lp * $0 } ?? lp
        })
    }

    @Test("crossEntropy = −Σ(mask·log p)/Σmask")
    func crossEntropy() {
        let labels = IndexTensor(shape: [2, 3], data: [1, 4, 0, 2, 2, 3])
        let mask = Tensor(shape: [2, 3], data: [1, 1, 0, 1, 0, 1])
        expectFusedMatchesComposed([Inputs.normal([2, 3, 5], 12)], "crossEntropy", fused: { v in
            Functional.crossEntropy(logits: v[0], labels: labels, mask: mask)
        }, composed: { v in
            (v[0].logSoftmax().gatherLast(labels) * mask).sum() * (-1 / Float(4))
        })
    }
}
