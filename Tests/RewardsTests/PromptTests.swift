// Prompts from a corpus: line filtering, k-word prefixes, deduplication and the seeded split.
import Foundation
import Testing
@testable import Rewards

@Suite("Prompts")
struct PromptTests {
    static let play = """
    THE TRAGEDY OF TESTING

    by William Shakespeare

    PERSONS REPRESENTED.
    Tester, a man of many words and much patience here.

    ACT I.

    Scene I. A room in the castle, with many doors.

    [Enter Tester and Reviewer, with papers in
    their hands, and many other things.]

    Test.
    Good morrow, gentle reviewer, how fares thy code?

    Rev.
    It fares well, good tester, and the tests pass too.
    and this line starts lower case so it is skipped here
    Enter Reviewer with a great many heavy books.
    [Aside.] This aside line has a bracket so it is skipped.
    Too short a line.
    GOOD MORROW TO YOU ALL MY FRIENDS AND FELLOWS
    Good morrow, gentle reviewer, how fares thy code?
       'Tis then fare thee well, my friend, until tomorrow.
    """

    @Test("dialogue and verse lines give their first k words; headers, directions and short lines do not")
    func extraction() {
        #expect(ShakespearePrompts.prompts(fromText: Self.play) == [
            "Good morrow, gentle reviewer,",
            "It fares well, good",
            "Good morrow, gentle reviewer,",
            "'Tis then fare thee",
        ])
        #expect(ShakespearePrompts.prompts(fromText: Self.play, options: PromptOptions(wordsPerPrompt: 2)).first == "Good morrow,")
        // Poems have no act heading: lines are taken from the top.
        #expect(ShakespearePrompts.prompts(fromText: "THE SONNETS\n\nI\n\nFrom fairest creatures we desire increase,\n")
            == ["From fairest creatures we"])
    }

    @Test("deduplicated across texts, first occurrence kept")
    func dedup() {
        let p = ShakespearePrompts.prompts(fromTexts: [Self.play, Self.play])
        #expect(p == ["Good morrow, gentle reviewer,", "It fares well, good", "'Tis then fare thee"])
    }

    @Test("the split is a pure function of (prompt, seed): disjoint, complete, close to the fraction")
    func split() {
        let prompts = (0 ..< 20000).map { "prompt number \($0) here" }
        let a = ShakespearePrompts.split(prompts, testFraction: 0.1, seed: 2014)
        let b = ShakespearePrompts.split(prompts.reversed(), testFraction: 0.1, seed: 2014)
        #expect(Set(a.test) == Set(b.test))
        #expect(Set(a.train).isDisjoint(with: a.test))
        #expect(a.train.count + a.test.count == prompts.count)
        #expect(abs(Double(a.test.count) / 20000 - 0.1) < 0.01, "\(a.test.count)")
        let other = ShakespearePrompts.split(prompts, testFraction: 0.1, seed: 7)
        #expect(Set(other.test) != Set(a.test))
        // A superset corpus keeps every prompt on its side.
        let more = ShakespearePrompts.split(prompts + ["one more prompt"], testFraction: 0.1, seed: 2014)
        #expect(Array(more.test.filter { $0 != "one more prompt" }) == a.test)
        #expect(ShakespearePrompts.split(prompts, testFraction: 0, seed: 1).test.isEmpty)
        #expect(ShakespearePrompts.split(prompts, testFraction: 1, seed: 1).train.isEmpty)
    }

    @Test("a directory without corpus files is a typed error")
    func noFiles() {
        let dir = FileManager.default.temporaryDirectory
        #expect(throws: RewardsError.self) { _ = try ShakespearePrompts.corpusFiles(in: dir.appendingPathComponent("no-such-dir-\(getpid())")) }
    }

    @Test("shakespeare 0.6: 42 texts, fixed sizes, 4-word prompts, no overlap", .enabled(if: shakespeareAssetPresent, Comment(rawValue: fetchAssetsHint)))
    func corpus() throws {
        let dir = RewardsPaths.asset("shakespeare")
        #expect(try ShakespearePrompts.corpusFiles(in: dir).count == 42)
        let split = try ShakespearePrompts.load(directory: dir)
        #expect(split.train.count == ShakespearePrompts.defaultTrainCount)
        #expect(split.test.count == ShakespearePrompts.defaultTestCount)
        #expect(Set(split.train).isDisjoint(with: split.test))
        let all = split.train + split.test
        #expect(Set(all).count == all.count)
        for p in all {
            #expect(p.split(separator: " ").count == 4, "\(p)")
            #expect(!p.contains("[") && !p.contains("]"), "\(p)")
        }
        #expect(all.contains("From fairest creatures we"))
    }
}
