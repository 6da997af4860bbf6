// `--rm-weights` / `rm_weights` on grpo/rloo/ppo: the flag and the settings file reach the
// configuration, and an unknown storage is refused with the known ones listed.
import Foundation
import OnlineRL
import Testing
@testable import TokenAlignCLI

@Suite struct RewardModelWeightsOptionTests {
    /// `--rm-weights` sets the configuration's `rm_weights` (over a YAML value only when given) and
    /// refuses a storage it does not know, listing the ones it does.
    @Test func optionAndSettingReachTheConfiguration() throws {
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rmw-\(UUID().uuidString).yaml")
        try "rm_weights: bf16\n".write(to: yaml, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: yaml) }
        // The settings validation needs a model, prompts and a reward; none is read here.
        let base = ["--model", "m.gguf", "--prompts", "p.jsonl", "--reward", "neg-entropy"]
        let fromYAML = try OnlineRLArguments.parse(base + ["--config", yaml.path]).configuration(defaults: OnlineRLConfiguration())
        #expect(fromYAML.rmWeights == .bf16)
        let overridden = try OnlineRLArguments.parse(base + ["--config", yaml.path, "--rm-weights", "q8_0"]).configuration(defaults: OnlineRLConfiguration())
        #expect(overridden.rmWeights == .q8_0)
        #expect(try OnlineRLArguments.parse(base).configuration(defaults: OnlineRLConfiguration()).rmWeights == .f32)
        do {
            _ = try OnlineRLArguments.parse(["--rm-weights", "q4_k"])
            Issue.record("--rm-weights q4_k was accepted")
        } catch {
            let message = OnlineRLArguments.message(for: error)
            #expect(message.contains("q4_k") && message.contains("q8_0") && message.contains("keep"), "\(message)")
        }
    }
}
