// The `sentiment` reward: the online-RL form of the sentiment demo's score equals the demo's scorer,
// sits on the last token, and its argument is checked.
import Datasets
@testable import Experiments
import Foundation
import OnlineRL
import Rewards
import Testing
import Tokenizers

@Suite struct SentimentSequenceRewardTests {
    static var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    static var excerpt: String { repoRoot.appendingPathComponent("Tests/Fixtures/rewards/vader_lexicon_excerpt.txt").path }

    /// A word list with one entry, in a temporary file.
    static func wordList() throws -> String {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("ta-profanity-\(UUID().uuidString).txt")
        try "damn\n".write(to: u, atomically: true, encoding: .utf8)
        return u.path
    }

    func context() throws -> RewardContext {
        let tokenizer = try Tokenizer(directory: Self.repoRoot.appendingPathComponent("Tests/Fixtures/datasets/tokenizer"))
        return RewardContext(tokenizer: tokenizer, maxNewTokens: 16, vocabularySize: 512)
    }

    func completion(_ text: String, tokens: Int) -> Completion {
        Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: "To be", ids: [1]),
                   ids: [Int](repeating: 5, count: tokens), text: text, finishReason: .length)
    }

    @Test func equalsTheSentimentDemosScorer() throws {
        let words = try Self.wordList()
        for lambda in [1.0, 2.5, 0] {
            var s = SentimentDemoSettings()
            s.lexicon = Self.excerpt
            s.profanity = words
            s.profanityWeight = lambda
            let demo = try SentimentSteps.scorer(s)
            let reward = try RewardFunctions.make("sentiment:\(Self.excerpt),\(words),\(lambda)", context: try context())
            for text in [" a lovely, happy day", " the villain is wicked. Damn it", " NOT a good day!!", "", " damn, lovely but sad"] {
                let r = try reward.tokenRewards([completion(text, tokens: 3)])[0]
                #expect(r.count == 3 && r[0] == 0 && r[1] == 0, "the score sits on the last token")
                #expect(abs(Double(r[2]) - demo.sequenceScore(text)) < 1e-6, "\(text) λ=\(lambda): \(r[2]) vs \(demo.sequenceScore(text))")
            }
        }
        // Worked values: VADER's compound of "lovely" (2.8) alone is 2.8/√(2.8² + 15); one profane word costs λ.
        let r = try SentimentSequenceReward(argument: "\(Self.excerpt),\(words),2")
        #expect(abs(r.sequenceScore("lovely") - 2.8 / (2.8 * 2.8 + 15).squareRoot()) < 1e-9)
        #expect(abs(r.sequenceScore("damn") - (r.lexicon.sequenceScore("damn") - 2)) < 1e-9)
        #expect(try SentimentSequenceReward(argument: "\(Self.excerpt),none").profanity == nil)
    }

    @Test func argumentsAreChecked() throws {
        let ctx = try context()
        for bad in ["sentiment:/nonexistent/lexicon.txt", "sentiment:\(Self.excerpt),/nonexistent/words.txt",
                    "sentiment:\(Self.excerpt),none,-1", "sentiment:\(Self.excerpt),none,x", "sentiment:a,b,c,d"] {
            #expect(throws: RewardError.self, "\(bad)") { try RewardFunctions.make(bad, context: ctx) }
        }
        #expect(try RewardFunctions.make("sentiment:\(Self.excerpt),,0.5", context: ctx).name == "sentiment")
    }
}
