// `--weights` on a small random Llama saved as a float folder: what each storage converts, the
// refusals, and that the quantized model still runs forward and decodes.
import Autograd
import Checkpoints
import Decoding
import Foundation
import Models
import NN
import TensorCore
import Testing
import TestSupport

@Suite struct WeightFormatTests {
    /// hidden 64 (whole Q8_0 blocks) and intermediate 80 (not), tied embeddings.
    static func savedFolder() throws -> URL {
        let c = LlamaConfiguration(vocabSize: 50, hiddenSize: 64, intermediateSize: 80, numHiddenLayers: 2, numAttentionHeads: 4,
                                   numKeyValueHeads: 2, tieWordEmbeddings: true, maxPositionEmbeddings: 64)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-weights-\(UUID().uuidString)")
        try ModelRegistry.save(LlamaForCausalLM(c, seed: 3), to: dir)
        return dir
    }

    @Test func q8_0QuantizesEveryWholeBlockMatrixAndListsTheRest() throws {
        let dir = try Self.savedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let float = try PretrainedModel.load(path: dir.path)
        let q = try PretrainedModel.load(path: dir.path, weights: .q8_0)
        // Per layer q, k, v, o, gate, up (64 columns) are quantized; down (80 columns) stays float.
        #expect(q.weightReport.quantized == ["q8_0": 2 * 6 + 1], "\(q.weightReport.summary)")
        #expect(q.weightReport.keptFloat == ["model.layers.0.mlp.down_proj.weight: 80 columns", "model.layers.1.mlp.down_proj.weight: 80 columns"])
        #expect(ModelRegistry.hasQuantizedMatrices(q.model) && !ModelRegistry.hasQuantizedMatrices(float.model))
        let ids = IndexTensor(shape: [2, 5], data: [1, 7, 3, 9, 4, 2, 2, 8, 11, 30])
        let lf = withoutGradients { float.model(ids) }.value, lq = withoutGradients { q.model(ids) }.value
        #expect(lq.shape == lf.shape)
        let r = compareClose(lq, lf, atol: 0.05, rtol: 0.05)
        #expect(r.ok, "q8_0 logits against float32: \(r)")
        // The quantized model decodes (KV cache, batch of 2).
        let out = Generator.generate(model: q.model, prompts: [[1, 2, 3], [4, 5]], parameters: GenerationParameters(maxNewTokens: 4))
        #expect(out.map(\.tokens.count) == [4, 4])
    }

    @Test func bf16KeepsLogitsClose() throws {
        let dir = try Self.savedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let float = try PretrainedModel.load(path: dir.path)
        let b = try PretrainedModel.load(path: dir.path, weights: .bf16)
        #expect(b.weightReport.quantized == ["bf16": 2 * 7 + 1])
        let ids = IndexTensor(shape: [1, 6], data: [1, 7, 3, 9, 4, 2])
        let r = compareClose(withoutGradients { b.model(ids) }.value, withoutGradients { float.model(ids) }.value, atol: 0.02, rtol: 0.02)
        #expect(r.ok, "\(r)")
    }

    /// `keep` on a float checkpoint loads float32 and says so.
    @Test func keepOnAFloatCheckpointExplainsItself() throws {
        let dir = try Self.savedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let k = try PretrainedModel.load(path: dir.path, weights: .keep)
        #expect(!ModelRegistry.hasQuantizedMatrices(k.model))
        let note = try #require(k.weightReport.note)
        #expect(note.contains("float checkpoint") && note.contains("float32") && note.contains("--weights q8_0"))
    }

    /// A GGUF matrix type the kernels do not compute on is refused, naming the tensor and listing
    /// the ones they do.
    @Test func uncomputableGGMLTypesAreRefusedWithTheList() throws {
        #expect(try WeightFormat.keptType(.q4_1, tensor: "blk.0.ffn_up.weight", path: "m.gguf") == .q4_1)
        #expect(try WeightFormat.keptType(.f16, tensor: "output_norm.weight", path: "m.gguf") == nil)
        for type in [GGMLType.q6_K, .q5_0, .q4_K] {
            do {
                _ = try WeightFormat.keptType(type, tensor: "blk.3.attn_v.weight", path: "m.gguf")
                Issue.record("\(type) was not refused")
            } catch let e as ModelError {
                let text = e.description
                #expect(text.contains("m.gguf") && text.contains("blk.3.attn_v.weight") && text.contains(type.name ?? "?"))
                #expect(text.contains("Q8_0, Q4_0, Q4_1"), "\(text)")
            }
        }
    }

    /// A quantized `Linear` computes x·Wᵀ + b on its blocks and refuses a LoRA adapter's float path.
    @Test func quantizedLinearMatchesItsMatrixPlusBias() throws {
        var rng = RandomGenerator(seed: 5)
        let layer = Linear(64, 9, bias: true, rng: &rng)
        let q = try QuantizedMatrix.quantize(layer.weight.value, to: .q8_0)
        layer.setQuantizedWeight(q)
        #expect(layer.inputDimensions == 64 && layer.outputDimensions == 9 && layer.weight.value.count == 0)
        let x = randomTensor([3, 64], seed: 6)
        let y = withoutGradients { layer(Variable(x)) }.value
        let want = q.product(x) + layer.bias!.value
        #expect(y.scalars == want.scalars)
    }
}
