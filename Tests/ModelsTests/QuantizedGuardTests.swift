// What a model with quantized matrices refuses (docs/design/quantized.md, "Guards"): being saved
// (its float weights were dropped on load) and a training step through a quantized weight, each a
// thrown error that names the tensor, never a trap or a file of empty placeholders.
import Autograd
import Foundation
import Models
import NN
import TensorCore
import Testing
import TestSupport

@Suite struct QuantizedGuardTests {
    @Test func savingAQuantizedModelIsRefusedAndWritesNothing() throws {
        let dir = try WeightFormatTests.savedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = try PretrainedModel.load(path: dir.path, weights: .q8_0)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ta-qsave-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        do {
            try q.save(to: out)
            Issue.record("a model with q8_0 matrices was saved")
        } catch let e as ModelError {
            let text = e.description
            #expect(text.contains(out.path) && text.contains("13 matrices are held quantized"), "\(text)")
            #expect(text.contains("model.embed_tokens.weight (q8_0)") && text.contains("--weights f32"), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is written")
        // The float model of the same folder saves as before.
        let float = try PretrainedModel.load(path: dir.path)
        try float.save(to: out)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    /// A training step (`valueAndGrad`) whose loss passes through a quantized weight throws before
    /// any gradient is accumulated, naming the first quantized weight it meets going backward.
    @Test func backwardThroughAQuantizedWeightThrowsNamingIt() throws {
        let dir = try WeightFormatTests.savedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = try PretrainedModel.load(path: dir.path, weights: .q8_0)
        let model = q.model
        model.train()
        let ids = IndexTensor(shape: [1, 4], data: [1, 7, 3, 9])
        do {
            _ = try valueAndGrad(model) { model(ids).sum() }
            Issue.record("backward through quantized weights did not throw")
        } catch {
            guard case .frozenWeight(let why) = error else { Issue.record("\(error)"); return }
            // The tied head (the embedding table) is the last product of the forward pass.
            #expect(why.contains("'model.embed_tokens.weight'") && why.contains("q8_0") && why.contains("--weights f32"), "\(why)")
        }
        #expect(model.trainableParameters().allSatisfy { $0.1.grad == nil }, "no gradient was accumulated")
        // The same graph through a bare quantized Linear names that layer's weight.
        let layer = Linear(weight: randomTensor([8, 32], seed: 1))
        layer.setQuantizedWeight(try QuantizedMatrix.quantize(layer.weight.value, to: .q8_0), name: "probe.weight")
        let x = Variable(randomTensor([2, 32], seed: 2), requiresGrad: true)
        #expect(throws: AutogradError.frozenWeight("backward pass through the quantized weight 'probe.weight' (q8_0 [8, 32]): quantized weights serve inference only; load the model with --weights f32 to train through it")) {
            try layer(x).sum().checkedBackward()
        }
        #expect(x.grad == nil)
    }
}
