// Loading a sequence-classification reward model folder (`<Arch>ForSequenceClassification`, as
// `transformers` and our `saveModel` write it): the backbone into our causal-LM type, `score.weight`
// into a `RewardHead`. Such folders have no `lm_head.weight`; the LM head, unused by a reward model,
// is then zero-filled (or tied, for tied-embedding configurations, by the model's own sanitising).
// Only the folder's weights file is read (`model.safetensors`, or its index / shards): files beside
// it, such as ODIN's `length_head.safetensors` (`--kind odin`), are not part of the reward model.
import Foundation
import Support
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

    /// The config.json key that records whether a sequence head was trained on rows ending in an
    /// appended EOS.
    public static let appendEOSKey = "tokenalign_append_eos"

    /// The EOS id a scorer must append to a response to read the folder's sequence head where
    /// training read it, or nil to read at the response's last token. Training reads the head at
    /// each row's last non-pad token (`RewardStep.readout`): after an appended EOS when the pad id
    /// differs from it, and at the response's last token when the pad id is the EOS (TRL's
    /// default). Folders that do not record `appendEOSKey` (written by `transformers`, or before
    /// the key existed) are read at the response's last token, as before.
    /// - Throws: `TrainingError.checkpoint` for an unreadable config.json or a key that is not a boolean.
    public static func appendedEOS(folder: URL, tokenizer: Tokenizer?) throws -> Int? {
        let url = folder.appendingPathComponent("config.json")
        let config: [String: Any]
        do {
            guard let c = try JSONValue.parse(Data(contentsOf: url), file: url.path).foundationObject as? [String: Any] else {
                throw TrainingError.checkpoint(path: url.path, reason: "config.json is not an object")
            }
            config = c
        } catch let e as TrainingError { throw e } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "\(error)")
        }
        guard let raw = config[appendEOSKey] else { return nil }
        guard let n = raw as? NSNumber, String(cString: n.objCType) == "c" || String(cString: n.objCType) == "B" else {
            throw TrainingError.checkpoint(path: url.path, reason: "\(appendEOSKey) must be true or false, got \(raw)")
        }
        guard n.boolValue, let tokenizer, let eos = tokenizer.eosTokenID else { return nil }
        let pad = tokenizer.padTokenID ?? eos
        return pad == eos ? nil : eos
    }
}
