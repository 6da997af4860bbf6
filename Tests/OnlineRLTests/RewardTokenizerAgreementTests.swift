// Every frozen model a run loads beside the policy (reward models, implicit-dpo's pair, the
// reference) must read the policy's ids as the same text. A vocabulary-size check alone let a
// model with another tokenizer of the same size through, scoring other text than the policy wrote;
// now the bytes of every id are compared and the first difference is named.
import Foundation
import Models
import Testing
import Tokenizers
import TrainedFixtures
@testable import OnlineRL

@Suite struct RewardTokenizerAgreementTests {
    /// A copy of `folder` whose tokenizer swaps the tokens of two ids: same size, other text.
    static func withSwappedTokens(_ folder: String) throws -> (folder: String, differingID: Int) {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("ta-swapped-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: folder), to: copy)
        let file = copy.appendingPathComponent("tokenizer.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var model = try #require(json["model"] as? [String: Any])
        var vocab = try #require(model["vocab"] as? [String: Int])
        let byID = Dictionary(uniqueKeysWithValues: vocab.map { ($0.value, $0.key) })
        // Two neighbouring ids from the middle of the vocabulary: merged tokens past the byte
        // alphabet and before any added token, so the swap changes what both decode to.
        let sorted = byID.keys.sorted()
        let a = sorted[sorted.count / 2], b = sorted[sorted.count / 2 + 1]
        vocab[try #require(byID[a])] = b
        vocab[try #require(byID[b])] = a
        model["vocab"] = vocab
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        return (copy.path, a)
    }

    @Test func rewardModelsWithAnotherTokenizerAreRefused() throws {
        let rm = try RMEnsembleRewardTests.rewardModel(seed: 1)
        let policy = try Tokenizer(directory: URL(fileURLWithPath: rm))
        let (foreign, id) = try Self.withSwappedTokens(rm)
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        let other = try Tokenizer(directory: URL(fileURLWithPath: foreign))
        #expect(other.vocabularySize == policy.vocabularySize)
        #expect(other.firstDifference(from: policy)?.id == id)
        #expect(policy.firstDifference(from: policy) == nil)
        let ctx = RewardContext(tokenizer: policy, maxNewTokens: 8, vocabularySize: 512)
        for spec in ["rm:\(foreign)", "token-rm:\(foreign)", "rm-span:\(foreign)", "rm-ensemble:\(rm),\(foreign)", "abc:\(foreign)"] {
            var c = ctx
            c.referencePath = rm
            #expect("\(spec)", performing: { _ = try RewardFunctions.make(spec, context: c) },
                    throws: { "\($0)".contains("differs from the policy's at id \(id)") })
            // The same folders with the policy's own tokenizer load.
            let same = spec.replacingOccurrences(of: foreign, with: rm)
            #expect(throws: Never.self, "\(same)") { _ = try RewardFunctions.make(same, context: c) }
        }
    }

    @Test func aReferenceWithAnotherTokenizerIsRefused() throws {
        let setup = try AdditionSetup.shared.get()
        let (foreign, id) = try Self.withSwappedTokens(setup.sftModel)
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        var c = setup.configuration(steps: 1)
        c.beta = 0.05
        c.ref = foreign
        #expect(performing: { _ = try OnlineRLSetup.prepare(c) }, throws: { "\($0)".contains("differs from the policy's at id \(id)") })
        c.ref = setup.sftModel
        #expect(throws: Never.self) { _ = try OnlineRLSetup.prepare(c) }
        // RTO's implicit reward reads a DPO model and the reference: each is checked.
        let policy = try Tokenizer(directory: URL(fileURLWithPath: setup.sftModel))
        let rows = try PretrainedModel.load(path: setup.sftModel).model.vocabularySize
        let ctx = RewardContext(tokenizer: policy, maxNewTokens: 8, vocabularySize: rows, referencePath: setup.sftModel)
        #expect(performing: { _ = try RewardFunctions.make("implicit-dpo:\(foreign)", context: ctx) },
                throws: { "\($0)".contains("differs from the policy's at id \(id)") })
        var foreignReference = ctx
        foreignReference.referencePath = foreign
        #expect(performing: { _ = try RewardFunctions.make("implicit-dpo:\(setup.sftModel)", context: foreignReference) },
                throws: { "\($0)".contains("differs from the policy's at id \(id)") })
        #expect(throws: Never.self) { _ = try RewardFunctions.make("implicit-dpo:\(setup.sftModel)", context: ctx) }
    }
}
