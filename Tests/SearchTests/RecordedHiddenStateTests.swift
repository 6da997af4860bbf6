// Hidden-state features kept while decoding (`LayerStateRecorder`) against today's extra pass
// (`HiddenStateFeatures.sample`, one unpadded row over prompt ⊕ answer): equal to float rounding for
// the Llama, Gemma 2 and GPT-2 fixtures, greedy and sampled, batches of prompts of different lengths
// (left padding), shared-prefix and trie decoding; the same tokens with and without recording; the
// same ELHSR / CLUE scores; and the ledger (checked against a wrapper that counts the positions it
// is fed) without the scorer's pass.
import Autograd
import Decoding
import Models
import NN
import OnlineRL
@testable import Search
import TensorCore
import Testing
import Support
import TestSupport

/// `CountingModel` that also exposes its inner model's layer states, cached or not, counting those
/// passes as `hiddenStates` counts (prefill without a cache or when it is empty, decode otherwise).
final class CountingInspector: CountingModel, LayerStateDecoding {
    let decoding: any LayerStateDecoding

    init(_ inner: any LayerStateDecoding) {
        decoding = inner
        super.init(inner)
    }

    func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> LayerActivations {
        let n = ids.shape[0] * ids.shape[1]
        if cache == nil || cache!.length == 0 { prefillTokens += n } else { decodeTokens += n }
        calls += 1
        return decoding.layerActivations(ids, attentionMask: attentionMask, cache: cache)
    }

    func layerActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations {
        layerActivations(ids, attentionMask: attentionMask, cache: nil)
    }

    func attentionProbabilities(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?) -> Tensor {
        decoding.attentionProbabilities(ids, layer: layer, attentionMask: attentionMask)
    }
}

