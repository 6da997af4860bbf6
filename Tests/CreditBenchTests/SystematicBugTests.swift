// The systematic bugs of the `systematic` regime: hand-made cases with their first wrong character,
// and, over many generated problems, that every planted answer is rejected by the verifier at the
// first character where it leaves the right answer.
import Foundation
import Testing
@testable import CreditBench

@Suite struct SystematicBugTests {
    @Test func additionDropsTheCarryOfColumnsSummingToTen() throws {
        let add = AdditionTask(digits: 3)
        // 15+25: 5+5 = 10 writes 0 and carries nothing; 1+2 = 3 → "30" (right: "40"); wrong at 0.
        let e = try add.example(fromPrompt: "15+25=")
        let bug = try #require(add.systematicError(for: e))
        #expect(bug.response == "30\n")
        #expect(add.verify(bug.response, for: e).firstError == 0)
        // 123+989 = 1112: 3+9 = 12 carries; 2+8 = 10 (+1) writes 1, drops; 1+9 = 10 writes 0, drops →
        // "012" → "12" (no leading zero).
        #expect(add.systematicError(for: try add.example(fromPrompt: "123+989="))?.response == "12\n")
        // 46+17: no column sums to 10, so the problem does not admit the bug.
        #expect(add.systematicError(for: try add.example(fromPrompt: "46+17=")) == nil)
        // Reversed: 15+25 → right "04", buggy "03": wrong at 1, after a right first digit.
        let rev = AdditionTask(digits: 3, reversed: true)
        let r = try rev.example(fromPrompt: "15+25r=")
        let rb = try #require(rev.systematicError(for: r))
        #expect(rb.response == "03\n" && rev.verify(rb.response, for: r).firstError == 1)
    }

    @Test func chainCarriesTheWrongValueThroughLocallyValidSteps() throws {
        let chain = ChainTask(steps: 2)
        let e = try chain.example(fromPrompt: "chain 5+5*2=")
        let bug = try #require(chain.systematicError(for: e))
        #expect(bug.response == "5+5=0;0*2=0\n")
        #expect(chain.verify(bug.response, for: e).firstError == 4)
        let steps = chain.steps(of: bug.response, for: e)
        #expect(steps.map(\.isCorrect) == [false, false])
        #expect(steps.map(\.isLocallyValid) == [false, true], "the step after the bug is right arithmetic on the wrong value")
        #expect(chain.systematicError(for: try chain.example(fromPrompt: "chain 3+4*2=")) == nil)
    }

    @Test func sortOrdersNumeralsAsText() throws {
        let sort = SortTask(length: 4)
        let e = try sort.example(fromPrompt: "sort 38,5,12,7=")
        let bug = try #require(sort.systematicError(for: e))
        #expect(bug.response == "12,38,5,7\n" && sort.verify(bug.response, for: e).firstError == 0)
        #expect(sort.systematicError(for: try sort.example(fromPrompt: "sort 3,1,2=")) == nil)
    }

    @Test func cipherMisspellsTheSameWordsEveryTime() throws {
        let cipher = CipherTask(length: 3)
        let w0 = cipher.sourceWords[0], w1 = cipher.sourceWords[1], w6 = cipher.sourceWords[6]
        let e = try cipher.example(fromPrompt: "cipher \(w1) \(w0) \(w6)=")
        let bug = try #require(cipher.systematicError(for: e))
        let words = bug.response.dropLast().split(separator: " ").map(String.init)
        #expect(words[0] == cipher.targetWords[1])
        #expect(words[1] != cipher.targetWords[0] && words[1].dropFirst() == cipher.targetWords[0].dropFirst())
        #expect(!cipher.targetWords.contains(words[1]) && !cipher.targetWords.contains(words[2]))
        let v = cipher.verify(bug.response, for: e)
        #expect(v.firstError == cipher.targetWords[1].count + 1)
        #expect(v.errorSpans.allSatisfy { $0.severity == .minor })
        // The same source word always gets the same misspelling.
        let again = try cipher.example(fromPrompt: "cipher \(w0)=")
        #expect(cipher.systematicError(for: again)?.response == words[1] + "\n")
        #expect(cipher.systematicError(for: try cipher.example(fromPrompt: "cipher \(w1)=")) == nil)
    }

