// Any model-free `--reward` function of online RL as a scorer (`reward:NAME[:ARG]`): the lexicon,
// exact match, a regular expression, the CreditBench verifier's reward… Its score is the sum of
// the function's token rewards (a sequence reward sits on the last token, so the sum is it). The
// model-backed functions are refused here so that no forward pass escapes the ledger: they have
// their own scorers (`rm:DIR`, `token-rm:DIR`).
import Decoding
import OnlineRL

public final class RewardFunctionScorer: SequenceScorer {
    public let function: any RewardFunction
    public let name: String
    static let modelBacked = ["rm": "rm:DIR", "token-rm": "token-rm:DIR", "implicit-dpo": "(none)", "judge": "judge:MODEL", "crew": "crew:MODEL",
                              "follow-up": "follow-up:MODEL", "rlmec": "(none)", "cloud-rm": "cloud-rm:DIR"]

    public init(spec: String, context: RewardContext) throws {
        let kind = String(spec.split(separator: ":", maxSplits: 1).first ?? "")
        if let instead = Self.modelBacked[kind] {
            throw SearchError.invalidSetting("--scorer reward:\(spec): the model-backed reward '\(kind)' is not a reward: scorer "
                + "(its forward passes would not be counted); use --scorer \(instead)")
        }
        do { function = try RewardFunctions.make(spec, context: context) } catch {
            throw SearchError.invalidSetting("--scorer reward:\(spec): \(error)")
        }
        name = "reward:\(kind)"
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        let completions = answers.map { Completion(prompt: prompt, ids: $0.ids, text: $0.text, finishReason: .stopString) }
        do {
            return try function.tokenRewards(completions).map { $0.reduce(0, +) }
        } catch {
            throw SearchError.badRow("\(error)")
        }
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}
