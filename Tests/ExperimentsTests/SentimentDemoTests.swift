// The controlled-sentiment experiment: the per-token rewards it writes line up with the trainers'
// tokenisation, and bad settings are refused. (The whole pipeline at its test size, checked against
// the normal commands step by step, is TokenAlignCLITests/SentimentDemoStepsTests.)
import Checkpoints
import Datasets
@testable import Experiments
import Foundation
import Models
import Rewards
import Tokenizers
import XCTest

final class SentimentDemoTests: XCTestCase {
    static var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func excerptScorer() throws -> SentimentScorer {
        let url = Self.repoRoot.appendingPathComponent("Tests/Fixtures/rewards/vader_lexicon_excerpt.txt")
        return SentimentScorer(lexicon: LexiconReward(lexicon: try SentimentLexicon(contentsOf: url), scale: 0.25),
                               profanity: ProfanityPenalty(list: ProfanityList(words: ["damn"])), profanityWeight: 1)
    }

    /// The rewards written as `chosen_token_rewards` have exactly one entry per completion token as
    /// `DatasetEncoder` tokenises the row, and sit on the tokens of the lexicon words.
    func testCompletionTokenRewardsAlignWithTheEncoder() throws {
        let corpus = ["It was a lovely day and a happy one", "the villain was wicked and sad", "not a good day, damn it"]
        try checkCompletionTokenRewards(tokenizer: try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>"]).train(corpus))
    }

    /// The same with the experiment's own tokenizer, SmolLM2-135M's from the GGUF file.
    func testCompletionTokenRewardsAlignWithSmolLM2() throws {
        let url = Self.repoRoot.appendingPathComponent(SentimentDemoSettings().model)
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) missing: run scripts/fetch-assets.sh") }
        let tokenizer = try Tokenizer(gguf: try PretrainedModel.ggufTokenizerMetadata(try GGUFFile(url: url)), file: url.lastPathComponent)
        try checkCompletionTokenRewards(tokenizer: tokenizer)
    }

    func checkCompletionTokenRewards(tokenizer: Tokenizer) throws {
        let scorer = try excerptScorer()
        let prompt = "To be or be", completion = " a lovely, happy day; the villain is wicked. Damn"
        // "s" merges with the prompt's last word in the rejected row: the common prompt is shorter.
        let rejected = "s are bad"
        let pair = scorer.pairTokenRewards(prompt: prompt, chosen: completion, rejected: rejected, tokenizer: tokenizer)
        let rewards = pair.chosen
        let row: [String: Any] = ["prompt": prompt, "chosen": completion, "rejected": rejected,
                                  "chosen_token_rewards": rewards.map(Double.init),
                                  "rejected_token_rewards": pair.rejected.map(Double.init)]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sentiment-row-\(getpid()).jsonl")
        try JSONSerialization.data(withJSONObject: row).write(to: file)
        let loaded = try DatasetLoader.preferences(file.path, encoder: DatasetEncoderFactory.encoder(tokenizer))
        let example = try XCTUnwrap(loaded.examples.first)
        let seq = example.chosen
        XCTAssertEqual(seq.ids.count - seq.promptLength, rewards.count, "one reward per completion token")
        XCTAssertEqual(Array(try XCTUnwrap(seq.tokenRewards)[seq.promptLength...]), rewards)
        XCTAssertEqual(example.rejected.ids.count - example.rejected.promptLength, pair.rejected.count)
        XCTAssertLessThan(try XCTUnwrap(pair.rejected.last), 0, "bad")
        // Word valences (× 0.25) land on the last token of each word; profanity is −1.
        let tokens = seq.ids[seq.promptLength...].map { tokenizer.decode([$0]) }
        func reward(endingWith word: String) -> Float? {
            var text = ""
            for (t, r) in zip(tokens, rewards) {
                text += t
                if text.hasSuffix(word) { return r }
            }
            return nil
        }
        XCTAssertEqual(try XCTUnwrap(reward(endingWith: "lovely")), 2.8 * 0.25, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(reward(endingWith: "happy")), 2.7 * 0.25, accuracy: 1e-5)
        XCTAssertLessThan(try XCTUnwrap(reward(endingWith: "wicked")), 0)
        // Valences sum to the words' total; the profanity penalty (−1) is spread over its tokens.
        XCTAssertEqual(rewards.reduce(0, +), Float((2.8 + 2.7 - 2.6 - 2.4) * 0.25 - 1), accuracy: 1e-5)
        XCTAssertGreaterThan(scorer.sequenceScore(" a lovely, happy day"), 0.5)
    }

    func testSettingsValidation() throws {
        var s = SentimentDemoSettings()
        s.methods = ["tgdpo-implicit", "dpo"]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("list dpo before"), "\($0)") }
        s = SentimentDemoSettings()
        s.betas = [0.1, -1]
        XCTAssertThrowsError(try s.validate())
        XCTAssertThrowsError(try SentimentDemoSettings().overriding(with: ["betaz": [0.1]], source: "s.yaml")) {
            XCTAssertTrue("\($0)".contains("s.yaml: unknown setting 'betaz'"), "\($0)")
        }
        let o = try SentimentDemoSettings.quick.overriding(with: ["betas": [0.2, 0.4], "profanity": NSNull()], source: "s.yaml")
        XCTAssertEqual(o.betas, [0.2, 0.4])
        XCTAssertNil(o.profanity)
        XCTAssertEqual(o.steps, SentimentDemoSettings.quick.steps)
    }
}
