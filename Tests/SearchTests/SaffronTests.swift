// Saffron-1 (arXiv 2506.06444): the children rule by hand, the search against cases whose outcome is
// known, the distillation targets, and the multifurcation reward model against scoring each child
// separately.
import Foundation
import Models
import OnlineRL
import TensorCore
import Testing
import TrainedFixtures
@testable import Search

/// A teacher whose prefix reward is 10·|y| + (last id): the alignment of the targets is visible.
final class LengthTeacher: SequenceScorer {
    var name: String { "length" }
    func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] { [] }
    func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        prefixes.map { Float(10 * $0.ids.count + ($0.ids.last ?? 0)) }
    }
}

@Suite(.serialized) struct SaffronTests {
    /// Saffron's settings with a budget of one node.
    static func single(maxChildren: Int = 0, topP: Double = 0.8) -> SearchSettings {
        var settings = SearchSettings()
        settings.budget = 1
        settings.maxChildren = maxChildren
        settings.saffronTopP = topP
        return settings
    }

    /// Logits [2, 1, 0, −1]: probabilities 0.6439, 0.2369, 0.0871, 0.0321. With p = 0.8 the children
    /// are tokens 0 (mass before 0) and 1 (before 0.6439); token 2 has 0.8808 before it. With p = 0.9
    /// token 2 joins (0.8808 < 0.9), token 3 does not (0.9679). Forbidding token 0 renormalises
    /// [1, 0, −1] to 0.6652, 0.2447, 0.0900: children 1 and 2. Equal logits go to the lower id.
    @Test func childrenAreTheTopPSetByHand() {
        let logits: [Float] = [2, 1, 0, -1]
        logits.withUnsafeBufferPointer { l in
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 0.8, maxChildren: 0, forbidden: []) == [0, 1])
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 0.9, maxChildren: 0, forbidden: []) == [0, 1, 2])
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 0.9, maxChildren: 1, forbidden: []) == [0])
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 0.8, maxChildren: 0, forbidden: [0]) == [1, 2])
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 1, maxChildren: 0, forbidden: []) == [0, 1, 2, 3])
        }
        let tied: [Float] = [1, 3, 3, 0]
        tied.withUnsafeBufferPointer { l in
            #expect(SaffronSearch.children(l.baseAddress!, count: 4, topP: 1, maxChildren: 0, forbidden: []) == [1, 2, 0, 3])
        }
        // Ties in the kept top keep input order.
        #expect(SaffronSearch.stableTop([3, 5, 5, 1, 5], count: 3, by: >) == [5, 5, 5])
        #expect(SaffronSearch.stableTop([(0, 1.0), (1, 2.0), (2, 2.0)], count: 2, by: { $0.1 > $1.1 }).map { $0.0 } == [1, 2])
    }

    /// One node and one child per depth is greedy decoding: the same answers as `greedy`.
    @Test func budgetOneWithOneChildIsGreedy() throws {
        let s = try ChainSetup.shared.get()
        let policy = s.policy(try s.loadModel())
        let settings = Self.single(maxChildren: 1)
        for (i, p) in try s.promptRows().enumerated() {
            var a = CostLedger(), b = CostLedger()
            let greedy = try GreedySearch().search(p, index: i, policy: policy, scorer: nil, ledger: &a)
            let saffron = try SaffronSearch(settings).search(p, index: i, policy: policy, scorer: VerifierScorer(task: nil), ledger: &b)
            #expect(saffron.answer == greedy.answer, "prompt \(i)")
        }
    }

    /// With every token a child and the oracle process reward (the verifier, one scored row per
    /// child), a budget of one keeps the most probable token that can still become the right
    /// answer: every chain is solved, although the policy alone is not always right.
    @Test func theOraclePRMWithAllChildrenSolvesEveryPrompt() throws {
        let s = try ChainSetup.shared.get()
        let policy = s.policy(try s.loadModel())
        let settings = Self.single(topP: 1)
        let rows = try SearchRun.run(SaffronSearch(settings), prompts: try s.promptRows(), policy: policy, scorer: VerifierScorer(task: nil))
        #expect(rows.allSatisfy { $0.correct == true }, "\(rows.map { $0.result.answer.text })")
        // The verifier runs no model: no scorer tokens, one policy pass per depth.
        #expect(rows.allSatisfy { $0.ledger.scoring.tokens == 0 && $0.ledger.policy.forwardCalls > 0 })
    }

    /// r_t = R(x ⊕ y_≤t) for t = 1 … |y|: with the teacher 10·|y| + last id, path [5, 9, 2] gives
    /// [15, 29, 32]; the verifier on "3*4=12;12+5=18;18-2=16" for "chain 3*4+5-2=" (first error at
    /// character 13, the "8" of 18) gives 1 for every token whose prefix has at most 13 characters
    /// and 0 after.
    @Test func distillationTargetsByHand() throws {
        let s = try ChainSetup.shared.get()
        let text: ([Int]) -> String = { s.tokenizer.decode($0, skipSpecialTokens: true) }
        var ledger = CostLedger()
        let p = promptRow("chain 3*4+5-2=", task: "chain", tokenizer: s.tokenizer)
        #expect(try PrefixRewardTargets.targets(p, paths: [[5, 9, 2], []], teacher: LengthTeacher(), text: text, ledger: &ledger) == [[15, 29, 32], []])
        let path = s.tokenizer.encode("3*4=12;12+5=18;18-2=16")
        let got = try PrefixRewardTargets.targets(p, paths: [path], teacher: VerifierScorer(task: nil), text: text, ledger: &ledger)[0]
        let want: [Float] = (1 ... path.count).map { text(Array(path[..<$0])).count <= 13 ? 1 : 0 }
        #expect(got == want && want.contains(0) && want.contains(1), "\(got)")
    }

    /// The trained multifurcation head against the teacher scored child by child, on held-out
    /// prompts and the policy's own samples: for every observed transition (x ⊕ y_<t, y_t), the head's
    /// entry M(x ⊕ y_<t)[y_t] from one pass at the parent, against the verifier's prefix reward of
    /// x ⊕ y_≤t scored separately. Transitions to tokens the training data never observed carry the
    /// conservative −1024 by design and are counted apart (they must be rare). Tolerance on the others:
    /// mean absolute error ≤ 0.2 and M − ½ agreeing in sign with the verifier on ≥ 85% of them, above
    /// the majority-verdict baseline. The one-pass vector also equals scoring each child's sequence on
    /// its own (to 1e-4).
    @Test func headAgreesWithScoringEachChildSeparately() throws {
        let s = try ChainSetup.shared.get()
        let m = try MultifurcationSetup.shared.get()
        let mrm = try MultifurcationScorer(folder: m.folder, policyTokenizer: s.tokenizer, policyVocabulary: 512)
        let policy = s.policy(try s.loadModel())
        let verifier = VerifierScorer(task: nil)
        var errors: [Float] = [], agree = 0, ones = 0, total = 0, unseen = 0
        for (i, p) in try s.promptRows().enumerated() {
            var ledger = CostLedger()
            for sample in policy.sample(p.ids, count: 8, seed: 100 + UInt64(i), ledger: &ledger) {
                let y = policy.body(sample.ids)
                guard !y.isEmpty else { continue }
                let parents = (0 ..< y.count).map { Answer(ids: Array(y[..<$0]), text: "") }
                let head = try mrm.childRewards(p, parents, candidates: y.map { [$0] }, ledger: &ledger).map { $0[0] }
                let truth = try SeparateChildScoring(verifier, text: policy.text)
                    .childRewards(p, parents, candidates: y.map { [$0] }, ledger: &ledger).map { $0[0] }
                for (h, t) in zip(head, truth) {
                    if h == MultifurcationScorer.unseenReward {
                        unseen += 1
                        continue
                    }
                    errors.append(abs(h - t))
                    if (h > 0.5) == (t > 0.5) { agree += 1 }
                    if t > 0.5 { ones += 1 }
                    total += 1
                }
                // One pass at the parent equals the child's own pass (last transition of x ⊕ y).
                let own = try mrm.prefixScores(p, [Answer(ids: y, text: "")], ledger: &ledger)[0]
                #expect(abs(own - head[y.count - 1]) < 1e-4)
            }
        }
        let mae = errors.reduce(0, +) / Float(errors.count)
        let accuracy = Double(agree) / Double(total), majority = Double(max(ones, total - ones)) / Double(total)
        print("multifurcation head vs verifier: MAE \(mae), agreement \(accuracy), majority \(majority), \(total) seen transitions, \(unseen) unseen")
        #expect(unseen * 20 <= total, "\(unseen) unseen transitions of \(total + unseen)")
        #expect(mae <= 0.2, "mean absolute error \(mae) over \(total) transitions")
        #expect(accuracy >= 0.85 && accuracy > majority, "agreement \(accuracy), majority baseline \(majority)")
        // Unseen tokens carry the conservative-exploration reward.
        let seen = try #require(mrm.seen)
        let never = try #require(seen.indices.first { !seen[$0] })
        var ledger = CostLedger()
        let p = try s.promptRows()[0]
        #expect(try mrm.childRewards(p, [Answer(ids: [], text: "")], candidates: [[never]], ledger: &ledger)[0][0] == MultifurcationScorer.unseenReward)
    }
}
