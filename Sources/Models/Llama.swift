// Llama (Touvron et al. 2023, arXiv:2302.13971), Qwen2 (arXiv:2407.10671; = Llama with a bias
// on q/k/v), Phi-3 (arXiv:2404.14219; = Llama with fused q/k/v and gate/up weights and a sliding
// window), OLMo 2 (arXiv:2501.00656; = Llama with RMSNorm over the whole q and k projections and the
// norms moved after attention and the MLP), Qwen3 (arXiv:2505.09388; = Llama with an RMSNorm over each head of q and k before RoPE,
// as OLMo 2 and Gemma 3 do, which keeps attention logits bounded) and Mistral (Jiang et al. 2023, arXiv:2310.06825; = Llama with sliding-window attention).
// Port of transformers/models/llama/modeling_llama.py (LlamaForCausalLM): RMSNorm, rotary positions
// (rotate-half convention, base `rope_theta`), grouped-query attention, SwiGLU MLP, optional tied
// embeddings; plus the per-layer sliding window of modeling_mistral.py / modeling_qwen2.py.
import Autograd
import NN
import TensorCore

public final class LlamaAttention: Module {
    public var qProj: Linear
    public var kProj: Linear
    public var vProj: Linear
    public var oProj: Linear
    /// Qwen3: RMSNorm over each head's q and k (weights [headDim]); OLMo 2: over the whole q and k
    /// projections (weights [H·D], [Hkv·D]); nil for the others.
    public var qNorm: RMSNorm?
    public var kNorm: RMSNorm?
    let normWholeProjection: Bool
    let heads: Int, kvHeads: Int, headDim: Int
    let ropeTheta: Float
    /// RoPE scaling (RopeScaling.swift); the static types' frequencies are computed once, the
    /// length-dependent ones (dynamic, longrope) per call from the largest position.
    let rope: LlamaConfiguration
    let staticRope: LlamaConfiguration.RopeFrequencies?
    /// Sliding window of this layer (nil: full causal attention), applied in the full-sequence kernel,
    /// its backward, and cached decoding alike.
    let window: Int?

    init(_ c: LlamaConfiguration, layer: Int, rng: inout RandomGenerator) {
        window = c.attentionWindow(layer: layer)
        heads = c.numAttentionHeads
        kvHeads = c.kvHeads
        headDim = c.headDimension
        ropeTheta = c.ropeTheta
        rope = c
        staticRope = ["dynamic", "longrope"].contains(c.ropeScaling?.type ?? "") ? nil : c.ropeFrequencies(sequenceLength: 1)
        qProj = Linear(c.hiddenSize, heads * headDim, bias: c.qkvBias, rng: &rng)
        kProj = Linear(c.hiddenSize, kvHeads * headDim, bias: c.qkvBias, rng: &rng)
        vProj = Linear(c.hiddenSize, kvHeads * headDim, bias: c.qkvBias, rng: &rng)
        oProj = Linear(heads * headDim, c.hiddenSize, bias: c.outputBias, rng: &rng)
        normWholeProjection = c.qkNorm == .wholeProjection
        switch c.qkNorm {
        case .none:
            qNorm = nil
            kNorm = nil
        case .perHead:
            qNorm = RMSNorm(headDim, eps: c.rmsNormEps)
            kNorm = RMSNorm(headDim, eps: c.rmsNormEps)
        case .wholeProjection:
            qNorm = RMSNorm(heads * headDim, eps: c.rmsNormEps)
            kNorm = RMSNorm(kvHeads * headDim, eps: c.rmsNormEps)
        }
        super.init()
    }

