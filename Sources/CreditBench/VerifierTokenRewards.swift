// CreditBench's verifier on the token-reward contract (docs/design/rewards.md §3.5): the ground
// truth as a source, so it composes with (and can be compared against) every other source.
import Rewards
import Tokenizers

/// The verifier of a CreditBench task as a `TokenRewardSource`: −1 on the token that holds the
/// response's first error (the first token whose bytes reach the first wrong byte, as `TokenCredit`
/// locates it; the last token, i.e. the EOS or stop token, when the error is missing text at the
/// end), 0 on every other token; sequence reward 1 for a correct response, 0 for a wrong one.
///
/// The example is recovered from the prompt's text (`CreditTask.example(fromPrompt:)`), so the
/// prompt ids must decode to the task's prompt; the response's text is its tokens' bytes, special
/// tokens (an EOS) left out (byte positions are exact for valid UTF-8; all CreditBench text is
/// ASCII). A prompt the task cannot parse gives all-zero rewards and no sequence reward.
public struct VerifierTokenRewards: TokenRewardSource {
    public var task: any CreditTask
    public var tokenizer: Tokenizer
    public var name: String

    public init(task: any CreditTask, tokenizer: Tokenizer, name: String = "creditbench-verifier") {
        self.task = task
        self.tokenizer = tokenizer
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 0) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        var values = [Float](repeating: 0, count: e.response.count)
        let promptText = tokenizer.decode(e.prompt.map { Int($0) })
        guard let example = try? task.example(fromPrompt: promptText) else {
            return TokenRewards(values: values, source: name)
        }
        // The response's bytes, with each token's range in them (special tokens: empty ranges).
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for id in e.response.map({ Int($0) }) {
            let start = bytes.count
            if !tokenizer.isSpecialToken(id) { bytes += tokenizer.tokenBytes(for: id) ?? [] }
            ranges.append(start ..< bytes.count)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let verdict = task.verify(text, for: example)
        if let first = verdict.firstError, !values.isEmpty {
            let errorByte = text.unicodeScalars.prefix(first).reduce(0) { $0 + UTF8.width($1) }
            let t = ranges.firstIndex { !$0.isEmpty && $0.upperBound > errorByte } ?? values.count - 1
            values[t] = -1
        }
        return TokenRewards(values: values, sequenceReward: verdict.isCorrect ? 1 : 0, source: name)
    }
}
