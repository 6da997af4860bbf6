// Fused layer kernels as single graph nodes: the forward saves what the hand-written backward in
// TensorCore needs (statistics, probabilities, log-sum-exp), so each costs one node instead of a
// dozen primitive ones.
import TensorCore

/// Free functions for the fused kernels.
public enum Functional {
    /// Layer norm over the last axis (arXiv:1607.06450).
    public static func layerNorm(_ x: Variable, weight: Variable, bias: Variable?, eps: Float = 1e-5) -> Variable {
        let (y, stats) = CPU.layerNormForward(x.value, weight: weight.value, bias: bias?.value, eps: eps)
        let xv = x.value, wv = weight.value
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return record(.layerNorm, y, inputs) { g in
            let (dx, dw, db) = CPU.layerNormBackward(g, x: xv, weight: wv, stats: stats)
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// RMS norm over the last axis (arXiv:1910.07467).
    public static func rmsNorm(_ x: Variable, weight: Variable, eps: Float = 1e-6) -> Variable {
        let (y, stats) = CPU.rmsNormForward(x.value, weight: weight.value, eps: eps)
        let xv = x.value, wv = weight.value
        return record(.rmsNorm, y, [x, weight]) { g in
            let (dx, dw) = CPU.rmsNormBackward(g, x: xv, weight: wv, stats: stats)
            return [dx, dw]
        }
    }

    /// Scaled dot-product attention, causal, with grouped-query heads.
    /// q [B, Tq, Hq, D], k/v [B, Tk, Hkv, D] → [B, Tq, Hq, D]. `keyMask` [B, Tk] (1 keep, 0 pad).
    /// `window` W restricts a query at p to keys p − W < j ≤ p (Mistral's sliding window, as
    /// transformers masks it); the backward honours it through the saved probabilities' context.
    /// `softcap` c replaces each score by c·tanh(score / c) (Gemma 2's attention logit soft-capping).
    public static func attention(q: Variable, k: Variable, v: Variable, scale: Float? = nil, causal: Bool = true,
                                 keyMask: Tensor? = nil, window: Int? = nil, softcap: Float? = nil) -> Variable {
        let (y, ctx) = CPU.attentionForward(q: q.value, k: k.value, v: v.value, scale: scale, causal: causal, keyMask: keyMask,
                                            window: window, softcap: softcap)
        let qv = q.value, kv = k.value, vv = v.value
        return record(.attention, y, [q, k, v]) { g in
            let (dq, dk, dv) = CPU.attentionBackward(g, q: qv, k: kv, v: vv, context: ctx)
            return [dq, dk, dv]
        }
    }

    /// Rotary position embedding of x [B, T, H, D] at `positions` (arXiv:2104.09864).
    /// `frequencyScale` multiplies each inverse frequency (RoPE scaling: linear, Llama 3, YaRN,
    /// dynamic NTK, LongRoPE); `amplitude` multiplies cos and sin (YaRN / LongRoPE attention factor).
    public static func rope(_ x: Variable, positions: [Int], rotaryDimensions: Int? = nil, theta: Float = 10_000,
                            convention: RoPEConvention = .rotateHalf, frequencyScale: [Float]? = nil,
                            amplitude: Float = 1) -> Variable {
        let y = CPU.rope(x.value, positions: positions, rotaryDimensions: rotaryDimensions, theta: theta, convention: convention,
                         frequencyScale: frequencyScale, amplitude: amplitude)
        return record(.rope, y, [x]) { g in
            [CPU.rope(g, positions: positions, rotaryDimensions: rotaryDimensions, theta: theta, convention: convention, inverse: true,
                      frequencyScale: frequencyScale, amplitude: amplitude)]
        }
    }

    /// log p(label) per row of logits [..., V] → [...]; masked rows (mask 0) give 0 and no gradient.
    /// The fused log-softmax + gather + mask at the start of every objective.
    public static func tokenLogProbs(logits: Variable, labels: IndexTensor, mask: Tensor? = nil) -> Variable {
        let lv = logits.value
        let flat = lv.reshaped([-1, lv.shape.last ?? 1])
        let (y, ctx) = CPU.tokenLogProbsForward(logits: flat, labels: labels, mask: mask)
        let outShape = Array(lv.shape.dropLast())
        return record(.tokenLogProbs, y.reshaped(outShape), [logits]) { g in
            [CPU.tokenLogProbsBackward(g.reshaped([-1]), logits: flat, labels: labels, mask: mask, context: ctx).reshaped(lv.shape)]
        }
    }

    /// Mean negative log-likelihood over unmasked tokens (SFT's loss).
    public static func crossEntropy(logits: Variable, labels: IndexTensor, mask: Tensor? = nil) -> Variable {
        let lp = tokenLogProbs(logits: logits, labels: labels, mask: mask)
        let n = mask.map { $0.sum().scalar } ?? Float(labels.count)
        return lp.sum().affine(scale: -1 / Swift.max(n, 1))
    }
}

extension Functional {
    /// Causal self-attention read directly from a packed projection qkv [B, T, (Hq + 2·Hkv)·D]
    /// (query heads first, then keys, then values, as GPT-2's `c_attn` lays them out) → [B, T, Hq, D].
    /// Same maths as `attention(q:k:v:)` without the split copies in either pass.
    public static func attention(packed qkv: Variable, heads: Int, kvHeads: Int? = nil, scale: Float? = nil, causal: Bool = true,
                                 keyMask: Tensor? = nil) -> Variable {
        let hkv = kvHeads ?? heads
        let (y, ctx) = CPU.attentionForwardPacked(qkv: qkv.value, heads: heads, kvHeads: hkv, scale: scale, causal: causal, keyMask: keyMask)
        let packed = qkv.value
        return record(.attention, y, [qkv]) { g in
            [CPU.attentionBackwardPacked(g, qkv: packed, heads: heads, kvHeads: hkv, context: ctx)]
        }
    }
}
