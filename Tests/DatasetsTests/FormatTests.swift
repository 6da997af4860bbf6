import Datasets
import Foundation
import Testing
import Tokenizers

@Suite struct FormatTests {
    let tok: Tokenizer
    init() throws { tok = try fixtureTokenizer() }

    @Test func recognisesEveryTRLFormat() throws {
        let loc = RowLocation(file: "f", line: 1)
        func rec(_ json: String) throws -> DatasetRecord {
            try DatasetRecord(JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any], at: loc)
        }
        #expect(try rec(#"{"text": "hi"}"#).kind == "language-modeling")
        #expect(try rec(#"{"messages": [{"role": "user", "content": "hi"}]}"#).kind == "language-modeling")
        #expect(try rec(#"{"prompt": "a", "completion": "b"}"#).kind == "prompt-completion")
        #expect(try rec(#"{"prompt": "a", "chosen": "b", "rejected": "c"}"#).kind == "preference")
        #expect(try rec(#"{"chosen": "a b", "rejected": "a c"}"#).kind == "preference")
        #expect(try rec(#"{"prompt": "a", "completion": "b", "label": true}"#).kind == "unpaired-preference")
        #expect(try rec(#"{"prompt": "a", "completions": ["b", "c"], "labels": [true, false]}"#).kind == "stepwise-supervision")
    }

    @Test func standardPreferenceMasksPromptAndAppendsEOS() throws {
        let enc = DatasetEncoder(tokenizer: tok)
        let loc = RowLocation(file: "f", line: 1)
        let ex = try enc.encodePreference(.preference(prompt: .text("the quick brown"), chosen: .text(" fox jumps"),
                                                      rejected: .text(" dog"), margin: nil, annotations: TokenAnnotations()), at: loc)
        let promptIDs = tok.encode("the quick brown")
        #expect(Array(ex.chosen.ids.prefix(promptIDs.count)) == promptIDs)
        #expect(ex.chosen.promptLength == promptIDs.count)
        #expect(ex.chosen.trainMask == Array(repeating: false, count: promptIDs.count) + Array(repeating: true, count: ex.chosen.ids.count - promptIDs.count))
        #expect(ex.chosen.ids.last == tok.eosTokenID)
        #expect(ex.rejected.ids.last == tok.eosTokenID)
        #expect(ex.chosen.ids == tok.encode("the quick brown fox jumps<|endoftext|>"))
    }

    @Test func implicitPromptIsTheCommonPrefix() throws {
        let enc = DatasetEncoder(tokenizer: tok)
        let loc = RowLocation(file: "f", line: 1)
        let implicit = try enc.encodePreference(.preference(prompt: nil, chosen: .text("the quick brown fox"), rejected: .text("the quick brown dog"),
                                                            margin: nil, annotations: TokenAnnotations()), at: loc)
        let explicit = try enc.encodePreference(.preference(prompt: .text("the quick brown"), chosen: .text(" fox"), rejected: .text(" dog"),
                                                            margin: nil, annotations: TokenAnnotations()), at: loc)
        #expect(implicit == explicit)
    }

    @Test func conversationalRowsUseTheChatTemplate() throws {
        let path = try writeLines([
            #"{"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": "the fox"}], "rejected": [{"role": "assistant", "content": "a dog"}]}"#,
            #"{"chosen": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "the fox"}], "rejected": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a dog"}]}"#,
        ])
        let d = try DatasetLoader.preferences(path, encoder: DatasetEncoder(tokenizer: tok))
        #expect(d.examples.count == 2)
        let full = try tok.applyChatTemplate([.user("hi"), .assistant("the fox")])
        let prompt = try tok.applyChatTemplate([.user("hi")], addGenerationPrompt: true)
        #expect(d.examples[0].chosen.ids == full)
        #expect(d.examples[0].chosen.promptLength == prompt.count)
        #expect(d.examples[1].chosen == d.examples[0].chosen)
        #expect(d.examples[1].rejected == d.examples[0].rejected)
    }

    @Test func sftRowsPromptCompletionLanguageModellingAndStepwise() throws {
        let path = try writeLines([
            #"{"text": "the quick brown fox"}"#,
            #"{"prompt": "the quick", "completion": " brown fox"}"#,
            #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "fox"}]}"#,
            #"{"prompt": "count:", "completions": ["one", "two"], "labels": [true, false]}"#,
        ])
        let d = try DatasetLoader.sequences(path, encoder: DatasetEncoder(tokenizer: tok))
        #expect(d.examples.count == 4)
        #expect(d.examples[0].sequence.trainMask.allSatisfy { $0 })
        let pc = d.examples[1].sequence
        #expect(pc.promptLength == tok.encode("the quick").count)
        #expect(!pc.trainMask[0] && pc.trainMask.last == true)
        let step = d.examples[3].sequence
        #expect(step.trainedTokenCount == 2)
        let labelled = zip(step.trainMask, step.tokenLabels!).filter(\.0).map(\.1)
        #expect(labelled == [1, 0])
    }

    @Test func unpairedRows() throws {
        let path = try writeLines([#"{"prompt": "the", "completion": " fox", "label": true}"#, #"{"prompt": "the", "completion": " dog", "label": false}"#])
        let d = try DatasetLoader.unpaired(path, encoder: DatasetEncoder(tokenizer: tok))
        #expect(d.examples.map(\.label) == [true, false])
        #expect(d.examples[0].sequence.promptLength == tok.encode("the").count)
    }

    @Test func tokenRewardsAlignToResponseTokens() throws {
        let n = tok.encode(" fox jumps").count
        let rewards = (0 ..< n).map { String(Float($0) + 1) }.joined(separator: ", ")
        let m = tok.encode(" dog").count
        let rejected = (0 ..< m).map { _ in "0" }.joined(separator: ", ")
        let path = try writeLines([#"{"prompt": "the quick", "chosen": " fox jumps", "rejected": " dog", "chosen_token_rewards": [\#(rewards)], "rejected_token_rewards": [\#(rejected)]}"#])
        let ex = try DatasetLoader.preferences(path, encoder: DatasetEncoder(tokenizer: tok)).examples[0]
        let r = ex.chosen.tokenRewards!
        let p = ex.chosen.promptLength
        #expect(r[..<p].allSatisfy { $0 == 0 })
        #expect(Array(r[p ..< p + n]) == (0 ..< n).map { Float($0) + 1 })
        #expect(r.last == 0)  // the appended EOS
    }

    @Test func errorSpansLabelOverlappingTokens() throws {
        // rejected " brown dog": characters 7..<10 are "dog".
        let path = try writeLines([#"{"prompt": "the quick", "chosen": " brown fox", "rejected": " brown dog", "rejected_error_spans": [{"start": 7, "end": 10, "severity": "major"}]}"#])
        let ex = try DatasetLoader.preferences(path, encoder: DatasetEncoder(tokenizer: tok)).examples[0]
        let labels = ex.rejected.tokenLabels!
        var labelled = ""
        for (id, l) in zip(ex.rejected.ids, labels) where l > 0 { labelled += tok.decode([id]) }
        #expect(labelled.contains("dog"))
        #expect(!labelled.contains("brown"))
        #expect(labels.allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test func collationAlignsToPredictedTokens() throws {
        let a = TokenizedSequence(ids: [5, 6, 7, 8], trainMask: [false, false, true, true], tokenRewards: [0, 0, 1, 2], promptLength: 2)
        let b = TokenizedSequence(ids: [9, 10, 11], trainMask: [false, true, true], tokenRewards: [0, 3, 4], promptLength: 1)
        let c = Collator.collate([a, b], padID: 0)
        #expect(c.rows == 2 && c.inputLength == 4 && c.predictedLength == 3)
        #expect(c.inputIDs == [5, 6, 7, 8, 9, 10, 11, 0])
        #expect(c.attentionMask == [1, 1, 1, 1, 1, 1, 1, 0])
        #expect(c.labels == [6, 7, 8, 10, 11, 0])
        #expect(c.lossMask == [0, 1, 1, 1, 1, 0])
        #expect(c.tokenRewards == [0, 1, 2, 3, 4, 0])
        let pairs = Collator.collatePairs([PreferenceExample(location: RowLocation(file: "f", line: 1), chosen: a, rejected: b)], padID: 0)
        #expect(pairs.inputIDs == c.inputIDs)
        #expect(Collator.collate([a], padID: 0, padToMultipleOf: 8).inputLength == 8)
    }

    @Test func seededOrderAndSplit() {
        let p1 = DataOrder.permutation(count: 50, seed: 7, epoch: 0)
        #expect(p1 == DataOrder.permutation(count: 50, seed: 7, epoch: 0))
        #expect(p1 != DataOrder.permutation(count: 50, seed: 7, epoch: 1))
        #expect(p1.sorted() == Array(0 ..< 50))
        let s = DataOrder.split(count: 20, evalFraction: 0.25, seed: 3)
        #expect(s.eval.count == 5 && s.train.count == 15)
        #expect(Set(s.train).isDisjoint(with: s.eval))
        #expect(s == DataOrder.split(count: 20, evalFraction: 0.25, seed: 3))
    }

    @Test func truncationPolicy() throws {
        let loc = RowLocation(file: "data.jsonl", line: 3)
        let record = DatasetRecord.promptCompletion(prompt: .text("the quick brown fox jumps"), completion: .text(" over the lazy dog"))
        let strict = DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxLength: 6))
        let e = datasetError { _ = try strict.encodeSequence(record, at: loc) }
        #expect(e?.location == loc)
        #expect(e?.field == "completion")
        let full = try DatasetEncoder(tokenizer: tok).encodeSequence(record, at: loc).sequence
        let start = try DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxLength: full.ids.count - 1, allowTruncation: true)).encodeSequence(record, at: loc).sequence
        #expect(start.ids == Array(full.ids.prefix(full.ids.count - 1)) && start.truncated)
        let end = try DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxLength: 4, truncationMode: .keepEnd, allowTruncation: true)).encodeSequence(record, at: loc).sequence
        #expect(end.ids == Array(full.ids.suffix(4)))
        #expect(end.promptLength == 0 && end.trainMask.allSatisfy { $0 })
        let prompt = try DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxPromptLength: 2, allowTruncation: true)).encodeSequence(record, at: loc).sequence
        #expect(prompt.promptLength == 2)
        #expect(prompt.ids == Array(full.ids[(full.promptLength - 2)...]))
        let p = datasetError { _ = try DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxPromptLength: 2)).encodeSequence(record, at: loc) }
        #expect(p?.field == "prompt")
    }
}
