// Gemma 2 (Gemma Team 2024, arXiv:2408.00118) and Gemma 3 text (arXiv:2503.19786).
// Port of transformers' Gemma2ForCausalLM / Gemma3ForCausalLM. A Llama-shaped decoder with:
// - GeGLU MLP: down(gelu_tanh(gate(x)) ⊙ up(x)) (Shazeer 2020, arXiv:2002.05202);
// - RMSNorm scaled by (1 + w), weights stored around 0 (GemmaRMSNorm);
// - four norms per block: x + post_attn_norm(attn(input_norm(x))), then h + post_ffw_norm(mlp(pre_ffw_norm(h)));
// - token embeddings multiplied by √hidden_size;
// - attention scores scaled by query_pre_attn_scalar^(−1/2);
// - Gemma 2: soft-capped attention scores and final logits, c·tanh(x / c);
// - layers alternating between a sliding window and global attention (Gemma 2 every other layer,
//   Gemma 3 five local to one global), Gemma 3 with its own RoPE base on the local layers and an
//   RMSNorm over each head of q and k before RoPE.
// Everything runs through the autograd graph (fused attention with soft-capping, fused RMSNorm), so
// the model trains (full or LoRA) like the Llama family, and cached decoding uses the same kernel.
import Autograd
import NN
import TensorCore

/// RMSNorm with Gemma's (1 + w) scale: weights are stored as offsets from 1 and start at 0.
public final class GemmaRMSNorm: Module, DecoderFinalNorm {
    public var weight: Variable
    public let eps: Float

    public init(_ dimensions: Int, eps: Float) {
        weight = Variable(Tensor(shape: [dimensions], repeating: 0), requiresGrad: true)
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Variable) -> Variable { Functional.rmsNorm(x, weight: weight + 1, eps: eps) }
}

public final class GemmaAttention: Module {
    public var qProj: Linear
    public var kProj: Linear
    public var vProj: Linear
    public var oProj: Linear
    /// Gemma 3 only: RMSNorm (1 + w) over each head of q and k, before RoPE.
    public var qNorm: GemmaRMSNorm?
    public var kNorm: GemmaRMSNorm?
    let heads: Int, kvHeads: Int, headDim: Int
    let ropeTheta: Float
    let ropeScale: [Float]?
    /// This layer's sliding window (nil: global attention).
    let window: Int?
    /// query_pre_attn_scalar^(−1/2).
    let scale: Float
    let softcap: Float?

    init(_ c: GemmaConfiguration, layer: Int, rng: inout RandomGenerator) {
        heads = c.numAttentionHeads
        kvHeads = c.numKeyValueHeads
        headDim = c.headDim
        (ropeTheta, ropeScale) = c.rope(layer: layer)
        window = c.attentionWindow(layer: layer)
        scale = 1 / c.queryPreAttnScalar.squareRoot()
        softcap = c.attnLogitSoftcapping
        qProj = Linear(c.hiddenSize, heads * headDim, bias: c.attentionBias, rng: &rng)
        kProj = Linear(c.hiddenSize, kvHeads * headDim, bias: c.attentionBias, rng: &rng)
        vProj = Linear(c.hiddenSize, kvHeads * headDim, bias: c.attentionBias, rng: &rng)
        oProj = Linear(heads * headDim, c.hiddenSize, bias: c.attentionBias, rng: &rng)
        qNorm = c.hasQKNorm ? GemmaRMSNorm(headDim, eps: c.rmsNormEps) : nil
        kNorm = c.hasQKNorm ? GemmaRMSNorm(headDim, eps: c.rmsNormEps) : nil
        super.init()
    }

    /// q [B, T, H, D] and k [B, T, Hkv, D] after the q/k norms and RoPE, and v [B, T, Hkv, D].
    func projections(_ x: Variable, positions: [Int]) -> (q: Variable, k: Variable, v: Variable) {
        let B = x.shape[0], T = x.shape[1]
        var q = qProj(x).reshaped([B, T, heads, headDim])
        var k = kProj(x).reshaped([B, T, kvHeads, headDim])
        let v = vProj(x).reshaped([B, T, kvHeads, headDim])
        if let qNorm, let kNorm {
            q = qNorm(q)
            k = kNorm(k)
        }
        q = Functional.rope(q, positions: positions, theta: ropeTheta, convention: .rotateHalf, frequencyScale: ropeScale)
        k = Functional.rope(k, positions: positions, theta: ropeTheta, convention: .rotateHalf, frequencyScale: ropeScale)
        return (q, k, v)
    }

