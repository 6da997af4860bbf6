// The interface every causal language model implements, so objectives, decoding and evaluation are
// written once for GPT-2, Llama and Qwen2 alike.
import Autograd
import NN
import TensorCore

public protocol LanguageModel: Module {
    /// Architecture name as in `config.json` `model_type`.
    var modelType: String { get }
    var vocabularySize: Int { get }
    var hiddenSize: Int { get }
    var layerCount: Int { get }
    /// Longest sequence the model supports (learned positions) or was configured for.
    var maxPositions: Int { get }

    /// Final hidden states [B, T, C] (after the last norm).
    /// - Parameters:
    ///   - attentionMask: [B, past + T], 1 for tokens, 0 for padding (left padding for batches).
    ///   - cache: when given, keys/values of these tokens are appended and attention covers the
    ///     cached positions too. Cached decoding is for inference: run it inside `withoutGradients`.
    func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> Variable

    /// Projects hidden states [..., C] to vocabulary logits [..., V].
    func logits(fromHidden h: Variable) -> Variable

    /// A cache sized for this model.
    func makeCache(batch: Int, capacity: Int) -> KVCache

    /// Checkpoint tensors (Hugging Face names and layouts) for saving.
    func checkpointTensors() -> [String: Tensor]
    /// `config.json` contents.
    func configurationJSON() throws -> [String: Any]

    /// A sequence width at which cached generation must drop its cache and recompute the whole
    /// sequence, or nil. transformers' Phi-3 does this once, when the width first reaches
    /// original_max_position_embeddings + 1 with no more than that many positions cached, so that
    /// every key is recomputed with LongRoPE's long factors (Phi3ForCausalLM.prepare_inputs_for_generation).
    var cacheRecomputeWidth: Int? { get }
}

extension LanguageModel {
    public var cacheRecomputeWidth: Int? { nil }
}

extension LanguageModel {
    /// Logits [B, T, V].
    public func callAsFunction(_ ids: IndexTensor, attentionMask: Tensor? = nil, cache: KVCache? = nil) -> Variable {
        logits(fromHidden: hiddenStates(ids, attentionMask: attentionMask, cache: cache))
    }
}
