import Foundation
import TestSupport
import Testing
import Tokenizers
@testable import CreditBench

@Suite struct GeneratorTests {
    @Test func formatsAreAsDocumented() throws {
        let add = AdditionTask(digits: 3).example(seed: 1, index: 0)
        #expect(add.prompt.wholeMatch(of: /[1-9]\d\d\+[1-9]\d\d=/) != nil)
        let parts = add.prompt.dropLast().split(separator: "+").compactMap { Int($0) }
        #expect(add.answer == String(parts[0] + parts[1]))
        #expect(add.completion == add.answer + "\n")

        let rev = AdditionTask(digits: 3, reversed: true).example(seed: 1, index: 0)
        #expect(rev.prompt.hasSuffix("r="))
        let rp = rev.prompt.dropLast(2).split(separator: "+").compactMap { Int($0) }
        #expect(rev.answer == String(String(rp[0] + rp[1]).reversed()))

        let chain = ChainTask(steps: 3).example(seed: 2, index: 5)
        #expect(chain.prompt.hasPrefix("chain "))
        let steps = chain.answer.split(separator: ";")
        #expect(steps.count == 3)
        for (a, b) in zip(steps, steps.dropFirst()) {  // each step starts from the previous result
            #expect(b.hasPrefix(a.split(separator: "=").last!))
        }

        let sort = SortTask(length: 6).example(seed: 3, index: 0)
        let xs = sort.prompt.dropFirst(5).dropLast().split(separator: ",").compactMap { Int($0) }
        #expect(xs.count == 6 && sort.answer == xs.sorted().map(String.init).joined(separator: ","))

        let cipherTask = CipherTask(length: 5)
        let c = cipherTask.example(seed: 4, index: 0)
        let src = c.prompt.dropFirst(7).dropLast().split(separator: " ").map(String.init)
        let tgt = c.answer.split(separator: " ").map(String.init)
        #expect(src.count == 5 && tgt.count == 5)
        for (s, t) in zip(src, tgt) { #expect(cipherTask.targetWords[cipherTask.sourceWords.firstIndex(of: s)!] == t) }

        let f = ForbiddenTask().example(seed: 5, index: 0)
        guard case .forbidden(let sub) = f.constraint else { Issue.record("constraint"); return }
        #expect(f.prompt.hasPrefix("forbidden \(sub): "))
        #expect(!f.answer.contains(sub) && f.answer.contains("*"))

        let count = CountTask(length: 8).example(seed: 6, index: 0)
        guard case .letterCount(let n, let k) = count.constraint else { Issue.record("constraint"); return }
        #expect(count.prompt == "count \(n) letters \(k) vowels=")
        #expect(count.answer.count == 8 && count.answer.filter { "aeiou".contains($0) }.count == k)
    }

    @Test func sameSeedSameData_otherSeedOtherData() {
        for task in allTasks {
            let a = task.examples(30, seed: 11), b = task.examples(30, seed: 11), c = task.examples(30, seed: 12)
            #expect(a == b, "\(task.name)")
            #expect(a != c, "\(task.name)")
            // Example i does not depend on how many are drawn.
            #expect(task.examples(5, seed: 11) == Array(a.prefix(5)), "\(task.name)")
            let e1 = a.map { task.injectedError(for: $0, seed: 11, index: 0) }
            let e2 = b.map { task.injectedError(for: $0, seed: 11, index: 0) }
            #expect(e1 == e2, "\(task.name)")
        }
        // The generator itself: fixed numbers, so data sets stay reproducible across platforms.
        var rng = CreditRNG(seed: 0)
        let first = (0 ..< 3).map { _ in rng.next() }
        var again = CreditRNG(seed: 0)
        #expect(first == (0 ..< 3).map { _ in again.next() })
        #expect(Set(first).count == 3)
    }

    @Test func knobsChangeDifficultyAndAreChecked() throws {
        let long = try CreditTaskName.add.task({ var k = TaskKnobs(); k.digits = 9; return k }())
        #expect(long.example(seed: 0, index: 0).prompt.count == 9 + 1 + 9 + 1)
        let chain = try CreditTaskName.chain.task({ var k = TaskKnobs(); k.steps = 6; return k }())
        #expect(chain.example(seed: 0, index: 0).answer.split(separator: ";").count == 6)
        #expect(throws: CreditBenchError.self) { try CreditTaskName.count.task({ var k = TaskKnobs(); k.length = 1; return k }()) }
        #expect(throws: CreditBenchError.self) { try CreditTaskName.add.task({ var k = TaskKnobs(); k.digits = 0; return k }()) }
    }
}

@Suite struct VerifierTests {
    /// Every task: the canonical completion passes; injected errors fail with a located first error,
    /// consistent spans, and an edit that leads to a correct response.
    @Test(arguments: CreditTaskName.allCases)
    func injectedErrorsAreRejectedLocatedAndFixable(_ name: CreditTaskName) throws {
        let task = try name.task()
        var kinds: Set<String> = []
        for i in 0 ..< 300 {
            let ex = task.example(seed: 21, index: i)
            #expect(task.verify(ex.completion, for: ex) == .correct, "\(ex.prompt) \(ex.completion)")
            let bad = task.injectedError(for: ex, seed: 21, index: i)
            kinds.insert(bad.kind)
            let v = task.verify(bad.response, for: ex)
            #expect(!v.isCorrect, "\(ex.prompt) → \(bad.response)")
            let r = Array(bad.response.unicodeScalars)
            guard let first = v.firstError else { Issue.record("no first error"); continue }
            #expect(first <= r.count)
            // Before the first error the response is still a prefix of some correct response.
            if case .exact = ex.constraint {
                let t = Array(ex.completion.unicodeScalars)
                #expect(Array(r[0 ..< first]) == Array(t[0 ..< min(first, t.count)]))
                #expect(first == r.count || first == t.count || r[first] != t[first])
            }
            #expect(!v.errorSpans.isEmpty || first == r.count)
            for s in v.errorSpans { #expect(0 <= s.start && s.start < s.end && s.end <= r.count) }
            for (a, b) in zip(v.errorSpans, v.errorSpans.dropFirst()) { #expect(a.end <= b.start) }
            if first < r.count { #expect(v.errorSpans.contains { $0.start <= first && first < $0.end }, "\(bad.response) \(first) \(v.errorSpans)") }
            let edit = try #require(v.edit)
            #expect(applying(edit, to: bad.response) == edit.corrected)
            #expect(task.verify(edit.corrected, for: ex).isCorrect, "\(ex.prompt): \(bad.response) → \(edit.corrected)")
            #expect(edit.start <= first || name == .count)
            #expect(edit.distance >= 1)
        }
        #expect(kinds.count >= 2, "\(name): injector kinds \(kinds)")
    }

    @Test func additionByHand() {
        let task = AdditionTask(digits: 3)
        let ex = CreditExample(task: "add", prompt: "123+989=", answer: "1112")
        #expect(task.verify("1112\n", for: ex) == .correct)
        // A dropped tens carry: 3+9=12 carry 1; 2+8+1=11 (carry forgotten); 1+9=10 → "1012".
        let v = task.verify("1012\n", for: ex)
        #expect(v.firstError == 1)
        #expect(v.errorSpans == [ErrorSpan(start: 1, end: 2, severity: .major)])
        #expect(v.edit == MinimalEdit(start: 1, end: 2, replacement: "1", corrected: "1112\n", distance: 1))
        #expect(task.verify("1112", for: ex).firstError == 4)        // no terminator: wrong at the end
        #expect(task.verify("1112\n\n", for: ex).firstError == 5)    // text after the terminator
        #expect(task.verify("111\n", for: ex).firstError == 3)       // stopped a digit early
        #expect(task.verify("", for: ex).firstError == 0)
    }

    @Test func chainByHandWithStepTruth() {
        let task = ChainTask(steps: 2)
        let ex = CreditExample(task: "chain", prompt: "chain 3*4+5=", answer: "3*4=12;12+5=17")
        // A wrong intermediate result that then propagates: 11 instead of 12, then 11+5=16 (right arithmetic).
        let response = "3*4=11;11+5=16\n"
        let v = task.verify(response, for: ex)
        #expect(v.firstError == 5)
        let steps = task.steps(of: response, for: ex)
        #expect(steps.map(\.range) == [0 ..< 6, 7 ..< 14])
        #expect(steps.map(\.isCorrect) == [false, false])
        #expect(steps.map(\.isLocallyValid) == [false, true])
        let ok = task.steps(of: "3*4=12;12+5=18\n", for: ex)
        #expect(ok.map(\.isCorrect) == [true, false])
        #expect(ok.map(\.isLocallyValid) == [true, false])
        #expect(task.verify("3*4=12;12+5=18\n", for: ex).firstError == 13)
        #expect(ChainTask.parse("12-15=-3") == ChainTask.Step(left: 12, op: "-", right: 15, result: -3))
    }

    @Test func sortByHand() {
        let task = SortTask()
        let ex = CreditExample(task: "sort", prompt: "sort 989,98,7=", answer: "7,98,989")
        #expect(task.verify("7,98,989\n", for: ex).isCorrect)
        #expect(task.verify("7,989,98\n", for: ex).firstError == 4)  // swapped: "7,98" matches, then "9" where "," belongs
        #expect(task.verify("98,7,989\n", for: ex).firstError == 0)
        let drop = task.verify("7,989\n", for: ex)
        #expect(drop.firstError == 4)
        #expect(drop.edit?.corrected == "7,98,989\n")
    }

    @Test func cipherSpansAndSeverities() throws {
        let task = CipherTask(length: 3, vocabulary: 8)
        let t = task.targetWords, s = task.sourceWords
        let ex = CreditExample(task: "cipher", prompt: "cipher \(s[0]) \(s[1]) \(s[2])=", answer: "\(t[0]) \(t[1]) \(t[2])")
        // A misspelling: last letter of the first word changed to a letter no lexicon word has there.
        var w0 = Array(t[0].unicodeScalars)
        let last = w0[w0.count - 1]
        let pool = (PseudoWords.vowels.contains(last) ? PseudoWords.vowels : PseudoWords.consonants).filter { $0 != last }
        w0[w0.count - 1] = try #require(pool.first { c in !t.contains(String(String.UnicodeScalarView(w0.dropLast() + [c]))) })
        let misspelt = String(String.UnicodeScalarView(w0))
        let minor = task.verify("\(misspelt) \(t[1]) \(t[2])\n", for: ex)
        #expect(minor.firstError == w0.count - 1)
        #expect(minor.errorSpans == [ErrorSpan(start: 0, end: w0.count, severity: .minor)])
        // A wrong lexicon word is major.
        let wrong = "\(t[0]) \(t[3]) \(t[2])\n"
        let major = task.verify(wrong, for: ex)
        let start = t[0].count + 1
        #expect(major.errorSpans == [ErrorSpan(start: start, end: start + t[3].count, severity: .major)])
        #expect(major.firstError! >= start)
        // A dropped word: blamed on the word standing in its place.
        let dropped = task.verify("\(t[0]) \(t[2])\n", for: ex)
        #expect(dropped.errorSpans.contains { $0.severity == .major && $0.start == start })
        #expect(dropped.edit?.corrected == ex.completion)
    }

    @Test func forbiddenLeakIsMajorAtTheFirstLeakedCharacter() {
        let task = ForbiddenTask()
        let ex = CreditExample(task: "forbidden", prompt: "forbidden ka: moka tre kalu=", answer: "mo** tre **lu",
                               constraint: .forbidden(substring: "ka"))
        #expect(ForbiddenTask.masked("moka tre kalu", substring: "ka") == "mo** tre **lu")
        let leak = task.verify("moka tre **lu\n", for: ex)
        #expect(leak.firstError == 2)
        #expect(leak.errorSpans == [ErrorSpan(start: 2, end: 4, severity: .major)])
        let slip = task.verify("mo** tpe **lu\n", for: ex)
        #expect(slip.firstError == 6)
        #expect(slip.errorSpans == [ErrorSpan(start: 6, end: 7, severity: .minor)])
    }

    @Test func countPointOfNoReturn() {
        let task = CountTask(length: 4)
        let ex = CreditExample(task: "count", prompt: "count 4 letters 2 vowels=", answer: "babe",
                               constraint: .letterCount(letters: 4, vowels: 2))
        #expect(task.verify("babe\n", for: ex).isCorrect)
        #expect(task.verify("aabb\n", for: ex).isCorrect)   // another correct answer
        #expect(task.verify("aaeb\n", for: ex).firstError == 2)  // the third vowel
        #expect(task.verify("bbba\n", for: ex).firstError == 2)  // from here two vowels cannot fit
        #expect(task.verify("ba\n", for: ex).firstError == 2)    // terminator too early
        #expect(task.verify("babez\n", for: ex).firstError == 4) // a letter too many
        #expect(task.verify("babe", for: ex).firstError == 4)    // no terminator
        #expect(task.verify("bAbe\n", for: ex).firstError == 1)  // not a lowercase letter
        let v = task.verify("aaeb\n", for: ex)
        #expect(v.edit == MinimalEdit(start: 2, end: 3, replacement: "s", corrected: "aasb\n", distance: 1))
        // An early extra vowel is not yet the error: the count breaks at the later vowel.
        #expect(task.verify("aboe\n", for: ex).firstError == 3)
    }
}

@Suite struct TokenCreditTests {
    @Test func handMadeTokenizerSplitsAsDocumented() throws {
        let tok = try handMadeTokenizer()
        func pieces(_ s: String) -> [String] {
            tok.encodeWithOffsets(s).offsets.map { String(decoding: Array(s.utf8)[$0], as: UTF8.self) }
        }
        #expect(pieces("1112\n") == ["111", "2", "\n"])
        #expect(pieces("1212\n") == ["12", "12", "\n"])
        #expect(pieces("7,98,988\n") == ["7", ",", "98", ",", "98", "8", "\n"])
    }

    @Test func errorInsideAMergedToken() throws {
        let tok = try handMadeTokenizer()
        let task = AdditionTask()
        let ex = CreditExample(task: "add", prompt: "123+989=", answer: "1112")
        // "1212": the wrong "2" is the second character of the merged token "12" — that token is the error.
        let credit = TokenCredit(task: task, example: ex, response: "1212\n", tokenizer: tok)
        #expect(credit.offsets == [0 ..< 2, 2 ..< 4, 4 ..< 5])
        #expect(credit.firstErrorToken == 0)
        #expect(credit.labels == [.firstError, .afterError, .afterError])
        // Correct: no error token, all labels "before".
        let ok = TokenCredit(task: task, example: ex, response: "1112\n", tokenizer: tok)
        #expect(ok.firstErrorToken == nil && ok.labels == [.beforeError, .beforeError, .beforeError])
        // Missing terminator: the error is the token that ends the response (index == count).
        let short = TokenCredit(task: task, example: ex, response: "1112", tokenizer: tok)
        #expect(short.firstErrorToken == 2 && short.labels == [.beforeError, .beforeError])
    }

    @Test func errorInTheSecondTokenOfAMultiTokenNumber() throws {
        let tok = try handMadeTokenizer()
        let ex = CreditExample(task: "sort", prompt: "sort 989,98,7=", answer: "7,98,989")
        // "988" is "98|8": the first wrong byte (the last "8") is in the number's second token.
        let credit = TokenCredit(task: SortTask(), example: ex, response: "7,98,988\n", tokenizer: tok)
        #expect(credit.firstErrorToken == 5)
        #expect(credit.labels.map(\.rawValue) == [0, 0, 0, 0, 0, 1, 2])
    }

    @Test func chainTokensInContextOfThePrompt() throws {
        let tok = try handMadeTokenizer()
        let ex = CreditExample(task: "chain", prompt: "chain 3*4+5=", answer: "3*4=12;12+5=17")
        // Tokens: 3 * 4 = 11 ; 11 + 5 = 1 6 \n ("16" has no merge) — the wrong intermediate "11"
        // (one merged token) is index 4.
        let credit = TokenCredit(task: ChainTask(steps: 2), example: ex, response: "3*4=11;11+5=16\n", tokenizer: tok)
        #expect(credit.ids.count == 13)
        #expect(credit.firstErrorToken == 4)
        #expect(credit.labels.map(\.rawValue) == [0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2])
        #expect(tok.decode(credit.ids) == "3*4=11;11+5=16\n")
    }

    @Test func forbiddenLeakInsideAMergedWord() throws {
        let tok = try handMadeTokenizer()
        let ex = CreditExample(task: "forbidden", prompt: "forbidden ka: moka tre kalu=", answer: "mo** tre **lu",
                               constraint: .forbidden(substring: "ka"))
        let credit = TokenCredit(task: ForbiddenTask(), example: ex, response: "moka tre **lu\n", tokenizer: tok)
        // "moka" is mo|k|a: the leak starts at "k", token 1.
        #expect(credit.firstErrorToken == 1)
    }

    /// With a BPE trained on the task (digits merge), the first error token is the first token
    /// whose bytes reach the first wrong byte, for every injected error.
    @Test func trainedBPEFirstErrorTokenReachesTheFirstWrongByte() throws {
        let tok = try trainedDigitTokenizer()
        let task = AdditionTask(digits: 4)
        var merged = 0, insideMerged = 0
        for i in 0 ..< 200 {
            let ex = task.example(seed: 5, index: i)
            let bad = task.injectedError(for: ex, seed: 5, index: i)
            let v = task.verify(bad.response, for: ex)
            let first = try #require(v.firstError)
            let credit = TokenCredit(response: bad.response, firstError: first, tokenizer: tok, prompt: ex.prompt)
            #expect(tok.decode(credit.ids) == bad.response)
            let k = try #require(credit.firstErrorToken)
            #expect(credit.labels.count == credit.ids.count)
            if k < credit.ids.count {
                #expect(credit.offsets[k].contains(first), "\(ex.prompt)\(bad.response) first \(first) token \(credit.offsets[k])")
                if k > 0 { #expect(credit.offsets[k - 1].upperBound <= first) }
                #expect(credit.labels.filter { $0 == .firstError }.count == 1)
                if credit.offsets[k].count > 1 { merged += 1 }
                if credit.offsets[k].lowerBound < first { insideMerged += 1 }
            }
        }
        #expect(merged > 50, "digits should merge into multi-digit tokens")
        #expect(insideMerged > 10, "some errors should fall inside a merged token")
    }
}

@Suite struct PromptParsingTests {
    /// A prompt read back from JSONL poses the same problem as the generated example.
    @Test(arguments: CreditTaskName.allCases)
    func promptsReadBackPoseTheSameProblem(_ name: CreditTaskName) throws {
        let task = try name.task()
        for i in 0 ..< 100 {
            let ex = task.example(seed: 31, index: i)
            let parsed = try task.example(fromPrompt: ex.prompt)
            #expect(parsed.prompt == ex.prompt && parsed.constraint == ex.constraint)
            if name == .count {
                #expect(task.verify(parsed.completion, for: parsed).isCorrect)
                #expect(task.verify(ex.completion, for: parsed).isCorrect)
            } else {
                #expect(parsed == ex)
            }
            let bad = task.injectedError(for: ex, seed: 31, index: i).response
            #expect(task.verify(bad, for: parsed).firstError == task.verify(bad, for: ex).firstError)
        }
        #expect(try AdditionTask(reversed: true).example(fromPrompt: "12+99r=").answer == "111")
        #expect(throws: CreditBenchError.self) { try task.example(fromPrompt: "nonsense") }
    }

    @Test func malformedPromptsAreTypedErrors() {
        #expect(throws: CreditBenchError.self) { try AdditionTask().example(fromPrompt: "12+=") }
        #expect(throws: CreditBenchError.self) { try ChainTask().example(fromPrompt: "chain 3=") }
        #expect(throws: CreditBenchError.self) { try SortTask().example(fromPrompt: "sort 3,,4=") }
        #expect(throws: CreditBenchError.self) { try CipherTask().example(fromPrompt: "cipher notaword=") }
        #expect(throws: CreditBenchError.self) { try CountTask().example(fromPrompt: "count 3 letters 4 vowels=") }
        #expect(throws: CreditBenchError.self) { try ForbiddenTask().example(fromPrompt: "forbidden : abc=") }
        #expect((try? ChainTask().example(fromPrompt: "chain 2*3-10=").answer) == "2*3=6;6-10=-4")
    }
}
