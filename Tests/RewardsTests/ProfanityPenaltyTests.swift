// Whole-word, case-insensitive word-list matching and the per-token penalty. The always-on tests
// use a made-up list of mild words (same shapes as better-profanity's entries: single words,
// multi-word, inner "_" and trailing "."); the real 0.7.0 list runs when fetched.
import Foundation
import Testing
import Tokenizers
@testable import Rewards

@Suite("ProfanityPenalty")
struct ProfanityPenaltyTests {
    let list = ProfanityList(words: ["darn", "Heck", "gosh darn", "f_o_o", "s.o.b.", "darn", "  "])

    @Test("entries are lower-cased and deduplicated; blank ones dropped")
    func entries() {
        #expect(list.entries == ["darn", "heck", "gosh darn", "f_o_o", "s.o.b."])
    }

    @Test("whole words only, any case, multi-word entries across runs of whitespace")
    func matching() {
        let text = "Darn it! The heckler said gosh   DARN, you s.o.b. and F_O_O; darned undarn heck."
        let m = list.matches(in: text)
        #expect(m.map(\.entry) == ["darn", "gosh darn", "s.o.b.", "f_o_o", "heck"])
        let bytes = Array(text.utf8)
        #expect(m.map { String(decoding: bytes[$0.bytes], as: UTF8.self) } == ["Darn", "gosh   DARN", "s.o.b.", "F_O_O", "heck"])
        #expect(list.matches(in: "darned heckler undarn s.o.bx").isEmpty)
        #expect(list.matches(in: "").isEmpty)
    }

    @Test("per-token penalty on the tokens of a matched word; sequence penalty counts matches")
    func tokens() throws {
        let tokenizer = try #require(TinyTokenizer.shared)
        let text = "it was a darn good day, gosh  darn it, heck!"
        let enc = tokenizer.encodeWithOffsets(text)
        let p = ProfanityPenalty(list: list, penalty: 2)
        let s = p.score(text: text, encoding: enc)
        #expect(s.sequenceScore == -6)
        #expect(p.sequenceScore(text) == -6)
        #expect(abs(s.tokenRewards.reduce(0, +) - -6) < 1e-12, "spread: tokens add up to the sequence penalty")
        let matched = list.matches(in: text)
        var covered = Set<Int>()
        for m in matched {
            let toks = TokenSpanAlignment.tokens(overlapping: m.bytes, offsets: enc.offsets)
            #expect(!toks.isEmpty)
            let sum = toks.map { s.tokenRewards[$0] }.reduce(0, +)
            #expect(abs(sum - -2) < 1e-12)
            for t in toks { #expect(s.tokenRewards[t] < 0) }
            covered.formUnion(toks)
        }
        for t in 0 ..< enc.count where !covered.contains(t) { #expect(s.tokenRewards[t] == 0) }
        let every = ProfanityPenalty(list: list, penalty: 2, placement: .everyToken).score(text: text, encoding: enc)
        for t in covered { #expect(every.tokenRewards[t] == -2) }
        #expect(p.score(tokenIDs: enc.ids, tokenizer: tokenizer) == s)
    }

    @Test("better-profanity 0.7.0 word list", .enabled(if: profanityAssetPresent, Comment(rawValue: fetchAssetsHint)))
    func realList() throws {
        let real = try ProfanityList(contentsOf: RewardsPaths.asset("profanity/profanity_wordlist.txt"))
        #expect(real.count >= 900 && real.count <= 916)
        #expect(real.matches(in: "What the HELL, damn it.").map(\.entry) == ["hell", "damn"])
        #expect(real.matches(in: "Hello from the shell; a damning report.").isEmpty)
    }

    @Test("a missing or empty word list is a typed error")
    func errors() throws {
        #expect(throws: RewardsError.self) { _ = try ProfanityList(contentsOf: URL(fileURLWithPath: "/nonexistent/list.txt")) }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rewards-empty-\(getpid()).txt")
        try Data("\n  \n".utf8).write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: RewardsError.empty(file: empty.path, expected: "one word per line")) { _ = try ProfanityList(contentsOf: empty) }
    }
}
