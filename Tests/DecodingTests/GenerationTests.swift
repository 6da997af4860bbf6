import Autograd
import Decoding
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

let modelsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/models")

/// Greedy decoding by full recomputation (no cache): the reference the cached loop must match.
func greedyByRecomputation(_ model: any LanguageModel, prompt: [Int], steps: Int) -> [Int] {
    var seq = prompt
    var out: [Int] = []
    for _ in 0 ..< steps {
        let logits = withoutGradients { model(IndexTensor(shape: [1, seq.count], data: seq.map { Int32($0) })) }.value
        let V = logits.shape[2]
        let last = logits.reshaped([-1, V]).row(seq.count - 1).reshaped([1, V])
        let t = Int(last.argmax().data[0])
        out.append(t)
        seq.append(t)
    }
    return out
}

@Suite struct GenerationTests {
    static let names = ["gpt2", "llama", "qwen2"]
    let prompts = [[5, 17, 300, 42, 7], [9, 1], [100, 200, 300]]

    @Test(arguments: names)
    func cachedGreedyEqualsFullRecomputation(_ name: String) throws {
        let model = try ModelRegistry.load(folder: modelsRoot.appendingPathComponent(name))
        for p in prompts {
            let got = Generator.generate(model: model, prompts: [p], parameters: GenerationParameters(maxNewTokens: 12))
            #expect(got[0].tokens == greedyByRecomputation(model, prompt: p, steps: 12), "\(name) prompt \(p)")
            #expect(got[0].finishReason == .length)
        }
    }

    @Test(arguments: names)
    func batchedLeftPaddedEqualsPerRow(_ name: String) throws {
        let model = try ModelRegistry.load(folder: modelsRoot.appendingPathComponent(name))
        let params = GenerationParameters(maxNewTokens: 10)
        let batched = Generator.generate(model: model, prompts: prompts, parameters: params)
        for (i, p) in prompts.enumerated() {
            let single = Generator.generate(model: model, prompts: [p], parameters: params)
            #expect(batched[i].tokens == single[0].tokens, "\(name) row \(i)")
        }
    }

    @Test func samplingIsSeededAndStopsOnStopTokens() throws {
        let model = try ModelRegistry.load(folder: modelsRoot.appendingPathComponent("llama"))
        var params = GenerationParameters(maxNewTokens: 20, temperature: 1.2, topK: 50, topP: 0.95, seed: 7)
        let a = Generator.generate(model: model, prompts: prompts, parameters: params)
        let b = Generator.generate(model: model, prompts: prompts, parameters: params)
        #expect(a.map(\.tokens) == b.map(\.tokens))
        params.seed = 8
        let c = Generator.generate(model: model, prompts: prompts, parameters: params)
        #expect(a.map(\.tokens) != c.map(\.tokens))
        // Stop on the third token that prompt 0 alone produces with seed 7.
        params.seed = 7
        let alone = Generator.generate(model: model, prompts: [prompts[0]], parameters: params)[0].tokens
        let stop = alone[2]
        params.stopTokenIDs = [stop]
        let d = Generator.generate(model: model, prompts: [prompts[0]], parameters: params)
        #expect(d[0].finishReason == .stopToken)
        #expect(d[0].tokens.last == stop && d[0].tokens.count <= 3)
    }

    @Test func stopStringsAndStreaming() throws {
        let model = try ModelRegistry.load(folder: modelsRoot.appendingPathComponent("gpt2"))
        let free = Generator.generate(model: model, prompts: [[1, 2, 3]], parameters: GenerationParameters(maxNewTokens: 8))[0].tokens
        // A toy "decoder": each id becomes "<id>"; stop when the 4th token appears.
        let decode: ([Int]) -> String = { $0.map { "<\($0)>" }.joined() }
        var params = GenerationParameters(maxNewTokens: 8)
        params.stopStrings = ["<\(free[3])>"]
        var streamed: [Int] = []
        let r = Generator.generate(model: model, prompts: [[1, 2, 3]], parameters: params, decode: decode) { step in
            streamed.append(step[0]!)
            return true
        }
        #expect(r[0].finishReason == .stopString)
        #expect(r[0].tokens == Array(free.prefix(r[0].tokens.count)))
        #expect(streamed == r[0].tokens)
        // The callback can stop generation.
        let early = Generator.generate(model: model, prompts: [[1, 2, 3]], parameters: GenerationParameters(maxNewTokens: 8),
                                       onTokens: { _ in false })
        #expect(early[0].tokens.count == 1)
    }
}

@Suite struct LogitProcessorTests {
    let ctx = DecodingContext(prompts: [[0, 2]], generated: [[2]], step: 0)

    @Test func repetitionPenaltyFollowsTransformers() {
        var l = Tensor(shape: [1, 4], data: [2, -1, -3, 4])
        RepetitionPenalty(2).process(&l, context: ctx)
        #expect(l.scalars == [1, -1, -6, 4])
    }

    @Test func topKKeepsTheKLargest() {
        var l = Tensor(shape: [1, 5], data: [1, 5, 3, 4, 2])
        TopK(2).process(&l, context: ctx)
        #expect(l.scalars == [-.infinity, 5, -.infinity, 4, -.infinity])
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // probabilities 0.5, 0.3, 0.15, 0.05
        var l = Tensor(shape: [1, 4], data: [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) })
        TopP(0.8).process(&l, context: ctx)
        #expect(l.scalars[0].isFinite && l.scalars[1].isFinite)
        #expect(l.scalars[2] == -.infinity && l.scalars[3] == -.infinity)
        var m = Tensor(shape: [1, 4], data: [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) })
        TopP(0.81).process(&m, context: ctx)
        #expect(m.scalars[2].isFinite && m.scalars[3] == -.infinity)
    }

    @Test func minPDropsUnlikelyTokens() {
        var l = Tensor(shape: [1, 3], data: [0.6, 0.3, 0.1].map { Float(log($0)) })
        MinP(0.25).process(&l, context: ctx)
        #expect(l.scalars[0].isFinite && l.scalars[1].isFinite && l.scalars[2] == -.infinity)
    }

    @Test func temperatureScalesLogits() {
        var l = Tensor(shape: [1, 2], data: [1, -2])
        Temperature(0.5).process(&l, context: ctx)
        #expect(l.scalars == [2, -4])
    }
}
