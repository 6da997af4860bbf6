// Reward functions: values, placement on tokens, combination, and errors that name the row.
import Datasets
import Decoding
import Foundation
import Testing
@testable import OnlineRL
import Rewards
import Tokenizers
import TestSupport
import TrainedFixtures

@Suite struct RewardFunctionTests {
    let tokenizer: Tokenizer

    init() throws {
        tokenizer = try Tokenizer(directory: TestFiles.fixtures.appendingPathComponent("datasets/tokenizer"))
    }

    func completion(_ text: String, columns: [String: Any] = [:], finish: FinishReason = .stopString) -> Completion {
        let prompt = RLPrompt(location: RowLocation(file: "p.jsonl", line: 3), text: columns["prompt"] as? String ?? "",
                              ids: [1], columns: columns)
        return Completion(prompt: prompt, ids: tokenizer.encode(text), text: text, finishReason: finish)
    }

    @Test func sequenceRewardsSitOnTheLastToken() throws {
        let c = completion("42\n", columns: ["answer": "42"])
        let r = try ExactMatchReward(column: "answer").tokenRewards([c])[0]
        #expect(r.count == c.ids.count && r.last == 1 && r.dropLast().allSatisfy { $0 == 0 })
        #expect(try ExactMatchReward(column: "answer").score(completion("41", columns: ["answer": "42"])) == 0)
        // A row without the column is bad data naming file:line and the column (exit code 65).
        #expect(throws: DatasetError.missingField(RowLocation(file: "p.jsonl", line: 3), field: "answer")) {
            try ExactMatchReward(column: "answer").score(completion("4"))
        }
    }

    /// An empty completion (the model stopped at once) still has one token, its EOS, and that token
    /// carries the completion's score; the decoder always emits at least one token
    /// (`max_completion_length` ≥ 1 is checked).
    @Test func emptyCompletionsScoreOnTheirStopToken() throws {
        let eos = try #require(tokenizer.eosTokenID)
        let prompt = RLPrompt(location: RowLocation(file: "p.jsonl", line: 2), text: "", ids: [1], columns: ["answer": ""])
        let c = Completion(prompt: prompt, ids: [eos], text: "", finishReason: .stopToken)
        #expect(try ExactMatchReward(column: "answer").tokenRewards([c]) == [[1]])
        var config = OnlineRLConfiguration()
        config.model = "m"; config.prompts = "p"; config.rewards = ["creditbench"]; config.maxCompletionLength = 0
        #expect(throws: RewardError.self) { try config.validate() }
    }

    @Test func regexAndFormat() throws {
        #expect(try PatternReward(pattern: "\\d+", whole: false).score(completion("it is 12 ok")) == 1)
        #expect(try PatternReward(pattern: "\\d+", whole: true).score(completion("it is 12 ok")) == 0)
        #expect(try PatternReward(pattern: "\\d+", whole: true).score(completion(" 12\n")) == 1)
        #expect(throws: RewardError.self) { try PatternReward(pattern: "(", whole: false) }
    }

    @Test func overlongShapingFollowsDAPO() throws {
        // L_max 8, L_cache 4: 0 up to 4 tokens, then (4 − n)/4, −1 beyond 8.
        let f = try OverlongPenalty(maxLength: 8, cache: 4)
        func score(_ n: Int) throws -> Float {
            try f.score(Completion(prompt: RLPrompt(location: RowLocation(file: "p", line: 1), text: "", ids: [1]),
                                   ids: [Int](repeating: 5, count: n), text: "", finishReason: .length))
        }
        #expect(try score(4) == 0)
        #expect(try score(6) == -0.5)
        #expect(try score(8) == -1)
        #expect(try score(9) == -1)
        #expect(throws: RewardError.self) { try OverlongPenalty(maxLength: 4, cache: 8) }
    }

    @Test func creditBenchTokenRewardMarksTheFirstWrongToken() throws {
        let verifier = CreditBenchVerifierReward(tokenLevel: true, tokenizer: tokenizer)
        let row: [String: Any] = ["prompt": "7+9=", "task": "add"]
        let right = try verifier.tokenRewards([completion("16\n", columns: row)])[0]
        #expect(right.last == 1 && right.dropLast().allSatisfy { $0 == 0 })
        let wrong = completion("17\n", columns: row)
        let r = try verifier.tokenRewards([wrong])[0]
        #expect(r.filter { $0 != 0 } == [-1])
        // The −1 sits on the token whose bytes hold the first wrong character ("7", offset 1).
        let laid = TokenizedText(tokenIDs: wrong.ids, tokenizer: tokenizer)
        let k = try #require(r.firstIndex(of: -1))
        #expect(laid.offsets[k].contains(1), "token \(k) covers \(laid.offsets[k]), not byte 1")
        // Without token credit: 0 for wrong, 1 for right.
        let plain = CreditBenchVerifierReward(tokenLevel: false, tokenizer: tokenizer)
        #expect(try plain.tokenRewards([wrong])[0].allSatisfy { $0 == 0 })
        #expect(throws: DatasetError.missingField(RowLocation(file: "p.jsonl", line: 3), field: "task")) {
            try plain.tokenRewards([completion("1", columns: ["prompt": "x"])])
        }
    }

    struct NaNReward: SequenceRewardFunction {
        var name: String { "nan" }
        func score(_ c: Completion) throws -> Float { .nan }
    }

    @Test func weightedSumAndNonFiniteRewardsAreNamed() throws {
        let c = completion("42\n", columns: ["answer": "42"])
        let w = try WeightedRewards([ExactMatchReward(column: "answer"), try PatternReward(pattern: "4", whole: false)], weights: [2, 0.5])
        let (r, per) = try w.evaluate([c])
        #expect(r[0].last == 2.5 && per["exact-match"] == [1] && per["regex"] == [1])
        do {
            _ = try WeightedRewards([NaNReward()]).evaluate([c])
            Issue.record("a NaN reward was accepted")
        } catch {
            #expect("\(error)".contains("nan") && "\(error)".contains("p.jsonl:3"), "\(error)")
        }
        #expect(throws: RewardError.self) { try WeightedRewards([NaNReward()], weights: [1, 2]) }
    }

    @Test func registryBuildsEveryKindOrNamesWhatIsMissing() throws {
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 16, vocabularySize: 512)
        #expect(try RewardFunctions.make("exact-match:solution", context: ctx).name == "exact-match")
        #expect(try RewardFunctions.make("regex:a:b", context: ctx) is PatternReward)
        #expect(try RewardFunctions.make("overlong", context: ctx) is OverlongPenalty)
        for bad in ["nope", "regex", "creditbench:x", "rm", "rm:/nonexistent", "overlong:3"] {
            #expect(throws: RewardError.self, "\(bad)") { try RewardFunctions.make(bad, context: ctx) }
        }
    }
}