    /// q [B, T, H, D] and k [B, T, Hkv, D] after the q/k norms and RoPE, and v [B, T, Hkv, D]: what
    /// the forward hands to the attention kernel (and what attention inspection recomputes).
    func projections(_ x: Variable, positions: [Int]) -> (q: Variable, k: Variable, v: Variable) {
        let B = x.shape[0], T = x.shape[1]
        var qFlat = qProj(x), kFlat = kProj(x)
        if normWholeProjection, let qNorm, let kNorm {
            qFlat = qNorm(qFlat)
            kFlat = kNorm(kFlat)
        }
        var q = qFlat.reshaped([B, T, heads, headDim])
        var k = kFlat.reshaped([B, T, kvHeads, headDim])
        let v = vProj(x).reshaped([B, T, kvHeads, headDim])
        if !normWholeProjection, let qNorm, let kNorm {
            q = qNorm(q)
            k = kNorm(k)
        }
        // transformers' dynamic_rope_update: the length is max(position_ids) + 1 over the batch.
        let f = staticRope ?? rope.ropeFrequencies(sequenceLength: (positions.max() ?? 0) + 1)
        q = Functional.rope(q, positions: positions, theta: ropeTheta, convention: .rotateHalf, frequencyScale: f.scale, amplitude: f.amplitude)
        k = Functional.rope(k, positions: positions, theta: ropeTheta, convention: .rotateHalf, frequencyScale: f.scale, amplitude: f.amplitude)
        return (q, k, v)
    }

    func callAsFunction(_ x: Variable, positions: [Int], layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let B = x.shape[0], T = x.shape[1]
        let (q, k, v) = projections(x, positions: positions)
        let y = AttentionStep.run(q: q, k: k, v: v, layer: layer, attentionMask: attentionMask, cache: cache, window: window)
        return oProj(y.reshaped([B, T, heads * headDim]))
    }
}

public final class LlamaMLP: Module {
    public var gateProj: Linear
    public var upProj: Linear
    public var downProj: Linear

    init(_ c: LlamaConfiguration, rng: inout RandomGenerator) {
        gateProj = Linear(c.hiddenSize, c.intermediateSize, bias: c.mlpProjectionBias, rng: &rng)
        upProj = Linear(c.hiddenSize, c.intermediateSize, bias: c.mlpProjectionBias, rng: &rng)
        downProj = Linear(c.intermediateSize, c.hiddenSize, bias: c.mlpProjectionBias, rng: &rng)
        super.init()
    }

    /// SwiGLU (Shazeer 2020, arXiv:2002.05202): down(silu(gate(x)) ⊙ up(x)).
    func callAsFunction(_ x: Variable) -> Variable { downProj(gateProj(x).silu() * upProj(x)) }
}

public final class LlamaDecoderLayer: Module, RoPEDecoderLayer {
    public var selfAttn: LlamaAttention
    public var mlp: LlamaMLP
    /// Pre-norm blocks (Llama and most): the norm before attention; nil for OLMo 2.
    public var inputLayernorm: RMSNorm?
    /// Pre-norm: the norm before the MLP. OLMo 2: the norm of the attention output.
    public var postAttentionLayernorm: RMSNorm
    /// OLMo 2: the norm of the MLP output; nil for pre-norm blocks.
    public var postFeedforwardLayernorm: RMSNorm?

    public init(_ c: LlamaConfiguration, layer: Int, rng: inout RandomGenerator) {
        selfAttn = LlamaAttention(c, layer: layer, rng: &rng)
        mlp = LlamaMLP(c, rng: &rng)
        inputLayernorm = c.normsAfterSublayers ? nil : RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        postAttentionLayernorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        postFeedforwardLayernorm = c.normsAfterSublayers ? RMSNorm(c.hiddenSize, eps: c.rmsNormEps) : nil
        super.init()
    }

    /// What the attention reads: the normalised residual (pre-norm) or the residual itself (OLMo 2).
    func attentionInput(_ x: Variable) -> Variable { inputLayernorm.map { $0(x) } ?? x }

    public func callAsFunction(_ x: Variable, positions: [Int], layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        if let postFeedforwardLayernorm {
            // OLMo 2 (arXiv:2501.00656): x + norm(attn(x)), then h + norm(mlp(h)).
            let h = x + postAttentionLayernorm(selfAttn(x, positions: positions, layer: layer, attentionMask: attentionMask, cache: cache))
            return h + postFeedforwardLayernorm(mlp(h))
        }
        let h = x + selfAttn(attentionInput(x), positions: positions, layer: layer, attentionMask: attentionMask, cache: cache)
        return h + mlp(postAttentionLayernorm(h))
    }
}

