// From a configuration to a ready online-RL trainer: policy, reference, tokenizer, prompts, rewards.
import Foundation
import Models
import Tokenizers
import Training

public enum OnlineRLSetup {
    public static func prepare(_ c: OnlineRLConfiguration, tokenizer override: Tokenizer? = nil) throws -> (trainer: OnlineRLTrainer, pretrained: PretrainedModel) {
        try c.validate()
        let pretrained = try PretrainedModel.load(path: c.model)
        guard let tokenizer = override ?? pretrained.tokenizer else { throw RewardError("\(c.model) has no tokenizer; pass --tokenizer") }
        let rendering = PromptRendering(chat: c.chat, system: c.system, addSpecialTokens: c.addSpecialTokens)
        let prompts = try RLPrompts.load(c.prompts, tokenizer: tokenizer, rendering: rendering)
        let evalPrompts = try c.evalPrompts.map { try RLPrompts.load($0, tokenizer: tokenizer, rendering: rendering) } ?? []
        // A KL term needs the reference: under LoRA it is the base model with adapters off (no second
        // copy of the weights), otherwise a frozen copy (or --ref).
        let reference: (any LanguageModel)? = c.readsReference && (c.loraRank == nil || c.ref != nil)
            ? try FrozenModel.load(c.ref ?? c.model, role: "the reference", weights: c.refWeights, policyTokenizer: tokenizer) : nil
        let context = RewardContext(tokenizer: tokenizer, maxNewTokens: c.maxCompletionLength, vocabularySize: pretrained.model.vocabularySize,
                                    referencePath: c.ref ?? c.model, rewardModelWeights: c.rmWeights)
        let functions = try c.rewards.map { try RewardFunctions.make($0, context: context) }
        // Constrained quantities are reward functions too, built the same way; a bad one names the setting.
        let constraints = try c.constraints.map { spec in
            do { return try RewardFunctions.make(spec, context: context) } catch { throw RewardError("constraints: \(error)") }
        }
        let trainer = try OnlineRLTrainer(configuration: c, policy: pretrained.model, reference: reference, tokenizer: tokenizer,
                                          prompts: prompts, evalPrompts: evalPrompts, rewardFunctions: functions,
                                          constraintFunctions: constraints)
        trainer.outputDirectory = c.out.isEmpty ? nil : URL(fileURLWithPath: c.out)
        return (trainer, pretrained)
    }
}