/// RTO's implicit DPO reward and entropy minimisation's self-rewards.
@Suite struct TokenCreditRewardTests {
    @Test func implicitDPORewardIsTheClippedLogRatio() throws {
        let setup = try AdditionSetup.shared.get()
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: setup.sftModel))
        let prompt = RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: "3+4=", ids: tokenizer.encode("3+4="))
        let c = Completion(prompt: prompt, ids: tokenizer.encode("7\n"), text: "7\n", finishReason: .stopString)
        // Against itself the log-ratio is 0 everywhere.
        let same = try ImplicitDPOReward(dpoPath: setup.sftModel, referencePath: setup.sftModel, vocabularySize: 512)
        #expect(try same.tokenRewards([c])[0].allSatisfy { $0 == 0 })
        // Against the untrained base: scale × log-ratio, clipped at ±clip.
        let base = try TestFiles.modelFolder().path
        let unclipped = try ImplicitDPOReward(dpoPath: setup.sftModel, referencePath: base, scale: 1, clip: 0, vocabularySize: 512)
        let clipped = try ImplicitDPOReward(dpoPath: setup.sftModel, referencePath: base, scale: 1, clip: 0.05, vocabularySize: 512)
        let u = try unclipped.tokenRewards([c])[0], k = try clipped.tokenRewards([c])[0]
        #expect(u.count == c.ids.count && u.contains { abs($0) > 0.05 }, "\(u)")
        #expect(zip(u, k).allSatisfy { min(max($0, -0.05), 0.05) == $1 })
    }

    @Test func entropyMinimisationReadsTheSampler() throws {
        let prompt = RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: "", ids: [1])
        let c = Completion(prompt: prompt, ids: [5, 6, 7], text: "", finishReason: .length, logProbs: [-0.5, -1, -0.25], entropies: [1, 2, 0.5])
        #expect(try SelfCertaintyReward(negativeEntropy: true).tokenRewards([c])[0] == [-1, -2, -0.5])
        #expect(try SelfCertaintyReward(negativeEntropy: false).tokenRewards([c])[0] == [0, 0, -1.75])
        var bare = c
        bare.entropies = []
        #expect(throws: RewardError.self) { try SelfCertaintyReward(negativeEntropy: true).tokenRewards([bare]) }
    }
}