    @Test func countWritesYForItsLastVowel() throws {
        let count = CountTask(length: 6)
        let e = CreditExample(task: "count", prompt: "count 6 letters 2 vowels=", answer: "bakotr", constraint: .letterCount(letters: 6, vowels: 2))
        let bug = try #require(count.systematicError(for: e))
        #expect(bug.response == "bakytr\n")
        // After "baky" one vowel is still needed and two letters remain: not yet impossible. The
        // error is where no correct answer remains: the last letter ("r") with no vowel written.
        let v = count.verify(bug.response, for: e)
        #expect(!v.isCorrect && v.firstError == 5)
        // Any letters that follow the rule count as the bug, not only the planted ones: count has
        // many right answers, so the SFT model need not choose the planted letters.
        #expect(count.followsBug("bakytr\n", for: e))
        #expect(count.followsBug("yomtsl\n", for: e))   // one real vowel + one y
        #expect(count.followsBug("yyrtsl\n", for: e))   // two y, no real vowel
        #expect(!count.followsBug("bakotr\n", for: e))  // right: no y
        #expect(!count.followsBug("yoatsl\n", for: e))  // three counting y: too many
        #expect(!count.followsBug("bakyt\n", for: e))   // too short
        #expect(!count.followsBug("baky1r\n", for: e))  // not a letter
        #expect(!count.followsBug("bakytr", for: e))     // no terminator
        // The other tasks follow the bug only with the planted answer.
        let sort = SortTask(length: 3)
        let s = try sort.example(fromPrompt: "sort 9,10,2=")
        let planted = try #require(sort.systematicError(for: s)).response
        #expect(sort.followsBug(planted, for: s) && !sort.followsBug(s.completion, for: s))
    }

    /// `count` has only length − 1 prompts, so its held-out problems cannot have unseen prompts;
    /// every other task is held out by prompt.
    @Test func onlyCountRepeatsItsPromptsInTheHeldOutSet() throws {
        let tasks: [any CreditTask] = [AdditionTask(digits: 3), ChainTask(steps: 3), SortTask(length: 5), CipherTask(length: 4),
                                       ForbiddenTask(), CountTask(length: 8)]
        #expect(tasks.map(\.holdsOutByPrompt) == [true, true, true, true, true, false])
        #expect(Set(CountTask(length: 8).examples(200, seed: 1).map(\.prompt)).count == 7)
    }

    @Test func forbiddenMasksOnlyOccurrencesThatStartAWord() throws {
        let task = ForbiddenTask()
        // "ka" starts "kalu" but sits inside "moka": the bug masks "kalu"'s and copies "moka", a leak
        // wrong from its first character (offset 2), a major error.
        let e = try task.example(fromPrompt: "forbidden ka: moka tre kalu=")
        let bug = try #require(task.systematicError(for: e))
        #expect(bug.response == "moka tre **lu\n")
        let v = task.verify(bug.response, for: e)
        #expect(v.firstError == 2)
        #expect(v.errorSpans.first?.severity == .major)
        // Every occurrence starts a word: the rule gives the right answer, so no bug.
        #expect(task.systematicError(for: try task.example(fromPrompt: "forbidden ka: kalu tre kamo=")) == nil)
        // Occurrences are found as the right answer finds them (left to right, no overlap): in
        // "baaa" the one "aa" starts at offset 1, inside the word.
        #expect(task.systematicError(for: try task.example(fromPrompt: "forbidden aa: baaa="))?.response == "baaa\n")
    }

    /// Every planted answer over 300 problems per task is rejected; for the tasks with one right
    /// answer the first error is the first character that differs; some problems admit each bug.
    @Test func plantedAnswersAreAlwaysWrong() throws {
        let tasks: [any SystematicBugTask] = [AdditionTask(digits: 3), AdditionTask(digits: 3, reversed: true), ChainTask(steps: 3),
                                              SortTask(length: 5), CipherTask(length: 4), CountTask(length: 8), ForbiddenTask()]
        for t in tasks {
            var admitted = 0
            for e in t.examples(300, seed: 4) {
                guard let bug = t.systematicError(for: e) else { continue }
                admitted += 1
                let v = t.verify(bug.response, for: e)
                #expect(!v.isCorrect, "\(t.name): \(e.prompt) → \(bug.response)")
                if t.name != "count" {
                    let a = Array(bug.response.unicodeScalars), b = Array(e.completion.unicodeScalars)
                    let differ = (0 ..< min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                    #expect(v.firstError == differ, "\(t.name): \(e.prompt)")
                }
            }
            #expect(admitted > 20, "\(t.name): only \(admitted) of 300 problems admit the bug")
        }
    }
}
