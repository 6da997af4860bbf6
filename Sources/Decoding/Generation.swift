// Batched generation with a KV cache: left-padded prefill, then one token per step for every row,
// logit processors, greedy or seeded sampling, EOS and stop strings, and a streaming callback.
import Autograd
import Foundation
import Models
import TensorCore

public struct GenerationParameters: Sendable {
    public var maxNewTokens: Int = 128
    /// 0 means greedy (argmax).
    public var temperature: Float = 0
    /// 0 disables.
    public var topK: Int = 0
    /// 1 disables.
    public var topP: Float = 1
    /// 0 disables.
    public var minP: Float = 0
    /// 1 disables.
    public var repetitionPenalty: Float = 1
    /// Generation stops for a row when it emits one of these ids (the id is kept in the output).
    public var stopTokenIDs: Set<Int> = []
    /// Generation stops for a row when its decoded text contains one of these (needs `decode`).
    public var stopStrings: [String] = []
    public var seed: UInt64 = 0
    /// Id fed as left padding (its embedding is masked out, so any valid id works).
    public var padTokenID: Int = 0
    /// Record, per generated token, its log-probability and the entropy of the distribution it was
    /// drawn from (after every logit processor: the sampler's own distribution, which online RL's
    /// importance-sampling corrections compare with the trainer's).
    public var recordLogProbs = false

    public init(maxNewTokens: Int = 128, temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, stopTokenIDs: Set<Int> = [], stopStrings: [String] = [], seed: UInt64 = 0) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.stopTokenIDs = stopTokenIDs
        self.stopStrings = stopStrings
        self.seed = seed
    }

    /// Why a row stops after appending `token` to `generated`, nil when it goes on: a stop token,
    /// else (with `decode`) a stop string in the decoded text. The generator and shared-prefix
    /// decoding both end rows by it.
    public func finishReason(after token: Int, generated: [Int], decode: (([Int]) -> String)?) -> FinishReason? {
        if stopTokenIDs.contains(token) { return .stopToken }
        guard !stopStrings.isEmpty, let decode else { return nil }
        let text = decode(generated)
        return stopStrings.contains(where: { text.contains($0) }) ? .stopString : nil
    }

    /// The processor chain these parameters imply, in transformers' order: repetition penalty, then
    /// the warpers temperature → top-k → top-p → min-p.
    public func processors() -> [LogitProcessor] {
        var out: [LogitProcessor] = []
        if repetitionPenalty != 1 { out.append(RepetitionPenalty(repetitionPenalty)) }
        if temperature > 0 {
            if temperature != 1 { out.append(Temperature(temperature)) }
            if topK > 0 { out.append(TopK(topK)) }
            if topP < 1 { out.append(TopP(topP)) }
            if minP > 0 { out.append(MinP(minP)) }
        }
        return out
    }
}

public enum FinishReason: String, Sendable { case stopToken, stopString, length }

public struct GenerationResult: Sendable {
    /// Generated ids (prompt excluded; a stop token is included, text after a stop string is not cut).
    public var tokens: [Int]
    public var finishReason: FinishReason
    /// With `recordLogProbs`: log p(token) under the processed sampling distribution, one per token.
    public var logProbs: [Float]
    /// With `recordLogProbs`: the entropy (nats) of that distribution at each step.
    public var entropies: [Float]

    public init(tokens: [Int], finishReason: FinishReason, logProbs: [Float] = [], entropies: [Float] = []) {
        self.tokens = tokens
        self.finishReason = finishReason
        self.logProbs = logProbs
        self.entropies = entropies
    }
}

/// Timings of one `generate` call.
public struct GenerationTimings: Sendable {
    public var prefillSeconds: Double = 0
    public var decodeSeconds: Double = 0
    public var decodeSteps: Int = 0

    public init() {}
}

