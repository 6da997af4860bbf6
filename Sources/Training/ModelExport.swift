// Saving the trained model as a Hugging Face folder `transformers` loads: LoRA adapters folded in;
// reward models as `<Arch>ForSequenceClassification` with `score.weight` [1, C] and `num_labels: 1`
// (transformers `modeling_llama.py` `LlamaForSequenceClassification`), the token-level head
// flagged `"tokenalign_token_level": true`.
import Checkpoints
import Foundation
import Support
import Models

extension Trainer {
    /// Writes the trained policy (and reward head) to `folder` as one atomic export (a kill or a
    /// full disk leaves the previous folder, or none); only rank 0 writes.
    public func saveModel(_ pretrained: PretrainedModel, to folder: URL) throws {
        guard writes else { return }
        if configuration.loraRank != nil { LoRA.fuse(policy) }
        if case .multifurcationReward(_, let seen) = mode {
            return try pretrained.save(to: folder) { try MultifurcationSeen.mark($0, seenTokens: seen) }
        }
        guard case .reward(let head, let tokenLevel) = mode else { return try pretrained.save(to: folder) }
        let architecture = ["llama": "LlamaForSequenceClassification", "qwen2": "Qwen2ForSequenceClassification",
                            "mistral": "MistralForSequenceClassification", "gpt2": "GPT2ForSequenceClassification"][policy.modelType]
        try pretrained.save(to: folder) { tmp in
            let weightsURL = tmp.appendingPathComponent("model.safetensors")
            var tensors = try SafeTensorsFile(url: weightsURL).loadAll()
            tensors["score.weight"] = head.score.weight.value
            try SafeTensors.write(tensors, to: weightsURL)
            let configURL = tmp.appendingPathComponent("config.json")
            guard var config = try JSONValue.parse(Data(contentsOf: configURL), file: configURL.path).foundationObject as? [String: Any] else {
                throw TrainingError.checkpoint(path: configURL.path, reason: "config.json is not an object")
            }
            config["architectures"] = [architecture ?? "ForSequenceClassification"]
            config["num_labels"] = 1
            config["id2label"] = ["0": "LABEL_0"]
            config["label2id"] = ["LABEL_0": 0]
            if tokenLevel { config["tokenalign_token_level"] = true }
            try Data(JSONValue(foundation: config).written(.prettySorted).utf8).write(to: configURL)
        }
    }
}
