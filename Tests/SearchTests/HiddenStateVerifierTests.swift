// The hidden-state verifiers (ELHSR, arXiv 2505.12225; CLUE, arXiv 2510.01591): the loss and its
// gradient against finite differences and an independent numpy worked example, CLUE's distance rule
// against the same, and the scorers on the add fixture policy: their cost against a wrapper that
// counts the positions it is fed, the same score alone or in a batch, and clear errors on a verifier
// of another model, an empty or unlabelled rollout set.
import Autograd
import Foundation
import Models
import NN
import OnlineRL
@testable import Search
import TensorCore
import Tokenizers
import Decoding
import Testing
import TestSupport
import Support
import TrainedFixtures

@Suite(.serialized) struct HiddenStateVerifierTests {
    struct Fitted: @unchecked Sendable {
        let tokenizer: Tokenizer
        let prompts: [RLPrompt]
        let model: any ActivationInspecting
        let samples: [HiddenStateSample]
        let elhsr: String
        let clue: String

        /// The add fixture's sampling policy on `model` (temperature 1, stop at a newline).
        func policy(_ model: any LanguageModel) -> SearchPolicy {
            var p = GenerationParameters(maxNewTokens: 6, temperature: 1, stopStrings: ["\n"])
            if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
            p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
            model.eval()
            return SearchPolicy(model: model, tokenizer: tokenizer, parameters: p)
        }
    }

    /// The add fixture policy (partly right) with 4 verified rollouts of each of 16 training prompts,
    /// both verifiers fitted on them.
    static let fitted: Result<Fitted, Error> = Result {
        let add = try AdditionSetup.shared.get()
        let loaded = try PretrainedModel.load(path: add.sftModel)
        guard let tokenizer = loaded.tokenizer else { throw SearchError.invalidSetting("the add fixture has no tokenizer") }
        let prompts = Array(try RLPrompts.load(add.trainPrompts, tokenizer: tokenizer, rendering: PromptRendering(addSpecialTokens: false)).prefix(16))
        let model = try HiddenStateFeatures.inspecting(loaded.model, flag: "test")
        let partial = Fitted(tokenizer: tokenizer, prompts: prompts, model: model, samples: [], elhsr: "", clue: "")
        let samples = try HiddenStateRollouts.collect(prompts: prompts, policy: partial.policy(model), rollouts: 4, seed: 4)
        let elhsr = TestFiles.temporaryPath("elhsr.json"), clue = TestFiles.temporaryPath("clue.json")
        try HiddenStateRollouts.fit(.elhsr, samples: samples, model: model, steps: 60).verifier.write(to: elhsr)
        try HiddenStateRollouts.fit(.clue, samples: samples, model: model).verifier.write(to: clue)
        return Fitted(tokenizer: tokenizer, prompts: prompts, model: model, samples: samples, elhsr: elhsr, clue: clue)
    }