public enum Generator {
    /// Generates continuations of `prompts` (token ids, unpadded) as one batch.
    /// - Parameters:
    ///   - extraProcessors: applied after the repetition penalty and before the sampling warpers
    ///     (where reward guides go).
    ///   - decode: turns a row's generated ids into text, for stop strings.
    ///   - recorder: when given, every forward pass keeps each layer's states (`LayerStateRecorder`:
    ///     the hidden-state verifiers' features); it must wrap `model` and be new for this call.
    ///   - onTokens: called after every step with the new token of each still-active row
    ///     (`nil` for rows that finished earlier); return false to stop early.
    public static func generate(
        model: any LanguageModel, prompts: [[Int]], parameters: GenerationParameters,
        extraProcessors: [LogitProcessor] = [], decode: (([Int]) -> String)? = nil,
        timings: UnsafeMutablePointer<GenerationTimings>? = nil, recorder: LayerStateRecorder? = nil,
        onTokens: (([Int?]) -> Bool)? = nil
    ) -> [GenerationResult] {
        precondition(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "generate: every prompt needs at least one token")
        let B = prompts.count
        let P = prompts.map(\.count).max()!
        let capacity = P + parameters.maxNewTokens
        precondition(capacity <= model.maxPositions || model.modelType != "gpt2",
                     "generate: \(capacity) positions exceed the model's \(model.maxPositions)")
        precondition(recorder == nil || model.cacheRecomputeWidth == nil, "generate: a model that recomputes its cache cannot record layer states")
        var rng = RandomGenerator(seed: parameters.seed)
        let cache = model.makeCache(batch: B, capacity: capacity)
        // Left-pad the prompts; the mask grows by one column per step.
        var ids = [Int32](), mask = [Float]()
        for p in prompts {
            ids += [Int32](repeating: Int32(parameters.padTokenID), count: P - p.count) + p.map { Int32($0) }
            mask += [Float](repeating: 0, count: P - p.count) + [Float](repeating: 1, count: p.count)
        }
        let needsMask = prompts.contains { $0.count != P }
        var maskRows = (0 ..< B).map { Array(mask[($0 * P) ..< (($0 + 1) * P)]) }
        let processors = parameters.processors()
        let ordered = processors.filter { $0 is RepetitionPenalty } + extraProcessors + processors.filter { !($0 is RepetitionPenalty) }

        var generated = [[Int]](repeating: [], count: B)
        var logProbs = [[Float]](repeating: [], count: B), entropies = [[Float]](repeating: [], count: B)
        var finished = [FinishReason?](repeating: nil, count: B)
        var input = IndexTensor(shape: [B, P], data: ids)
        // Every row's ids so far (padded), for a model that recomputes its cache (Phi-3 LongRoPE).
        var idRows = (0 ..< B).map { Array(ids[($0 * P) ..< (($0 + 1) * P)]) }
        var clock = ContinuousClock.now
        for step in 0 ..< parameters.maxNewTokens {
            if let width = model.cacheRecomputeWidth, cache.length > 0, cache.length < width, cache.length + input.shape[1] >= width {
                cache.reset()
                input = IndexTensor(shape: [B, idRows[0].count], data: idRows.flatMap { $0 })
            }
            let maskTensor: Tensor? = needsMask ? Tensor(shape: [B, maskRows[0].count], data: maskRows.flatMap { $0 }) : nil
            // Only the last position's logits are needed: project just those rows to the vocabulary.
            var logits: Tensor = withoutGradients {
                let h = recorder?.forward(input, attentionMask: maskTensor, cache: cache, step: step, generated: generated)
                    ?? model.hiddenStates(input, attentionMask: maskTensor, cache: cache).value  // [B, T, C]
                let T = h.shape[1], C = h.shape[2]
                let last = Tensor(uninitializedShape: [B, C])
                for b in 0 ..< B {
                    (last.unsafeMutablePointer + b * C).update(from: h.unsafePointer + (b * T + T - 1) * C, count: C)
                }
                return model.logits(fromHidden: Variable(last)).value  // [B, V]
            }
            let context = DecodingContext(prompts: prompts, generated: generated, step: step)
            for proc in ordered { proc.process(&logits, context: context) }
            var next = [Int](repeating: parameters.padTokenID, count: B)
            let choice = parameters.temperature > 0 ? logits.softmax().sampleCategorical(using: &rng).data : logits.argmax().data
            var emitted = [Int?](repeating: nil, count: B)
            for b in 0 ..< B where finished[b] == nil {
                let t = Int(choice[b])
                next[b] = t
                generated[b].append(t)
                emitted[b] = t
                if parameters.recordLogProbs {
                    let (lp, h) = Self.logProbAndEntropy(logits, row: b, token: t)
                    logProbs[b].append(lp)
                    entropies[b].append(h)
                }
                finished[b] = parameters.finishReason(after: t, generated: generated[b], decode: decode)
            }
            let now = ContinuousClock.now
            if step == 0 { timings?.pointee.prefillSeconds = seconds(now - clock) } else {
                timings?.pointee.decodeSeconds += seconds(now - clock)
                timings?.pointee.decodeSteps += 1
            }
            clock = now
            if let onTokens, !onTokens(emitted) { break }
            if finished.allSatisfy({ $0 != nil }) || step == parameters.maxNewTokens - 1 { break }
            input = IndexTensor(shape: [B, 1], data: next.map { Int32($0) })
            for b in 0 ..< B { maskRows[b].append(1); idRows[b].append(Int32(next[b])) }
        }
        recorder?.finish(generated: generated, finished: finished, maskRows: needsMask ? maskRows : nil, padTokenID: parameters.padTokenID,
                         cache: cache)
        return (0 ..< B).map {
            GenerationResult(tokens: generated[$0], finishReason: finished[$0] ?? .length, logProbs: logProbs[$0], entropies: entropies[$0])
        }
    }

    /// log softmax(z)[token] and the entropy of softmax(z) for one row of processed logits [B, V]
    /// (−∞ entries, from top-k / top-p, have probability 0). H = logsumexp(z) − Σ p z, which stays
    /// exact where p underflows.
    static func logProbAndEntropy(_ logits: Tensor, row b: Int, token t: Int) -> (Float, Float) {
        let V = logits.shape[1]
        let z = logits.unsafePointer + b * V
        var m = -Float.infinity
        for v in 0 ..< V where z[v] > m { m = z[v] }
        var sum: Double = 0, weighted: Double = 0
        for v in 0 ..< V where z[v] > -Float.infinity {
            let e = Double(Foundation.exp(z[v] - m))
            sum += e
            weighted += e * Double(z[v] - m)
        }
        let lse = Foundation.log(sum)
        return (Float(Double(z[t] - m) - lse), Float(lse - weighted / sum))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
