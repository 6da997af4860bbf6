// RLMEC's reward (docs/design/rewards.md §10) reads a rewriter model, so it is not a `reward:`
// scorer: its forward passes would escape the search's cost ledger.
import Foundation
import Search
import Testing
import TestSupport
import Tokenizers

@Suite struct RLMECScorerTests {
    @Test func rlmecIsRefusedAsAModelFreeRewardScorer() throws {
        let path = try TestFiles.modelFolder().path
        let tok = try Tokenizer(directory: URL(fileURLWithPath: path))
        let ctx = ScorerContext(tokenizer: tok, vocabularySize: 512, maxNewTokens: 8)
        #expect { try SequenceScorers.make("reward:rlmec:\(path)", context: ctx) } throws: {
            "\($0)".contains("model-backed reward 'rlmec'")
        }
    }
}
