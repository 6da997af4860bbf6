// GPT-2 (Radford et al. 2019). Port of transformers/models/gpt2/modeling_gpt2.py (GPT2LMHeadModel):
// learned positions, pre-LayerNorm blocks, fused qkv projection `c_attn`, GELU(tanh) MLP, final
// `ln_f`, LM head tied to `wte`. Checkpoints store the projections as Conv1D ([in, out]); our
// `Linear` holds [out, in], so loading transposes them and saving transposes back.
import Autograd
import NN
import TensorCore

public final class GPT2Attention: Module {
    public var cAttn: Linear
    public var cProj: Linear
    let heads: Int

    init(_ config: GPT2Configuration, rng: inout RandomGenerator) {
        cAttn = Linear(config.nEmbd, 3 * config.nEmbd, rng: &rng)
        cProj = Linear(config.nEmbd, config.nEmbd, rng: &rng)
        heads = config.nHead
        super.init()
    }

    func callAsFunction(_ x: Variable, layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let B = x.shape[0], T = x.shape[1], C = x.shape[2], D = C / heads
        let qkv = cAttn(x)  // [B, T, 3C]
        let y: Variable
        if cache == nil {
            y = Functional.attention(packed: qkv, heads: heads, keyMask: attentionMask)
        } else {
            let parts = qkv.split(axis: 2, sizes: [C, C, C]).map { $0.reshaped([B, T, heads, D]) }
            y = AttentionStep.run(q: parts[0], k: parts[1], v: parts[2], layer: layer, attentionMask: attentionMask, cache: cache)
        }
        return cProj(y.reshaped([B, T, C]))
    }
}

public final class GPT2MLP: Module {
    public var cFc: Linear
    public var cProj: Linear
    let activation: String

    init(_ config: GPT2Configuration, rng: inout RandomGenerator) {
        let inner = config.nInner ?? 4 * config.nEmbd
        cFc = Linear(config.nEmbd, inner, rng: &rng)
        cProj = Linear(inner, config.nEmbd, rng: &rng)
        activation = config.activationFunction
        super.init()
    }

    func callAsFunction(_ x: Variable) -> Variable {
        let h = cFc(x)
        let a: Variable
        switch activation {
        case "gelu": a = h.geluErf()
        case "relu": a = h.relu()
        case "silu", "swish": a = h.silu()  // ACT2FN["swish"] is SiLU
        default: a = h.gelu()  // gelu_new, gelu_pytorch_tanh, gelu_fast: the tanh approximation
        }
        return cProj(a)
    }
}

public final class GPT2Block: Module {
    public var ln1: LayerNorm
    public var attn: GPT2Attention
    public var ln2: LayerNorm
    public var mlp: GPT2MLP

    init(_ config: GPT2Configuration, rng: inout RandomGenerator) {
        ln1 = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
        attn = GPT2Attention(config, rng: &rng)
        ln2 = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
        mlp = GPT2MLP(config, rng: &rng)
        super.init()
    }

    public override var renamedKeys: [String: String] { gpt2BlockKeys }

    func callAsFunction(_ x: Variable, layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let h = x + attn(ln1(x), layer: layer, attentionMask: attentionMask, cache: cache)
        return h + mlp(ln2(h))
    }
}

/// `transformer.*` of GPT2LMHeadModel.
public final class GPT2Transformer: Module {
    public var wte: Embedding
    public var wpe: Embedding
    public var h: [GPT2Block]
    public var lnF: LayerNorm

    init(_ config: GPT2Configuration, rng: inout RandomGenerator) {
        // GPT-2's initialiser: N(0, 0.02) embeddings.
        wte = Embedding(config.vocabSize, config.nEmbd, std: 0.02, rng: &rng)
        wpe = Embedding(config.nPositions, config.nEmbd, std: 0.01, rng: &rng)
        h = (0 ..< config.nLayer).map { _ in GPT2Block(config, rng: &rng) }
        lnF = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
        super.init()
    }
}

public final class GPT2LMHeadModel: Module, LanguageModel {
    public let config: GPT2Configuration
    public var transformer: GPT2Transformer
    /// Only when `tie_word_embeddings` is false.
    public var lmHead: Linear?

