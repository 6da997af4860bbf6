// Loading a sequence-classification reward model folder (`<Arch>ForSequenceClassification`, as
// `transformers` and our `saveModel` write it): the backbone into our causal-LM type, `score.weight`
// into a `RewardHead`. Such folders have no `lm_head.weight`; the LM head, unused by a reward model,
// is then zero-filled (or tied, for tied-embedding configurations, by the model's own sanitising).
// Only the folder's weights file is read (`model.safetensors`, or its index / shards): files beside
// it, such as ODIN's `length_head.safetensors` (`--kind odin`), are not part of the reward model.
import Foundation
import Models
import NN
import TensorCore
import Tokenizers

public enum RewardModelLoader {
    /// The backbone and the head, or nil when the folder has no `score.weight` (a plain LM). The
    /// backbone's matrices are stored as `weights` says (`--rm-weights`, docs/design/quantized.md;
    /// the head stays float32), and what that did is said on standard error.
    public static func load(folder: URL, weights format: WeightFormat = .f32)
        throws -> (model: any LanguageModel, head: RewardHead, tokenizer: Tokenizer?)? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else { return nil }
        var weights = try ModelRegistry.readWeights(folder: folder)
        guard let score = weights.removeValue(forKey: "score.weight") else { return nil }
        let configPath = folder.appendingPathComponent("config.json").path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelError.cannotRead(path: configPath, reason: "no such file")
        }
        let model = try ModelRegistry.makeModel(configurationData: data, path: configPath)
        let expected = model.stateDict()
        for key in ["lm_head.weight"] where weights[key] == nil {
            if let t = expected[key] { weights[key] = Tensor(shape: t.shape, repeating: 0) }
        }
        try ModelRegistry.assign(weights, to: model, path: folder.path)
        guard score.shape == [1, model.hiddenSize] else {
            throw TrainingError.modelMismatch("\(folder.path): score.weight is \(score.shape), expected [1, \(model.hiddenSize)]")
        }
        let head = RewardHead(hiddenSize: model.hiddenSize, seed: 0)
        head.score.weight.value = score
        try format.convert(model, loadedFrom: folder).announce(format, role: "the reward model", path: folder.path)
        let hasTokenizer = FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path)
        return (model, head, hasTokenizer ? try Tokenizer(directory: folder) : nil)
    }
}
