// `tokenalign demo rl-sentiment`: online RL for controlled sentiment on SmolLM2-135M (LoRA).
import ArgumentParser
import Experiments
import Foundation

struct RLSentimentDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "rl-sentiment",
            abstract: "Online RL for controlled sentiment on SmolLM2-135M with LoRA: PPO with the lexicon's token rewards, GRPO, fine-grained RLHF, same budget, several seeds.",
            discussion: """
            Trains every method from SmolLM2-135M on Shakespeare prompts with the same number of sampled continuations per seed: \
            GRPO on the sentiment demo's gold score (VADER compound − λ·profanity), PPO on it alone, PPO with the VADER lexicon's \
            per-token valences added, and fine-grained RLHF (PPO with a token RM and a Bradley–Terry RM read at clause ends, both \
            trained here on the start model's best-vs-worst pairs). Reports held-out gold reward, lexicon reward, KL to the \
            reference, distinct-n, self-BLEU and reference perplexity with CIs, paired with GRPO by seed and prompt, and learning \
            curves. Writes data, models, results.json, report.md and report.html into --out. Needs scripts/fetch-assets.sh.


            """ + demoSettingsHelp(RLSentimentDemoSettings.settings, defaults: RLSentimentDemoSettings()))
    }
    @OptionGroup var options: DemoRunOptions<RLSentimentDemoSettings>

    func run() throws { try options.run(RLSentimentDemo.self) { r, _ in "\n" + RLSentimentDemo.report(r) } }
}

extension RLSentimentDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/rl-sentiment"
}