    static func reference() throws -> [String: Any] {
        let url = TestFiles.fixtures.appendingPathComponent("search/hidden_verifiers_reference.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func floats(_ o: [String: Any], _ key: String) -> [Float] { (o[key] as? [Double] ?? []).map(Float.init) }

    // MARK: - ELHSR loss

    @Test func elhsrMatchesTheNumpyWorkedExample() throws {
        let r = try #require(try Self.reference()["elhsr"] as? [String: Any])
        let D = try #require(r["dimension"] as? Int), counts = try #require(r["counts"] as? [Int])
        let tokens = try #require(r["tokens"] as? [[Double]]), labels = Self.floats(r, "labels")
        let head = ELHSRHead(dimension: D, parameters: Self.floats(r, "theta"))
        var set = HiddenStateSet(dimension: D)
        for (i, n) in counts.enumerated() {
            let s = HiddenStateSample(tokens: tokens[i].map(Float.init), count: n, delta: [])
            #expect(abs(head.reward(s) - Self.floats(r, "rewards")[i]) < 1e-6, "R of sample \(i)")
            set.append(s, label: labels[i])
        }
        let (loss, gradient) = ELHSRHead.lossAndGradient(theta: head.parameters, set: set)
        #expect(abs(loss - Float(try #require(r["loss"] as? Double))) < 1e-6)
        for (k, (a, b)) in zip(gradient, Self.floats(r, "gradient")).enumerated() {
            #expect(abs(a - b) < 2e-6, "∂ℓ/∂θ[\(k)]: \(a) vs \(b)")
        }
    }

    @Test(arguments: [Float(0), -30]) func elhsrGradientMatchesFiniteDifferences(gateBias: Float) {
        // gateBias −30 drives every gate to ~1e-13, so Σ g falls under ε: the floored branch.
        var rng = SplitMix64(seed: 7)
        let D = 5
        var set = HiddenStateSet(dimension: D)
        for (n, y) in [(3, Float(1)), (1, 0), (4, 0), (2, 1)] {
            let x = (0 ..< n * D).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            set.append(HiddenStateSample(tokens: x, count: n, delta: []), label: y)
        }
        var theta = (0 ..< 2 * D + 2).map { _ in Float.random(in: -0.8 ... 0.8, using: &rng) }
        theta[2 * D] = gateBias
        let g = ELHSRHead.lossAndGradient(theta: theta, set: set).gradient
        let h: Float = 1e-3
        for k in theta.indices {
            var plus = theta, minus = theta
            plus[k] += h
            minus[k] -= h
            let numeric = (ELHSRHead.lossAndGradient(theta: plus, set: set).loss - ELHSRHead.lossAndGradient(theta: minus, set: set).loss) / (2 * h)
            #expect(abs(numeric - g[k]) < 5e-4 * max(1, abs(numeric)), "θ[\(k)]: numeric \(numeric), analytic \(g[k])")
        }
    }

    @Test func elhsrFitLowersTheLoss() throws {
        let f = try Self.fitted.get()
        let losses = try HiddenStateRollouts.fit(.elhsr, samples: f.samples, model: f.model, steps: 40).losses
        #expect(losses.count == 40)
        #expect(losses.last! < losses.first! - 0.05, "loss \(losses.first!) → \(losses.last!)")
    }

    // MARK: - CLUE

    @Test func clueMatchesTheNumpyWorkedExample() throws {
        let r = try #require(try Self.reference()["clue"] as? [String: Any])
        let L = try #require(r["layers"] as? Int), C = try #require(r["hidden_size"] as? Int)
        let deltas = try #require(r["deltas"] as? [[Double]]).map { $0.map(Float.init) }
        let c = try CLUECentroids.fit(deltas: deltas, labels: Self.floats(r, "labels"), layers: L, hiddenSize: C)
        for (a, b) in zip(c.success, Self.floats(r, "success")) { #expect(abs(a - b) < 1e-6) }
        for (a, b) in zip(c.failure, Self.floats(r, "failure")) { #expect(abs(a - b) < 1e-6) }
        let queries = try #require(r["queries"] as? [[Double]]).map { $0.map(Float.init) }
        for (i, q) in queries.enumerated() {
            #expect(abs(c.distance(q, c.success) - Self.floats(r, "d_plus")[i]) < 1e-6)
            #expect(abs(c.distance(q, c.failure) - Self.floats(r, "d_minus")[i]) < 1e-6)
            #expect(abs(c.score(q) - Self.floats(r, "scores")[i]) < 1e-6)
        }
    }

    // MARK: - Scorers

    func scorer(_ kind: String, _ f: Fitted, policy: (any LanguageModel)?) throws -> any SequenceScorer {
        try SequenceScorers.make("\(kind):\(kind == "elhsr" ? f.elhsr : f.clue)",
                                 context: ScorerContext(tokenizer: f.tokenizer, vocabularySize: f.model.vocabularySize, maxNewTokens: 6,
                                                        policy: policy))
    }

    @Test(arguments: ["elhsr", "clue"]) func scorerCostIsThePolicyPassCountedByAWrapper(kind: String) throws {
        let f = try Self.fitted.get()
        let counter = CountingInspector(try #require(f.model as? any LayerStateDecoding))
        let s = try scorer(kind, f, policy: counter)
        let policy = f.policy(f.model)
        for (i, p) in f.prompts.prefix(3).enumerated() {
            var ledger = CostLedger()
            let answers = policy.answers(policy.sample(p.ids, count: 5, seed: UInt64(i), ledger: &ledger))
            ledger = CostLedger()
            counter.prefillTokens = 0
            counter.calls = 0
            let scores = try s.scores(p, answers, ledger: &ledger)
            #expect(scores.count == 5 && scores.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
            #expect(ledger.scorers.isEmpty, "no scoring model runs: 0 reward-model tokens")
            #expect(ledger.policy.prefillTokens == counter.prefillTokens)
            #expect(ledger.policy.forwardCalls == counter.calls)
            #expect(ledger.policy.prefillTokens == answers.reduce(0) { $0 + p.ids.count + $1.ids.count })
            #expect(ledger.policy.decodeTokens == 0)
        }
    }

    @Test(arguments: ["elhsr", "clue"]) func scoresAreTheSameAloneOrInABatch(kind: String) throws {
        let f = try Self.fitted.get()
        let s = try scorer(kind, f, policy: f.model)
        let policy = f.policy(f.model)
        let p = try #require(f.prompts.first)
        var ledger = CostLedger()
        let answers = policy.answers(policy.sample(p.ids, count: 6, seed: 9, ledger: &ledger))
        let batch = try s.scores(p, answers, ledger: &ledger)
        let alone = try answers.map { try s.scores(p, [$0], ledger: &ledger)[0] }
        #expect(batch == alone)
        if Set(answers.map(\.ids)).count > 1 { #expect(Set(batch).count > 1, "different answers get different scores: \(batch)") }
    }

    @Test func bestOfNRunsWithTheHiddenStateScorers() throws {
        let f = try Self.fitted.get()
        var settings = SearchSettings()
        settings.n = 4
        settings.seed = 2
        let rows = f.prompts
        for kind in ["elhsr", "clue"] {
            let results = try SearchRun.run(BestOfN(settings), prompts: rows, policy: f.policy(f.model),
                                            scorer: try scorer(kind, f, policy: f.model))
            #expect(results.count == rows.count)
            for (r, p) in zip(results, rows) {
                #expect(r.ledger.scorers.isEmpty)
                #expect(r.ledger.policy.prefillTokens == 4 * p.ids.count, "sampling only: the features were kept while decoding")
            }
        }
    }

    // MARK: - Bad input

    @Test func aVerifierOfAnotherModelIsRefused() throws {
        let f = try Self.fitted.get()
        let base = try PretrainedModel.load(path: TestFiles.modelFolder().path).model
        #expect(base.hiddenSize == f.model.hiddenSize)
        let sameShape = try #require(throws: SearchError.self) { try scorer("elhsr", f, policy: base) }
        #expect("\(sameShape)".contains("another model's weights"))
        let gpt2 = try PretrainedModel.load(path: TestFiles.modelFolder("models/gpt2").path).model
        let verifier = try HiddenStateVerifier.read(f.clue, flag: "test")
        let e = try #require(throws: SearchError.self) { try verifier.check(against: gpt2, flag: "--scorer clue:X") }
        #expect("\(e)".contains("hidden size \(f.model.hiddenSize)") && "\(e)".contains("--scorer clue:X"))
        let noPolicy = try #require(throws: SearchError.self) { try scorer("clue", f, policy: nil) }
        #expect("\(noPolicy)".contains("no policy model"))
        let wrongKind = try #require(throws: SearchError.self) {
            try SequenceScorers.make("clue:\(f.elhsr)", context: ScorerContext(tokenizer: f.tokenizer, vocabularySize: 1, maxNewTokens: 1,
                                                                              policy: f.model))
        }
        #expect("\(wrongKind)".contains("holds a elhsr verifier"))
        let missing = try #require(throws: SearchError.self) { try HiddenStateVerifier.read("/nonexistent/v.json", flag: "--scorer elhsr:F") }
        #expect("\(missing)".contains("cannot read /nonexistent/v.json"))
    }

    @Test func emptyAndUnlabelledRolloutSetsAreRefused() throws {
        let f = try Self.fitted.get()
        for method in HiddenStateVerifier.Method.allCases {
            let empty = try #require(throws: SearchError.self) { try HiddenStateRollouts.fit(method, samples: [], model: f.model) }
            #expect("\(empty)".contains("empty"))
            var unlabelled = f.samples
            unlabelled[1].label = nil
            let e = try #require(throws: SearchError.self) { try HiddenStateRollouts.fit(method, samples: unlabelled, model: f.model) }
            #expect("\(e)".contains("rollout 1 has no verifier label"))
            let oneClass = f.samples.map { s -> HiddenStateSample in
                var s = s
                s.label = 1
                return s
            }
            let c = try #require(throws: SearchError.self) { try HiddenStateRollouts.fit(method, samples: oneClass, model: f.model) }
            #expect("\(c)".contains("both correct and wrong"))
        }
        let policy = f.policy(f.model)
        let noRows = try #require(throws: SearchError.self) { try HiddenStateRollouts.collect(prompts: [], policy: policy, rollouts: 2, seed: 0) }
        #expect("\(noRows)".contains("no rows"))
        let row = try #require(f.prompts.first)
        var taskless = row
        taskless.columns["task"] = nil
        let noTask = try #require(throws: SearchError.self) {
            try HiddenStateRollouts.collect(prompts: [taskless], policy: policy, rollouts: 2, seed: 0)
        }
        #expect("\(noTask)".contains("\"task\" column"))
    }
}
