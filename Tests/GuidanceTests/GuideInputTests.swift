import Foundation
@testable import Guidance
import Models
import Support
import Testing
import Tokenizers

/// Bad guide input gives a clear error naming what was expected.
@Suite struct GuideInputTests {
    let environment = GuideEnvironment(policy: tinyModel(seed: 1), tokenizer: nil)

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func registryHoldsTheGuidesWithTheirPapers() {
        #expect(Guides.registry.names == ["rad", "args", "genarm", "logits", "layer-contrast", "pad"])
        #expect(Guides.registry.family == "decoding guide")
        for e in Guides.registry.entries { #expect(!e.card.arxiv.isEmpty, "\(e.card.name) cites no paper") }
        #expect(Guides.registry.contains("dola") && Guides.registry.contains("unir"))
    }

    @Test func unknownNameListsTheKnownGuides() {
        let m = message { try Guides.make("nope:1", environment: environment) }
        #expect(m.contains("unknown decoding guide 'nope'"), "\(m)")
        #expect(m.contains("rad, args, genarm, logits, layer-contrast, pad"), "\(m)")
    }

    @Test func missingArgumentSaysWhatItShouldBe() {
        for spec in ["rad", "genarm:", "layer-contrast"] {
            let m = message { try Guides.make(spec, environment: environment) }
            #expect(m.contains("needs an argument"), "\(spec): \(m)")
        }
        #expect(message { try Guides.make("rad", environment: environment) }.contains("rad:RM_DIR"))
    }

    @Test func badArgumentsAreNamed() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-guide-\(UUID().uuidString)").path
        #expect(message { try Guides.make("rad:\(dir)", environment: environment) }.contains("not a reward-model folder"))
        #expect(message { try Guides.make("layer-contrast:9", environment: environment) }.contains("from 0 to 2"))
        #expect(message { try Guides.make("layer-contrast:x", environment: environment) }.contains("expected a layer count"))
        #expect(message { try Guides.make("pad:be kind", environment: environment) }.contains("needs the policy's tokenizer"))
    }

    @Test func topKLargerThanTheVocabularyIsAnError() throws {
        let g = FixedGuide(candidates: true, values: [])
        let p = try GuidedLogits(terms: [(g, 1)], topK: 30, maxNewTokens: 4, padTokenID: 0)
        let m = message { try p.check(vocabularySize: 24, longestPrompt: 3) }
        #expect(m.contains("--guide-top-k 30 is larger than the vocabulary (24 tokens)"), "\(m)")
        #expect(message { try GuidedLogits(terms: [(g, 1)], topK: 0, maxNewTokens: 4, padTokenID: 0) }.contains("must be ≥ 1"))
    }

    @Test func aGuideWithAnotherVocabularyIsRefused() {
        let m = message { try GuideModels.checkVocabulary(tinyModel(seed: 2, vocab: 30), tokenizer: nil, path: "RM", guide: "rad", environment: environment) }
        #expect(m.contains("vocabulary of 30 tokens ≠ the policy's 24"), "\(m)")
    }

    @Test func aGuideWithAnotherTokenizerIsRefused() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/datasets/tokenizer/tokenizer.json")
        let policyTokenizer = try Tokenizer(tokenizerJSON: fixture)
        // The same vocabulary size with two tokens swapped.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as! [String: Any]
        var model = json["model"] as! [String: Any]
        var vocab = model["vocab"] as! [String: Int]
        vocab["F"] = 41
        vocab["G"] = 40
        model["vocab"] = vocab
        json["model"] = model
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("ta-tok-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: other)
        let guideTokenizer = try Tokenizer(tokenizerJSON: other)
        let env = GuideEnvironment(policy: tinyModel(seed: 1), tokenizer: policyTokenizer)
        let m = message { try GuideModels.checkVocabulary(tinyModel(seed: 2), tokenizer: guideTokenizer, path: "ARM", guide: "genarm", environment: env) }
        #expect(m.contains("tokenizer differs from the policy's at token 40"), "\(m)")
        // The policy's own tokenizer passes.
        #expect(message { try GuideModels.checkVocabulary(tinyModel(seed: 2), tokenizer: policyTokenizer, path: "ARM", guide: "genarm", environment: env) } == "no error")
    }
}