    public init(_ config: GPT2Configuration, seed: UInt64 = 0) {
        self.config = config
        var rng = RandomGenerator(seed: seed)
        transformer = GPT2Transformer(config, rng: &rng)
        lmHead = config.tieWordEmbeddings ? nil : Linear(config.nEmbd, config.vocabSize, bias: false, rng: &rng)
        super.init()
    }

    public var modelType: String { "gpt2" }
    public var vocabularySize: Int { config.vocabSize }
    public var hiddenSize: Int { config.nEmbd }
    public var layerCount: Int { config.nLayer }
    public var maxPositions: Int { config.nPositions }

    public func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        transformer.lnF(residual(ids, attentionMask: attentionMask, cache: cache, upTo: transformer.h.count))
    }

    /// Token plus position embeddings, then blocks 0 ..< `upTo`, handing each block's output to
    /// `collect`: the forward of `hiddenStates`, early exit and the activation read-outs. With a
    /// cache, positions start at its length and it advances by T.
    func residual(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache? = nil, upTo: Int,
                  collect: ((Variable) -> Void)? = nil) -> Variable {
        precondition(ids.rank == 2, "GPT-2: ids must be [B, T], got \(ids.shape)")
        let B = ids.shape[0], T = ids.shape[1]
        let positions = tokenPositions(start: cache?.length ?? 0, count: T, batch: B, attentionMask: attentionMask)
        precondition(positions.allSatisfy { $0 < config.nPositions }, "GPT-2: position beyond n_positions \(config.nPositions)")
        let posIDs = positions.count == T ? IndexTensor(shape: [T], data: positions.map { Int32($0) })
                                          : IndexTensor(shape: [B, T], data: positions.map { Int32($0) })
        var x = transformer.wte(ids) + transformer.wpe(posIDs)
        for i in 0 ..< upTo {
            x = transformer.h[i](x, layer: i, attentionMask: attentionMask, cache: cache)
            collect?(x)
        }
        if let cache { cache.length += T }
        return x
    }

    public func logits(fromHidden h: Variable) -> Variable {
        if let lmHead { return lmHead(h) }
        return transformer.wte.tiedLogits(h)
    }

    public func makeCache(batch: Int, capacity: Int) -> KVCache {
        KVCache(layers: config.nLayer, batch: batch, capacity: capacity, kvHeads: config.nHead, headDimension: config.nEmbd / config.nHead)
    }

    /// Names of the Conv1D weights, stored [in, out] in checkpoints.
    static func isConv1DWeight(_ key: String) -> Bool {
        key.hasSuffix("attn.c_attn.weight") || key.hasSuffix("attn.c_proj.weight")
            || key.hasSuffix("mlp.c_fc.weight") || key.hasSuffix("mlp.c_proj.weight")
    }

    /// Checkpoint → our names and layouts: drops attention-mask buffers, adds the `transformer.`
    /// prefix that some GPT-2 files omit, transposes Conv1D weights, and drops a tied `lm_head`.
    public func sanitize(_ weights: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k0, t) in weights {
            if k0.hasSuffix(".attn.bias") && t.rank == 4 { continue }          // causal-mask buffer
            if k0.hasSuffix(".attn.masked_bias") { continue }
            var k = k0
            if !k.hasPrefix("transformer.") && !k.hasPrefix("lm_head.") && !k.hasPrefix("score.") { k = "transformer." + k }
            if k == "lm_head.weight" && config.tieWordEmbeddings { continue }
            out[k] = GPT2LMHeadModel.isConv1DWeight(k) ? t.transposed() : t
        }
        return out
    }

    public func checkpointTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, t) in stateDict() { out[k] = GPT2LMHeadModel.isConv1DWeight(k) ? t.transposed() : t }
        return out
    }

    public func configurationJSON() throws -> [String: Any] {
        var json = try jsonObject(config)
        json["architectures"] = ["GPT2LMHeadModel"]
        json["n_inner"] = config.nInner ?? NSNullValue.null
        return json
    }
}
