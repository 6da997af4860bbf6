// `tokenalign search` and `generate --best-of` end to end, and their bad-input errors.
import Foundation
import Search
import Support
import TestSupport
import Testing
@testable import TokenAlignCLI
import Tokenizers
import TrainedFixtures

@Suite(.serialized) struct SearchCommandTests {
    func setup() throws -> ChainSetup { try ChainSetup.shared.get() }

    @Test func searchWritesOneRowPerPromptMethodAndSeedWithCostColumns() throws {
        let s = try setup()
        let out = TestFiles.temporaryPath("out.jsonl")
        try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "greedy,best-of-n@verifier,early-reject",
                        "--scorer", "verifier", "-n", "4", "--tau", "2", "--seeds", "1,2", "--stop", "\n", "--max-new-tokens", "24",
                        "--estimate-n", "1,2,4"])
        let rows = try TestFiles.readRows(out)
        #expect(rows.count == 6 * 3 * 2)
        for r in rows {
            for key in ["policy_prefill_tokens", "policy_decode_tokens", "policy_forward_calls", "scorer_prefill_tokens", "wall_seconds",
                        "completion", "correct", "method", "seed"] {
                #expect(r[key] != nil, "missing \(key)")
            }
        }
        // The estimate at n = N is best-of-N's own pick when no proxy ties; its accuracy at n = 1
        // is the pool's mean; both are within [0, 1].
        for r in rows where r["method"] as? String == "best-of-n" {
            let curve = try #require(r["best_of_n_accuracy"] as? [String: Double])
            #expect(curve.keys.sorted() == ["1", "2", "4"])
            #expect(curve.values.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(curve["4"]! >= curve["1"]! - 1e-12, "with the verifier as proxy, more samples never hurt")
        }
        // Greedy is the same for both seeds.
        let greedy = rows.filter { $0["method"] as? String == "greedy" }
        #expect(greedy.prefix(6).map { $0["completion"] as! String } == greedy.suffix(6).map { $0["completion"] as! String })
    }

    /// Persona-judge from the command line: its flags reach the searcher, rows carry the drafted and
    /// accepted counts, and a missing persona exits 64 naming the flag.
    @Test func personaJudgeRowsCarryTheDraftCounts() throws {
        let s = try setup()
        let out = TestFiles.temporaryPath("persona.jsonl")
        try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "persona-judge", "--scorer", "verifier",
                 "--draft-persona", "3+4=7;", "--judge-persona", "x", "--draft-tokens", "2", "--alternate-personas",
                 "--stop", "\n", "--max-new-tokens", "24"])
        let rows = try TestFiles.readRows(out)
        #expect(rows.count == 6)
        for r in rows {
            let drafted = try #require(r["drafted_tokens"] as? Int), accepted = try #require(r["accepted_draft_tokens"] as? Int)
            #expect(drafted > 0 && (0 ... drafted).contains(accepted))
            #expect(r["correct"] != nil && r["method"] as? String == "persona-judge")
        }
        do {
            try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "persona-judge", "--judge-persona", "x"])
            Issue.record("persona-judge without a drafting persona must be refused")
        } catch {
            #expect("\(error)".contains("--draft-persona") && ExitCodes.code(for: error) == ExitCodes.usage)
        }
    }

    @Test func generateBestOfOneIsPlainSampling() throws {
        let s = try setup()
        let prompts = try TestFiles.writeRows([["prompt": "chain 3+4*2=", "task": "chain"]])
        let a = TestFiles.temporaryPath("a.jsonl"), b = TestFiles.temporaryPath("b.jsonl")
        try run(["generate", "--model", s.model, "--prompts", prompts, "--out", a, "--temperature", "1", "--seed", "4",
                        "--max-new-tokens", "20", "--stop", "\n"])
        try run(["search", "--model", s.model, "--prompts", prompts, "--out", b, "--method", "best-of-n", "--scorer", "verifier",
                        "-n", "1", "--seed", "4", "--max-new-tokens", "20", "--stop", "\n"])
        let bo = TestFiles.temporaryPath("c.jsonl")
        try run(["generate", "--model", s.model, "--prompts", prompts, "--out", bo, "--temperature", "1", "--seed", "4",
                        "--max-new-tokens", "20", "--stop", "\n", "--best-of", "1", "--scorer", "verifier"])
        // `generate --prompts` seeds its first batch with the seed itself; search and best-of seed
        // prompt 0's call 0 with SearchSeeds.seed(4, 0, 0) = 4 too.
        #expect(SearchSeeds.seed(4, prompt: 0, call: 0) == 4)
        let plain = try TestFiles.readRows(a)[0]["completion"] as! String
        #expect(try TestFiles.readRows(b)[0]["completion"] as! String == plain)
        #expect(try TestFiles.readRows(bo)[0]["completion"] as! String == plain)
    }

    @Test func unknownNamesListTheKnownOnes() throws {
        let s = try setup()
        let out = TestFiles.temporaryPath("out.jsonl")
        do {
            try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "beem", "--scorer", "verifier"])
            Issue.record("an unknown searcher must be refused")
        } catch {
            #expect("\(error)".contains("beem") && "\(error)".contains("best-of-n") && "\(error)".contains("mcts"))
            #expect(ExitCodes.code(for: error) == ExitCodes.usage)
        }
        do {
            try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "best-of-n", "--scorer", "oracle:x"])
            Issue.record("an unknown scorer must be refused")
        } catch {
            #expect("\(error)".contains("oracle") && "\(error)".contains("verifier") && "\(error)".contains("token-rm"))
            #expect(ExitCodes.code(for: error) == ExitCodes.usage)
        }
        do {
            try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "best-of-n"])
            Issue.record("best-of-n without a scorer must be refused")
        } catch {
            #expect("\(error)".contains("needs a scorer"))
        }
        do {
            try run(["search", "--model", s.model, "--prompts", s.prompts, "--out", out, "--method", "best-of-n", "--scorer", "verifier",
                            "-n", "4", "--estimate-n", "8"])
            Issue.record("n > N must be refused")
        } catch {
            #expect("\(error)".contains("N ≥ n") && ExitCodes.code(for: error) == ExitCodes.usage)
        }
    }

    @Test func aScorerWithAnotherTokenizerIsRefused() throws {
        let s = try setup()
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: s.model))
        let context = ScorerContext(tokenizer: tokenizer, vocabularySize: 512, maxNewTokens: 16)
        // The same tokenizer: accepted.
        let same = try TestFiles.rewardModelFolder(tokenizer: TestFiles.fixtures.appendingPathComponent("datasets/tokenizer/tokenizer.json"))
        #expect(try SequenceScorers.make("rm:\(same.path)", context: context).name == "rm")
        // Another tokenizer with the same model vocabulary: refused, naming the first differing id.
        let other = try TestFiles.rewardModelFolder(tokenizer: TestFiles.fixtures.appendingPathComponent("tokenizers/tiny_lower.json"))
        do {
            _ = try SequenceScorers.make("rm:\(other.path)", context: context)
            Issue.record("a reward model with another tokenizer must be refused")
        } catch {
            #expect("\(error)".contains("tokenizer differs from the policy's at id"))
            #expect(ExitCodes.code(for: error) == ExitCodes.usage)
        }
        // Another vocabulary size: refused.
        do {
            _ = try SequenceScorers.make("rm:\(same.path)", context: ScorerContext(tokenizer: tokenizer, vocabularySize: 600, maxNewTokens: 16))
            Issue.record("a reward model with another vocabulary must be refused")
        } catch {
            #expect("\(error)".contains("vocabulary has 512 ids, the policy's 600"))
        }
        // A model-backed reward function cannot hide its forward passes behind reward:.
        #expect(throws: SearchError.self) { try SequenceScorers.make("reward:rm:\(same.path)", context: context) }
    }

    @Test func badPromptRowForTheVerifierNamesFileAndLine() throws {
        let s = try setup()
        let prompts = try TestFiles.writeRows([["prompt": "chain 1+2="], ["prompt": "no task here"]])
        do {
            try run(["search", "--model", s.model, "--prompts", prompts, "--out", TestFiles.temporaryPath("o.jsonl"), "--method", "best-of-n",
                            "--scorer", "verifier", "-n", "2", "--max-new-tokens", "4"])
            Issue.record("a row without a task must be refused by the verifier scorer")
        } catch {
            #expect("\(error)".contains(":1") && "\(error)".contains("\"task\" column"))
            #expect(ExitCodes.code(for: error) == ExitCodes.badData)
        }
    }

    @Test func methodsTableListsSearchersAndScorers() {
        let plain = MethodCatalogue.plain()
        for name in Searchers.registry.names + SequenceScorers.registry.names { #expect(plain.contains(name)) }
        for e in Searchers.registry.entries { #expect(e.card.summary.count > 10) }
    }
}
