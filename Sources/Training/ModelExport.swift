// Saving the trained model as a Hugging Face folder `transformers` loads: LoRA adapters folded in;
// reward models as `<Arch>ForSequenceClassification` with `score.weight` [1, C] and `num_labels: 1`
// (transformers `modeling_llama.py` `LlamaForSequenceClassification`), the token-level head
// flagged `"tokenalign_token_level": true` (a segment reward model also records its
// `"tokenalign_segment_entropy_threshold"`, a `tldr` or `minimal-edit` one its
// `"tokenalign_response_score"`).
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
        let head: RewardHead, tokenLevel: Bool, threshold: Float?
        switch mode {
        case .reward(let h, let t): (head, tokenLevel, threshold) = (h, t, nil)
        case .segmentReward(let h, let s): (head, tokenLevel, threshold) = (h, true, s.threshold)
        case .sharedTrunkReward(let r): (head, tokenLevel, threshold) = (r.head, false, nil)
        default: return try pretrained.save(to: folder)
        }
        let architecture = ["llama": "LlamaForSequenceClassification", "qwen2": "Qwen2ForSequenceClassification",
                            "mistral": "MistralForSequenceClassification", "gpt2": "GPT2ForSequenceClassification"][policy.modelType]
        let responseScore = tokenLevel ? (try? RewardModelKinds.registry.entry(named: configuration.rewardKind))?.tokenKind?.responseScore : nil
        try pretrained.save(to: folder) { tmp in
            let weightsURL = tmp.appendingPathComponent("model.safetensors")
            var tensors = try SafeTensorsFile(url: weightsURL).loadAll()
            tensors["score.weight"] = head.score.weight.value
            try SafeTensors.write(tensors, to: weightsURL)
            if case .sharedTrunkReward(let r) = self.mode, let length = r.lengthHead {
                // ODIN's length head, beside the weights: the loaders read `model.safetensors` only.
                try SafeTensors.write([LengthDisentangledHeads.lengthKey: length.score.weight.value],
                                      to: tmp.appendingPathComponent(LengthDisentangledHeads.lengthFile))
            }
            let configURL = tmp.appendingPathComponent("config.json")
            guard var config = try JSONValue.parse(Data(contentsOf: configURL), file: configURL.path).foundationObject as? [String: Any] else {
                throw TrainingError.checkpoint(path: configURL.path, reason: "config.json is not an object")
            }
            config["architectures"] = [architecture ?? "ForSequenceClassification"]
            config["num_labels"] = 1
            config["id2label"] = ["0": "LABEL_0"]
            config["label2id"] = ["LABEL_0": 0]
            if tokenLevel { config["tokenalign_token_level"] = true }
            // Whether a sequence head's training rows ended in an appended EOS (`append_eos`, the
            // default). Scorers that build their own rows (`rm:` in search and online RL) then read it
            // where training read it (RewardModelLoader.appendedEOS).
            if !tokenLevel { config[RewardModelLoader.appendEOSKey] = self.configuration.appendEos }
            // `token-rm:DIR` reads the kind's response score (TLDR's product, minimal-edit's sum, TVM's last).
            if let responseScore { config[TokenResponseScore.configKey] = responseScore.rawValue }
            // `--reward segment-rm:DIR` segments with the threshold the model was trained with.
            // (As the Float's shortest decimal, so 1.75 is written 1.75, not 1.75000000…)
            if let threshold { config["tokenalign_segment_entropy_threshold"] = Double("\(threshold)") ?? Double(threshold) }
            // A CLoud folder says so, with how its critiques are written (`cloud-rm:DIR` reads it).
            if case .sharedTrunkReward(let r) = self.mode, case .critiqueOutLoud(_, let spec) = r.loss { config[CritiqueSpec.configKey] = spec.object }
            try Data(JSONValue(foundation: config).written(.prettySorted).utf8).write(to: configURL)
        }
    }
}
