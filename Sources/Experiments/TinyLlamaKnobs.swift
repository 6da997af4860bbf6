// The tiny Llama the CreditBench demos train from scratch — a byte-level BPE tokenizer, the model's
// shape and its SFT budget — declared once for `tokenalign demo`, `demo rm` and the CreditBench part
// of `demo decoding`. Each demo keeps its own defaults (a 4,000-step model for the credit demo, a
// smaller one for the others) but the keys, their documentation and their rules are these, so a
// rule cannot differ between demos (a vocabulary that cannot hold the 256 bytes and two special
// tokens used to pass one demo's check and fail later in the tokenizer trainer).
import Support

/// The nine knobs of a tiny Llama trained from scratch on CreditBench demonstrations.
public protocol TinyLlamaKnobs {
    var vocabularySize: Int { get set }
    var hiddenSize: Int { get set }
    var layers: Int { get set }
    var heads: Int { get set }
    var kvHeads: Int { get set }
    var intermediateSize: Int { get set }
    var sftSteps: Int { get set }
    var sftBatch: Int { get set }
    var sftLearningRate: Float { get set }
    /// The same nine fields as key paths of the conforming type itself. The settings table needs
    /// them: a key path through the protocol's requirements is opaque (a computed witness), and the
    /// table's audit checks that each setting names the stored field of its key.
    static var tinyLlamaFields: TinyLlamaFields<Self> { get }
}

/// Key paths to the nine stored fields of a `TinyLlamaKnobs` type, in the protocol's order.
public struct TinyLlamaFields<Root> {
    let vocabularySize, hiddenSize, layers, heads, kvHeads, intermediateSize, sftSteps, sftBatch: WritableKeyPath<Root, Int>
    let sftLearningRate: WritableKeyPath<Root, Float>

    init(_ vocabularySize: WritableKeyPath<Root, Int>, _ hiddenSize: WritableKeyPath<Root, Int>, _ layers: WritableKeyPath<Root, Int>,
         _ heads: WritableKeyPath<Root, Int>, _ kvHeads: WritableKeyPath<Root, Int>, _ intermediateSize: WritableKeyPath<Root, Int>,
         _ sftSteps: WritableKeyPath<Root, Int>, _ sftBatch: WritableKeyPath<Root, Int>, _ sftLearningRate: WritableKeyPath<Root, Float>) {
        (self.vocabularySize, self.hiddenSize, self.layers, self.heads, self.kvHeads) = (vocabularySize, hiddenSize, layers, heads, kvHeads)
        (self.intermediateSize, self.sftSteps, self.sftBatch, self.sftLearningRate) = (intermediateSize, sftSteps, sftBatch, sftLearningRate)
    }
}

extension TinyLlamaKnobs {
    /// The settings-table entries of the knobs held at `path` of `Root`, under the keys
    /// `prefix + name` (`cb_hidden_size` in the decoding demo); `model` names the model in the docs.
    static func tinyLlamaSettings<Root>(at path: WritableKeyPath<Root, Self>, prefix: String = "", model: String) -> [Setting<Root>] {
        typealias S = Setting<Root>
        let f = tinyLlamaFields
        return [
            S(prefix + "vocabulary_size", path.appending(path: f.vocabularySize), "Vocabulary of the byte-level BPE tokenizer trained on \(model)'s demonstrations.",
              rule: SettingRule("an integer > 258 (256 bytes + 2 special tokens)") { $0 > 258 }),
            S(prefix + "hidden_size", path.appending(path: f.hiddenSize), "Hidden size of \(model).", rule: .atLeast(1)),
            S(prefix + "layers", path.appending(path: f.layers), "Decoder layers of \(model).", rule: .atLeast(1)),
            S(prefix + "heads", path.appending(path: f.heads), "Attention heads of \(model) (they divide the hidden size).", rule: .atLeast(1)),
            S(prefix + "kv_heads", path.appending(path: f.kvHeads), "Key/value heads of \(model) (they divide the heads).", rule: .atLeast(1)),
            S(prefix + "intermediate_size", path.appending(path: f.intermediateSize), "MLP width of \(model).", rule: .atLeast(1)),
            S(prefix + "sft_steps", path.appending(path: f.sftSteps), "Optimizer steps of \(model)'s SFT from scratch.", rule: .atLeast(1)),
            S(prefix + "sft_batch", path.appending(path: f.sftBatch), "Sequences per SFT step of \(model).", rule: .atLeast(1)),
            S(prefix + "sft_learning_rate", path.appending(path: f.sftLearningRate), "SFT learning rate of \(model).", rule: .positive),
        ]
    }

    /// The rules that relate the knobs: heads divide the hidden size, key/value heads the heads.
    func validateTinyLlama(prefix: String = "") throws(DemoError) {
        if hiddenSize % heads != 0 {
            throw .invalidSetting("\(prefix)hidden_size \(hiddenSize) must be a multiple of \(prefix)heads \(heads)")
        }
        if heads % kvHeads != 0 { throw .invalidSetting("\(prefix)heads \(heads) must be a multiple of \(prefix)kv_heads \(kvHeads)") }
    }

    /// Copies the nine knobs into `other` (a demo handing its model to the credit demo's stages).
    func copyTinyLlama<Other: TinyLlamaKnobs>(into other: inout Other) {
        other.vocabularySize = vocabularySize
        other.hiddenSize = hiddenSize
        other.layers = layers
        other.heads = heads
        other.kvHeads = kvHeads
        other.intermediateSize = intermediateSize
        other.sftSteps = sftSteps
        other.sftBatch = sftBatch
        other.sftLearningRate = sftLearningRate
    }
}
