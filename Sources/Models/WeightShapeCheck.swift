// Before a model is built, the weight files' headers (names and shapes only, nothing read) are
// compared with what the configuration implies: the embedding, the final norm, the output head when
// untied, and every decoder layer's projections. A config.json that does not describe its weights
// (a GPT-2 config relabelled `llama`, a wrong `hidden_size`, too many layers) fails here, in
// milliseconds, naming the configuration field; the strict assignment after building still checks
// every tensor.
import Foundation

enum WeightShapeCheck {
    /// A tensor the configuration implies: its checkpoint name, shape, and the fields the shape comes from.
    struct Expected {
        var name: String
        var shape: [Int]
        var fields: String
    }

    /// The tensors `spec` implies, in checkpoint naming (GPT-2 names without the `transformer.` prefix).
    /// Phi-3 stores q/k/v and gate/up fused; a file with them split (as the loader also accepts)
    /// is checked split.
    static func expected(_ spec: ModelSpec, shapes: [String: [Int]]) -> (tensors: [Expected], layerPrefix: String, layerField: String) {
        var out: [Expected] = []
        switch spec {
        case .llama(let c):
            let fused = c.fusedProjections && shapes["model.layers.0.self_attn.q_proj.weight"] == nil
            return (decoder(vocab: c.vocabSize, hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers,
                            q: c.numAttentionHeads * c.headDimension, kv: c.kvHeads * c.headDimension, tied: c.tieWordEmbeddings,
                            fused: fused), "model.layers.", "num_hidden_layers")
        case .gemma(let c):
            return (decoder(vocab: c.vocabSize, hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers,
                            q: c.numAttentionHeads * c.headDim, kv: c.numKeyValueHeads * c.headDim, tied: c.tieWordEmbeddings,
                            fused: false), "model.layers.", "num_hidden_layers")
        case .gpt2(let c):
            let E = c.nEmbd, I = c.nInner ?? 4 * c.nEmbd
            out.append(Expected(name: "wte.weight", shape: [c.vocabSize, E], fields: "vocab_size, n_embd"))
            out.append(Expected(name: "wpe.weight", shape: [c.nPositions, E], fields: "n_positions, n_embd"))
            out.append(Expected(name: "ln_f.weight", shape: [E], fields: "n_embd"))
            for l in 0 ..< c.nLayer {
                // Conv1D weights are stored [in, out].
                let p = "h.\(l)."
                out.append(Expected(name: p + "attn.c_attn.weight", shape: [E, 3 * E], fields: "n_embd, 3 × n_embd"))
                out.append(Expected(name: p + "attn.c_proj.weight", shape: [E, E], fields: "n_embd, n_embd"))
                out.append(Expected(name: p + "mlp.c_fc.weight", shape: [E, I], fields: "n_embd, n_inner"))
                out.append(Expected(name: p + "mlp.c_proj.weight", shape: [I, E], fields: "n_inner, n_embd"))
            }
            return (out, "h.", "n_layer")
        }
    }

    /// Throws `ModelError.invalidConfiguration` naming `configurationPath`, the fields and the
    /// weight file when a tensor the configuration implies is missing, has another shape, or the
    /// weights hold more decoder layers than the configuration says.
    /// The tensors of a Llama-layout decoder (Llama, Qwen, Mistral, Phi-3, OLMo 2, Gemma): embedding,
    /// final norm, untied head, and per layer the attention and MLP projections (q/k/v and
    /// gate/up fused as Phi-3 stores them when `fused`).
    static func decoder(vocab V: Int, hidden H: Int, intermediate I: Int, layers: Int, q: Int, kv: Int, tied: Bool, fused: Bool) -> [Expected] {
        let qF = "num_attention_heads × head_dim", kvF = "num_key_value_heads × head_dim"
        var out = [Expected(name: "model.embed_tokens.weight", shape: [V, H], fields: "vocab_size, hidden_size"),
                   Expected(name: "model.norm.weight", shape: [H], fields: "hidden_size")]
        if !tied { out.append(Expected(name: "lm_head.weight", shape: [V, H], fields: "vocab_size, hidden_size (tie_word_embeddings false)")) }
        for l in 0 ..< layers {
            let p = "model.layers.\(l)."
            if fused {
                out.append(Expected(name: p + "self_attn.qkv_proj.weight", shape: [q + 2 * kv, H], fields: "\(qF) + 2 × \(kvF), hidden_size"))
                out.append(Expected(name: p + "mlp.gate_up_proj.weight", shape: [2 * I, H], fields: "2 × intermediate_size, hidden_size"))
            } else {
                out.append(Expected(name: p + "self_attn.q_proj.weight", shape: [q, H], fields: "\(qF), hidden_size"))
                out.append(Expected(name: p + "self_attn.k_proj.weight", shape: [kv, H], fields: "\(kvF), hidden_size"))
                out.append(Expected(name: p + "self_attn.v_proj.weight", shape: [kv, H], fields: "\(kvF), hidden_size"))
                out.append(Expected(name: p + "mlp.gate_proj.weight", shape: [I, H], fields: "intermediate_size, hidden_size"))
                out.append(Expected(name: p + "mlp.up_proj.weight", shape: [I, H], fields: "intermediate_size, hidden_size"))
            }
            out.append(Expected(name: p + "self_attn.o_proj.weight", shape: [H, q], fields: "hidden_size, \(qF)"))
            out.append(Expected(name: p + "mlp.down_proj.weight", shape: [H, I], fields: "hidden_size, intermediate_size"))
        }
        return out
    }

    static func check(_ spec: ModelSpec, shapes raw: [String: [Int]], configurationPath: String, weights: (String) -> String) throws {
        var shapes: [String: [Int]] = [:]
        var original: [String: String] = [:]
        let isGPT2: Bool = { if case .gpt2 = spec { return true }; return false }()
        for (name, shape) in raw {
            let key = isGPT2 && name.hasPrefix("transformer.") ? String(name.dropFirst("transformer.".count)) : name
            shapes[key] = shape
            original[key] = name
        }
        let (tensors, layerPrefix, layerField) = expected(spec, shapes: shapes)
        var problems: [String] = []
        var missing: [Expected] = []
        for e in tensors {
            guard let got = shapes[e.name] else { missing.append(e); continue }
            if got != e.shape {
                let name = original[e.name] ?? e.name
                problems.append("\(weights(name)) has \(name) of shape \(got), the configuration gives \(e.shape) (\(e.fields))")
            }
        }
        if !missing.isEmpty {
            let shown = missing.prefix(4).map(\.name).joined(separator: ", ")
            let more = missing.count > 4 ? " and \(missing.count - 4) more" : ""
            let sample = raw.keys.sorted().prefix(3).joined(separator: ", ")
            problems.insert("the weights lack \(shown)\(more) (they hold \(raw.count) tensors, e.g. \(sample))", at: 0)
        }
        let configured: Int
        switch spec {
        case .gpt2(let c): configured = c.nLayer
        case .llama(let c): configured = c.numHiddenLayers
        case .gemma(let c): configured = c.numHiddenLayers
        }
        let layers = shapes.keys.compactMap { k -> Int? in
            guard k.hasPrefix(layerPrefix) else { return nil }
            return Int(k.dropFirst(layerPrefix.count).prefix { $0 != "." })
        }
        if let top = layers.max(), top >= configured {
            problems.append("the weights hold decoder layer \(top), but \(layerField) is \(configured)")
        }
        guard problems.isEmpty else {
            throw ModelError.invalidConfiguration(path: configurationPath,
                                                  reason: "does not describe its weights: " + problems.prefix(4).joined(separator: "; "))
        }
    }
}
