// The generative judge (`--reward judge:MODEL[,TEMPLATE_FILE[,YES|NO]]`): a language model asked a
// rubric question about the response, scored by its own next-token probability of the verdict,
//     R(x, y) = p(Yes) / (p(Yes) + p(No)),
// LLM-as-a-judge (arXiv 2306.05685) read as a probability, the way generative verifiers turn the
// "Yes" token into a reward (arXiv 2408.15240). docs/design/rewards.md §9.1.
import Foundation
import Tokenizers

public final class GenerativeJudge: LMJudge {
    /// The default judge text, declared once: `{prompt}`, `{response}`, `{yes}`, `{no}` are filled in.
    public static let defaultTemplate = """
    Question:
    {prompt}

    Response:
    {response}

    Is the response a correct and helpful answer to the question? Answer {yes} or {no}.
    """
    /// Without a chat template the text is followed by this cue and the verdict token follows a space.
    public static let plainCue = "\nVerdict:"

    public let judgeModel: LMJudgeModel
    public let template: String
    /// True when the text goes through the model's chat template as a user message, the verdict being
    /// the first token of the assistant's reply.
    public let usesChatTemplate: Bool
    /// The verdict tokens read from the next-token distribution.
    public let yesID: Int
    public let noID: Int
    /// Text of the sequence before the response and after it (the response is the policy's ids,
    /// spliced in between, never re-tokenised).
    let headPattern: String
    let tail: [Int]
    public var name: String { "judge" }

    /// - Parameters:
    ///   - template: the judge text with `{prompt}` and `{response}` (nil: `defaultTemplate`).
    ///   - verdicts: the two verdict words (default "Yes", "No"). Each must be one token: " Yes" with a
    ///     leading space after the plain cue, "Yes" at the start of a chat reply.
    public init(model: LMJudgeModel, template: String? = nil, verdicts: (yes: String, no: String) = ("Yes", "No")) throws {
        let text = (template ?? Self.defaultTemplate).replacingOccurrences(of: "{yes}", with: verdicts.yes)
            .replacingOccurrences(of: "{no}", with: verdicts.no)
        guard text.components(separatedBy: "{response}").count == 2, text.contains("{prompt}") else {
            throw RewardError("judge: the template must contain {prompt} and exactly one {response}")
        }
        let tok = model.tokenizer
        let chat = tok.chatTemplateSource != nil
        var rendered = text + Self.plainCue
        if chat {
            rendered = try tok.renderChat([.user(text)], addGenerationPrompt: true)
        }
        guard let cut = rendered.range(of: "{response}") else { throw RewardError("judge: the chat template dropped the {response} slot") }
        let headPattern = String(rendered[..<cut.lowerBound])
        let tail = tok.encode(String(rendered[cut.upperBound...]))
        let prefix = chat ? "" : " "
        func single(_ word: String) throws -> Int {
            let ids = tok.encode(prefix + word)
            guard ids.count == 1 else {
                throw RewardError("judge: \(model.path)'s tokenizer encodes the verdict \(String(reflecting: prefix + word)) as \(ids.count) tokens \(ids); "
                    + "the judge reads one next-token probability, so each verdict must be one token — give other words: judge:MODEL,TEMPLATE,YES|NO")
            }
            return ids[0]
        }
        let yes = try single(verdicts.yes), no = try single(verdicts.no)
        guard yes != no else { throw RewardError("judge: the two verdicts are the same token") }
        self.judgeModel = model
        self.template = text
        usesChatTemplate = chat
        self.headPattern = headPattern
        self.tail = tail
        yesID = yes
        noID = no
    }

    /// The judged sequence: the text up to the response (prompt filled in), the response ids, the rest.
    public func sequence(_ item: JudgedResponse) -> [Int] {
        let head = headPattern.replacingOccurrences(of: "{prompt}", with: item.promptText)
        return judgeModel.tokenizer.encode(head, addSpecialTokens: !usesChatTemplate) + item.response + tail
    }

    public func reads(_ items: [JudgedResponse]) throws -> (sequences: [[Int]], queries: [[LogProbQuery]]) {
        let seqs = items.map(sequence)
        return (seqs, seqs.map { [LogProbQuery(position: $0.count - 1, token: yesID), LogProbQuery(position: $0.count - 1, token: noID)] })
    }

    /// p(Yes)/(p(Yes)+p(No)) = σ(log p(Yes) − log p(No)): the softmax's normaliser cancels.
    public func combine(_ logProbs: [[Float]], count: Int) -> [Float] {
        logProbs.map { 1 / (1 + expf($0[1] - $0[0])) }
    }
}
