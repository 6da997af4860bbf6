// Shared attention step for the model families: the differentiable fused kernel for training and
// scoring, and the cache path for incremental decoding.
import Autograd
import TensorCore

enum AttentionStep {
    /// q [B, T, Hq, D], k/v [B, T, Hkv, D] → [B, T, Hq, D]. `window` W: a query at p sees only keys
    /// p − W < j ≤ p (Mistral / Qwen2 sliding window). The cache keeps every position; the kernel
    /// reads only the window, so decoding costs O(W) per token and matches the full-sequence pass.
    /// `scale` (nil: 1/√D) and `softcap` (Gemma's attention logit soft-capping) reach both paths alike.
    static func run(q: Variable, k: Variable, v: Variable, layer: Int, attentionMask: Tensor?, cache: KVCache?,
                    window: Int? = nil, scale: Float? = nil, softcap: Float? = nil) -> Variable {
        guard let cache else {
            return Functional.attention(q: q, k: k, v: v, scale: scale, keyMask: attentionMask, window: window, softcap: softcap)
        }
        cache.write(layer: layer, k: k.value, v: v.value)
        let length = cache.length + q.shape[1]
        let out = CPU.attentionForward(q: q.value, kCache: cache.keys[layer], vCache: cache.values[layer], length: length,
                                       scale: scale, keyMask: attentionMask, window: window, softcap: softcap)
        return Variable(out)
    }
}