public final class LlamaForCausalLM: DecoderCausalLM<LlamaDecoderLayer, RMSNorm>, DecoderShell, DecoderStack {
    /// Phi-3 with LongRoPE: the cache is recomputed when the width first passes the original context.
    public var cacheRecomputeWidth: Int? {
        guard config.modelType == "phi3", let scaling = config.ropeScaling, scaling.type == "longrope",
              let original = scaling.parameters.originalMaxPositionEmbeddings else { return nil }
        return original + 1
    }

    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        stackHiddenStates(ids, attentionMask: attentionMask, cache: cache)
    }

    public func logits(fromHidden h: Variable) -> Variable {
        if let lmHead { return lmHead(h) }
        return model.embedTokens.tiedLogits(h)
    }

    func embedInputs(_ ids: IndexTensor) -> Variable { model.embedTokens(ids) }

    /// Drops RoPE buffers some checkpoints carry and a tied `lm_head`; splits Phi-3's fused
    /// projections (rows of `qkv_proj`: q, then k, then v; of `gate_up_proj`: gate, then up).
    /// A fused tensor of the wrong size is passed through unsplit, so the strict load names it.
    public func sanitize(_ weights: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        let c = config, D = c.headDimension
        for (k, t) in weights {
            if k.hasSuffix("rotary_emb.inv_freq") { continue }
            if k == "lm_head.weight" && config.tieWordEmbeddings { continue }
            if c.fusedProjections, k.hasSuffix("self_attn.qkv_proj.weight"),
               t.rank == 2, t.shape[0] == (c.numAttentionHeads + 2 * c.kvHeads) * D {
                let base = String(k.dropLast("qkv_proj.weight".count))
                let q = c.numAttentionHeads * D, kv = c.kvHeads * D
                out[base + "q_proj.weight"] = t.rows(0 ..< q)
                out[base + "k_proj.weight"] = t.rows(q ..< q + kv)
                out[base + "v_proj.weight"] = t.rows(q + kv ..< q + 2 * kv)
                continue
            }
            if c.fusedProjections, k.hasSuffix("mlp.gate_up_proj.weight"), t.rank == 2, t.shape[0] == 2 * c.intermediateSize {
                let base = String(k.dropLast("gate_up_proj.weight".count))
                out[base + "gate_proj.weight"] = t.rows(0 ..< c.intermediateSize)
                out[base + "up_proj.weight"] = t.rows(c.intermediateSize ..< 2 * c.intermediateSize)
                continue
            }
            out[k] = t
        }
        return out
    }

    /// The tensors under their checkpoint names: the state dict, with Phi-3's projections fused
    /// again so that transformers loads the folder.
    public func checkpointTensors() -> [String: Tensor] {
        var tensors = stateDict()
        guard config.fusedProjections else { return tensors }
        for i in 0 ..< config.numHiddenLayers {
            let a = "model.layers.\(i).self_attn.", m = "model.layers.\(i).mlp."
            if let q = tensors.removeValue(forKey: a + "q_proj.weight"), let k = tensors.removeValue(forKey: a + "k_proj.weight"),
               let v = tensors.removeValue(forKey: a + "v_proj.weight") {
                tensors[a + "qkv_proj.weight"] = Tensor.concatenate([q, k, v], axis: 0)
            }
            if let g = tensors.removeValue(forKey: m + "gate_proj.weight"), let u = tensors.removeValue(forKey: m + "up_proj.weight") {
                tensors[m + "gate_up_proj.weight"] = Tensor.concatenate([g, u], axis: 0)
            }
        }
        return tensors
    }

    public func configurationJSON() throws -> [String: Any] {
        var json = try jsonObject(config)
        let architecture = ["qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "mistral": "MistralForCausalLM", "phi3": "Phi3ForCausalLM",
                            "olmo2": "Olmo2ForCausalLM"]
        json["architectures"] = [architecture[config.modelType] ?? "LlamaForCausalLM"]
        json["torch_dtype"] = "float32"
        return json
    }
}
