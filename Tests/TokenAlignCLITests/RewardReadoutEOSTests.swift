// A sequence reward head is read where it was trained to be read. `tokenalign reward` appends an
// EOS to every row and reads the head at the last non-pad token: the EOS itself when the pad id
// differs from it (CreditBench's tokenizers), the response's last token when pad = EOS (TRL's
// default). The `rm:` search scorer and the `rm:` online-RL reward build their own rows; they used
// to read at the answer's last token always, a position the head never saw in training. The folder
// now records `tokenalign_append_eos` and both read after the EOS when training did.
import Datasets
import Experiments
import Foundation
import OnlineRL
import Search
import Support
import TestSupport
import Testing
import Tokenizers
import Training
import TrainedFixtures

@Suite(.serialized) struct RewardReadoutEOSTests {
    /// The fixture model with `<|im_start|>` as its pad token (pad ≠ EOS), and a BT RM trained from it.
    static func trainedRM(padIsEOS: Bool) throws -> (folder: String, tokenizer: Tokenizer) {
        let base = try TestFiles.modelFolder()
        if !padIsEOS {
            let url = base.appendingPathComponent("tokenizer_config.json")
            var config = try JSONValue.parse(Data(contentsOf: url)).foundationObject as! [String: Any]
            config["pad_token"] = "<|im_start|>"
            try Data(try JSONValue(foundation: config).written(.prettySorted).utf8).write(to: url)
        }
        let rows: [[String: Any]] = (0 ..< 16).map { i in
            ["prompt": "the quick \(i % 5)", "chosen": i % 2 == 0 ? " fox jumps" : " quick fox", "rejected": i % 2 == 0 ? " dog sleeps" : " lazy dog"]
        }
        let data = try TestFiles.writeRows(rows, name: "pairs.jsonl")
        return try trainTinyModel(.reward, data: data, steps: 3, batchSize: 8, from: base.path)
    }

    @Test func scorersReadAfterTheEOSTrainingReadAfter() throws {
        let (folder, tokenizer) = try Self.trainedRM(padIsEOS: false)
        let eos = try #require(tokenizer.eosTokenID), pad = try #require(tokenizer.padTokenID)
        #expect(pad != eos)
        #expect(try RewardModelLoader.appendedEOS(folder: URL(fileURLWithPath: folder), tokenizer: tokenizer) == eos)
        let prompt = tokenizer.encode("the quick 3", addSpecialTokens: false), answer = tokenizer.encode(" fox jumps", addSpecialTokens: false)
        // The head read by hand: at the appended EOS (as training read it) and at the answer's last token.
        let head = try RewardHeadScorer(folder: folder)
        let atEOS = head.scores(ids: [prompt + answer + [eos]], padID: pad)[0], atLast = head.scores(ids: [prompt + answer], padID: pad)[0]
        #expect(atEOS != atLast)
        // The search scorer (σ of the head) reads at the EOS, and an answer that already ends with it gets no second one.
        let scorer = try RewardModelScorer(folder: folder, tokenLevel: false, policyTokenizer: tokenizer, policyVocabulary: 512)
        let row = RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: "the quick 3", ids: prompt, columns: [:])
        var ledger = CostLedger()
        let s = try scorer.scores(row, [Answer(ids: answer, text: " fox jumps"), Answer(ids: answer + [eos], text: " fox jumps")], ledger: &ledger)
        let sigmoid = { (x: Double) in Float(1 / (1 + exp(-x))) }
        #expect(abs(s[0] - sigmoid(atEOS)) < 1e-6 && abs(s[1] - sigmoid(atEOS)) < 1e-6, "\(s) vs \(sigmoid(atEOS))")
        // The online-RL reward puts the head at the EOS on the completion's last token.
        let reward = try RewardModelReward(folder: folder, tokenLevel: false, vocabularySize: 512, tokenizer: tokenizer)
        let completion = Completion(prompt: row, ids: answer, text: " fox jumps", finishReason: .stopString)
        let r = try reward.tokenRewards([completion])[0]
        #expect(abs(Double(r.last!) - atEOS) < 1e-5 && r.dropLast().allSatisfy { $0 == 0 }, "\(r) vs \(atEOS)")
    }

    /// pad = EOS (the fixture tokenizer, TRL's default): training read the answer's last token, so do the scorers.
    @Test func padEqualToEOSReadsTheLastToken() throws {
        let (folder, tokenizer) = try Self.trainedRM(padIsEOS: true)
        #expect(tokenizer.padTokenID == tokenizer.eosTokenID)
        #expect(try RewardModelLoader.appendedEOS(folder: URL(fileURLWithPath: folder), tokenizer: tokenizer) == nil)
        let prompt = tokenizer.encode("the quick 3", addSpecialTokens: false), answer = tokenizer.encode(" fox jumps", addSpecialTokens: false)
        let atLast = try RewardHeadScorer(folder: folder).scores(ids: [prompt + answer], padID: tokenizer.padTokenID!)[0]
        let reward = try RewardModelReward(folder: folder, tokenLevel: false, vocabularySize: 512, tokenizer: tokenizer)
        let row = RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: "the quick 3", ids: prompt, columns: [:])
        let r = try reward.tokenRewards([Completion(prompt: row, ids: answer, text: " fox jumps", finishReason: .stopString)])[0]
        #expect(abs(Double(r.last!) - atLast) < 1e-5)
    }

    @Test func aMalformedFlagIsAnErrorNamingTheFile() throws {
        let dir = URL(fileURLWithPath: TestFiles.temporaryPath("rm-flag"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(#"{"tokenalign_append_eos": "yes"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect { try RewardModelLoader.appendedEOS(folder: dir, tokenizer: nil) } throws: { "\($0)".contains("config.json") && "\($0)".contains("tokenalign_append_eos") }
    }
}