    func callAsFunction(_ x: Variable, positions: [Int], layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let B = x.shape[0], T = x.shape[1]
        let (q, k, v) = projections(x, positions: positions)
        let y = AttentionStep.run(q: q, k: k, v: v, layer: layer, attentionMask: attentionMask, cache: cache, window: window,
                                  scale: scale, softcap: softcap)
        return oProj(y.reshaped([B, T, heads * headDim]))
    }
}

public final class GemmaMLP: Module {
    public var gateProj: Linear
    public var upProj: Linear
    public var downProj: Linear
    /// "gelu" is the exact (erf) GELU; the other accepted names are the tanh approximation.
    let exactGELU: Bool

    init(_ c: GemmaConfiguration, rng: inout RandomGenerator) {
        gateProj = Linear(c.hiddenSize, c.intermediateSize, bias: false, rng: &rng)
        upProj = Linear(c.hiddenSize, c.intermediateSize, bias: false, rng: &rng)
        downProj = Linear(c.intermediateSize, c.hiddenSize, bias: false, rng: &rng)
        exactGELU = c.hiddenActivation == "gelu"
        super.init()
    }

    /// GeGLU: down(gelu(gate(x)) ⊙ up(x)).
    func callAsFunction(_ x: Variable) -> Variable {
        let g = gateProj(x)
        return downProj((exactGELU ? g.geluErf() : g.gelu()) * upProj(x))
    }
}

public final class GemmaDecoderLayer: Module, RoPEDecoderLayer {
    public var selfAttn: GemmaAttention
    public var mlp: GemmaMLP
    public var inputLayernorm: GemmaRMSNorm
    public var postAttentionLayernorm: GemmaRMSNorm
    public var preFeedforwardLayernorm: GemmaRMSNorm
    public var postFeedforwardLayernorm: GemmaRMSNorm

    public init(_ c: GemmaConfiguration, layer: Int, rng: inout RandomGenerator) {
        selfAttn = GemmaAttention(c, layer: layer, rng: &rng)
        mlp = GemmaMLP(c, rng: &rng)
        inputLayernorm = GemmaRMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        postAttentionLayernorm = GemmaRMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        preFeedforwardLayernorm = GemmaRMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        postFeedforwardLayernorm = GemmaRMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        super.init()
    }

    public func callAsFunction(_ x: Variable, positions: [Int], layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let a = selfAttn(inputLayernorm(x), positions: positions, layer: layer, attentionMask: attentionMask, cache: cache)
        let h = x + postAttentionLayernorm(a)
        return h + postFeedforwardLayernorm(mlp(preFeedforwardLayernorm(h)))
    }
}

/// Gemma2ForCausalLM / Gemma3ForCausalLM (released checkpoints tie `lm_head` to the embeddings).
public final class GemmaForCausalLM: DecoderCausalLM<GemmaDecoderLayer, GemmaRMSNorm>, DecoderShell, DecoderStack {
    /// Scaled token embeddings (× √hidden): what the first layer reads.
    func embedInputs(_ ids: IndexTensor) -> Variable { model.embedTokens(ids) * config.embeddingScale }

    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        stackHiddenStates(ids, attentionMask: attentionMask, cache: cache)
    }

    /// lm_head (or the tied embeddings), then Gemma 2's final soft-capping c·tanh(logits / c).
    public func logits(fromHidden h: Variable) -> Variable {
        let logits = lmHead.map { $0(h) } ?? model.embedTokens.tiedLogits(h)
        guard let cap = config.finalLogitSoftcapping else { return logits }
        return logits.affine(scale: 1 / cap).tanh().affine(scale: cap)
    }

    /// Drops RoPE buffers and a tied `lm_head`.
    public func sanitize(_ weights: [String: Tensor]) -> [String: Tensor] {
        weights.filter { k, _ in !k.hasSuffix("rotary_emb.inv_freq") && !(k == "lm_head.weight" && config.tieWordEmbeddings) }
    }

    public func checkpointTensors() -> [String: Tensor] { stateDict() }

    public func configurationJSON() throws -> [String: Any] {
        var json = try jsonObject(config)
        json["architectures"] = [config.isGemma3 ? "Gemma3ForCausalLM" : "Gemma2ForCausalLM"]
        json["torch_dtype"] = "float32"
        return json
    }
}