@Suite(.serialized) struct RecordedHiddenStateTests {
    /// max_i |a_i − b_i| / max(1, |b_i|): the residual stream grows with depth, so the error is relative.
    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }

    /// Each answer's recorded features against the extra pass over its own prompt.
    static func expectRecordedEqualsPass(_ answers: [Answer], prompts: [[Int]], model: any ActivationInspecting,
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(answers.count == prompts.count, sourceLocation: sourceLocation)
        for (i, (a, p)) in zip(answers, prompts).enumerated() {
            let s = try #require(a.hiddenStates, "answer \(i) has no recorded states", sourceLocation: sourceLocation)
            let pass = try HiddenStateFeatures.sample(model: model, prompt: p, answer: a.ids, location: "test").sample
            #expect(s.count == a.ids.count && s.tokens.count == pass.tokens.count, sourceLocation: sourceLocation)
            #expect(maxError(s.tokens, pass.tokens) < 1e-5, "answer \(i) tokens: \(maxError(s.tokens, pass.tokens))", sourceLocation: sourceLocation)
            #expect(maxError(s.delta, pass.delta) < 1e-5, "answer \(i) delta: \(maxError(s.delta, pass.delta))", sourceLocation: sourceLocation)
        }
    }

    static func fitted() throws -> HiddenStateVerifierTests.Fitted { try HiddenStateVerifierTests.fitted.get() }

    /// Three prompts of three lengths: two fixture prompts and the first one shortened.
    static func ragged(_ f: HiddenStateVerifierTests.Fitted) -> [[Int]] {
        let a = f.prompts[0].ids, b = f.prompts[1].ids
        return [a, Array(a.prefix(a.count - 3)), b + [b[0]]]
    }

    // MARK: - The decoder, every family

    @Test(arguments: ["models/llama", "models/gemma2", "models/gpt2"], [Float(0), 1])
    func generatorRecordsWhatTheFullPassComputes(folder: String, temperature: Float) throws {
        let model = try PretrainedModel.load(path: TestFiles.modelFolder(folder).path).model
        model.eval()
        try Self.expectGeneratorRecordsTheFullPass(model, promptLengths: [5, 2, 7], temperature: temperature, label: folder)
    }

    /// Long prompts of three lengths (up to 171 positions of left padding) on a 3-layer Llama with
    /// room for them: the recorder keeps only each row's last prefill column, and it is the right one.
    @Test(arguments: [Float(0), 1]) func longPromptsOfDifferentLengths(temperature: Float) throws {
        let config = LlamaConfiguration(vocabSize: 97, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 3, numAttentionHeads: 4,
                                        numKeyValueHeads: 2, maxPositionEmbeddings: 512)
        let model = LlamaForCausalLM(config, seed: 5)
        model.eval()
        try Self.expectGeneratorRecordsTheFullPass(model, promptLengths: [300, 129, 257], temperature: temperature, label: "long prompts")
    }

    /// The streaming forward the recorder runs visits every layer once, in order, with the outputs
    /// `layerActivations` keeps, returns the same final states and advances the cache alike, on a
    /// left-padded batch of every family.
    @Test(arguments: ["models/llama", "models/gemma2", "models/gpt2"]) func visitingLayersMatchesLayerActivations(folder: String) throws {
        let model = try PretrainedModel.load(path: TestFiles.modelFolder(folder).path).model
        model.eval()
        let inspect = try #require(model as? any LayerStateDecoding)
        var rng = SplitMix64(seed: 8)
        let B = 2, T = 9
        let ids = IndexTensor(shape: [B, T], data: (0 ..< B * T).map { _ in Int32(Int.random(in: 0 ..< model.vocabularySize, using: &rng)) })
        let mask = Tensor(shape: [B, T], data: (0 ..< B * T).map { $0 < 3 ? 0 : 1 })  // row 0 left-padded by 3
        let kept = model.makeCache(batch: B, capacity: 16), streamed = model.makeCache(batch: B, capacity: 16)
        let a = withoutGradients { inspect.layerActivations(ids, attentionMask: mask, cache: kept) }
        var visited: [(layer: Int, values: [Float])] = []
        let final = withoutGradients { inspect.hiddenStates(ids, attentionMask: mask, cache: streamed) { visited.append(($0, $1.scalars)) } }
        #expect(visited.map(\.layer) == Array(0 ..< model.layerCount), "\(folder)")
        for (v, h) in zip(visited, a.layers) { #expect(Self.maxError(v.values, h.value.scalars) < 1e-6, "\(folder) layer \(v.layer)") }
        #expect(Self.maxError(final.value.scalars, a.final.value.scalars) < 1e-6)
        #expect(kept.length == T && streamed.length == T)
    }

    /// Decodes `promptLengths` random prompts (left-padded into one batch) with a recorder, and
    /// checks every row's record against one unpadded full pass over prompt ⊕ tokens.
    static func expectGeneratorRecordsTheFullPass(_ model: any LanguageModel, promptLengths: [Int], temperature: Float, label folder: String,
                                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let inspect = try #require(model as? any LayerStateDecoding)
        var rng = SplitMix64(seed: 3)
        let V = model.vocabularySize
        let prompts = promptLengths.map { n in (0 ..< n).map { _ in Int.random(in: 0 ..< V, using: &rng) } }
        var p = GenerationParameters(maxNewTokens: 5, temperature: temperature, seed: 11)
        p.stopTokenIDs = [Int.random(in: 0 ..< V, using: &rng)]
        let recorder = try #require(LayerStateRecorder(model: model, maxNewTokens: 5))
        let recorded = Generator.generate(model: model, prompts: prompts, parameters: p, recorder: recorder)
        let plain = Generator.generate(model: model, prompts: prompts, parameters: p)
        #expect(recorded.map(\.tokens) == plain.map(\.tokens), "recording does not change what is sampled")
        let D = model.layerCount * model.hiddenSize
        for (b, r) in recorded.enumerated() {
            let record = recorder.records[b]
            let body = r.finishReason == .stopToken ? r.tokens.count - 1 : r.tokens.count
            #expect(record.count >= body && record.count <= r.tokens.count)
            let ids = prompts[b] + r.tokens
            let full = withoutGradients { inspect.layerHiddenStates(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) }), attentionMask: nil) }
                .map(\.value.scalars)
            let C = model.hiddenSize, P = prompts[b].count
            var start = [Float](), tokens = [Float]()
            for h in full { start += h[(P - 1) * C ..< P * C] }
            for t in 0 ..< record.count { for h in full { tokens += h[(P + t) * C ..< (P + t + 1) * C] } }
            #expect(record.start.count == D && Self.maxError(record.start, start) < 1e-5, "\(folder) row \(b) start", sourceLocation: sourceLocation)
            #expect(Self.maxError(record.tokens, tokens) < 1e-5, "\(folder) row \(b) tokens: \(Self.maxError(record.tokens, tokens))",
                    sourceLocation: sourceLocation)
        }
        #expect(recorder.extraForwardCalls <= 1 && recorder.extraPositions == recorder.extraForwardCalls * prompts.count, sourceLocation: sourceLocation)
    }

    @Test func aModelThatCannotHandOutItsStatesGetsNoRecorder() throws {
        let model = try PretrainedModel.load(path: TestFiles.modelFolder().path).model
        #expect(LayerStateRecorder(model: CountingModel(model), maxNewTokens: 4) == nil)
        #expect(LayerStateRecorder(model: model, maxNewTokens: 4) != nil)
    }

    // MARK: - The policy's paths

    @Test(arguments: [false, true]) func sampledAnswersCarryThePassFeatures(greedy: Bool) throws {
        let f = try Self.fitted()
        let policy = f.policy(f.model)
        for (i, p) in f.prompts.prefix(3).enumerated() {
            var ledger = CostLedger()
            let answers = policy.answers(policy.sample(p.ids, count: 5, seed: UInt64(i), greedy: greedy, hiddenStates: true, ledger: &ledger))
            try Self.expectRecordedEqualsPass(answers, prompts: Array(repeating: p.ids, count: 5), model: f.model)
            var plainLedger = CostLedger()
            let plain = policy.answers(policy.sample(p.ids, count: 5, seed: UInt64(i), greedy: greedy, ledger: &plainLedger))
            #expect(plain.map(\.ids) == answers.map(\.ids) && plain.allSatisfy { $0.hiddenStates == nil })
            #expect(ledger.policy.prefillTokens == plainLedger.policy.prefillTokens)
            #expect(ledger.policy.decodeTokens - plainLedger.policy.decodeTokens <= 5)
        }
    }

    @Test func paddedContextsOfDifferentLengths() throws {
        let f = try Self.fitted()
        let policy = f.policy(f.model)
        let contexts = Self.ragged(f)
        #expect(Set(contexts.map(\.count)).count == 3)
        var ledger = CostLedger()
        let answers = policy.answers(policy.continueContexts(contexts, copies: 2, maxNewTokens: 6, seed: 5, hiddenStates: true, ledger: &ledger))
        try Self.expectRecordedEqualsPass(answers, prompts: contexts.flatMap { [$0, $0] }, model: f.model)
        #expect(Set(answers.map(\.ids.count)).count > 1, "answers of different lengths: \(answers.map(\.ids.count))")
    }

    @Test(arguments: ["share", "trie"]) func sharedPrefixAndTrieDecoding(mode: String) throws {
        let f = try Self.fitted()
        let base = f.policy(f.model)
        let policy = SearchPolicy(model: f.model, tokenizer: f.tokenizer, parameters: base.parameters, sharePrefixes: mode == "share",
                                  trieCache: mode == "trie")
        let contexts = Self.ragged(f)
        // With the trie the second call starts from stored positions: only the last column is prefilled.
        for call in 0 ..< 2 {
            var ledger = CostLedger()
            let out = policy.continueContexts(contexts, copies: 3, maxNewTokens: 6, seed: UInt64(20 + call), hiddenStates: true, ledger: &ledger)
            let answers = policy.answers(out)
            try Self.expectRecordedEqualsPass(answers, prompts: contexts.flatMap { [$0, $0, $0] }, model: f.model)
            var plainLedger = CostLedger()
            let plain = base.continueContexts(contexts, copies: 3, maxNewTokens: 6, seed: UInt64(20 + call), ledger: &plainLedger)
            #expect(plain.map(\.ids) == out.map(\.ids))
            if mode == "trie" && call == 1 { #expect(ledger.policyPrefillSaved > 0) }
        }
    }

    // MARK: - Scores and cost

    @Test(arguments: ["elhsr", "clue"]) func recordedScoresEqualThePassScoresWithoutItsCost(kind: String) throws {
        let f = try Self.fitted()
        let counter = CountingInspector(try #require(f.model as? any LayerStateDecoding))
        let scorer = try HiddenStateVerifierTests().scorer(kind, f, policy: counter)
        #expect(scorer.readsPolicyHiddenStates)
        let policy = f.policy(f.model)
        for (i, p) in f.prompts.prefix(3).enumerated() {
            var sampling = CostLedger()
            let answers = policy.answers(policy.sample(p.ids, count: 6, seed: UInt64(i), hiddenStates: true, ledger: &sampling))
            var recorded = CostLedger(), fallback = CostLedger()
            let a = try scorer.scores(p, answers, ledger: &recorded)
            #expect(counter.calls == 0 && recorded == CostLedger(), "the recorded features cost nothing more")
            let b = try scorer.scores(p, answers.map(\.withoutHiddenStates), ledger: &fallback)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 }, "\(a) vs \(b)")
            #expect(fallback.policy.prefillTokens == answers.reduce(0) { $0 + p.ids.count + $1.ids.count })
            counter.calls = 0
            counter.prefillTokens = 0
        }
    }

    @Test(arguments: ["elhsr", "clue"]) func bestOfNBooksNoScoringPass(kind: String) throws {
        let f = try Self.fitted()
        let counter = CountingInspector(try #require(f.model as? any LayerStateDecoding))
        var settings = SearchSettings()
        settings.n = 4
        settings.seed = 2
        let rows = Array(f.prompts.prefix(6))
        let hidden = try SearchRun.run(BestOfN(settings), prompts: rows, policy: f.policy(counter),
                                       scorer: try HiddenStateVerifierTests().scorer(kind, f, policy: counter))
        let fed = (counter.prefillTokens, counter.decodeTokens, counter.calls)
        let verified = try SearchRun.run(BestOfN(settings), prompts: rows, policy: f.policy(f.model), scorer: VerifierScorer(task: nil))
        let total = hidden.reduce(CostLedger()) { $0 + $1.ledger }
        #expect(total.scorers.isEmpty)
        #expect((total.policy.prefillTokens, total.policy.decodeTokens, total.policy.forwardCalls) == fed, "ledger = the positions fed")
        for (h, v) in zip(hidden, verified) {
            #expect(h.result.samples == v.result.samples, "the same samples")
            #expect(h.result.samples.allSatisfy { $0.hiddenStates == nil }, "results drop the features")
            #expect(h.ledger.policy.prefillTokens == v.ledger.policy.prefillTokens, "no p + n pass per sample")
            let extra = h.ledger.policy.decodeTokens - v.ledger.policy.decodeTokens
            #expect(extra == 0 || extra == settings.n, "at most one extra one-column step: \(extra)")
        }
    }
}
