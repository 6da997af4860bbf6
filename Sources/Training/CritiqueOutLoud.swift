// A CLoud reward model (Ankner et al. 2024, "Critique-out-Loud Reward Models", arXiv 2408.11791) at
// work: the language model keeps its LM head and writes a critique of (prompt, response) after a
// fixed cue, then its scalar reward head is read at the last token of prompt + response + cue +
// critique. Training (CritiqueOutLoudSetup), every scorer (`--reward cloud-rm:DIR`, `--scorer
// cloud-rm:DIR`, `eval rm --model DIR`, `demo rm`) and the tests go through this one critic, so they
// write and read the critique identically (docs/design/rewards.md §11).
//
// Token layout: context = encode(prompt + response + cue) with the tokenizer's special tokens, as a
// prompt is encoded for training; the critique is encoded (or generated) on its own and ends with
// EOS. Encoding the two apart keeps the boundary the same whether the critique is an oracle's text
// (stage 1) or the model's own tokens (stage 2 and scoring).
import Decoding
import Foundation
import Models
import Support
import Tokenizers

/// How a CLoud model writes its critique; saved in the folder's config.json under `configKey`,
/// which is how a folder says it is a CLoud reward model.
public struct CritiqueSpec: Sendable, Equatable {
    /// Text between the response and the critique.
    public var cue: String
    /// Longest critique in tokens (EOS included).
    public var maxCritiqueTokens: Int
    /// 0: greedy critiques; above 0, sampled at this temperature from a seed.
    public var temperature: Float

    public static let defaultCue = "\nCritique: "
    public static let defaultMaxCritiqueTokens = 32
    /// The config.json key of a CLoud folder: {"cue", "max_critique_tokens", "temperature"}.
    public static let configKey = "tokenalign_cloud"

    public init(cue: String = CritiqueSpec.defaultCue, maxCritiqueTokens: Int = CritiqueSpec.defaultMaxCritiqueTokens, temperature: Float = 0) {
        self.cue = cue
        self.maxCritiqueTokens = maxCritiqueTokens
        self.temperature = temperature
    }

    /// The config.json value.
    var object: [String: Any] { ["cue": cue, "max_critique_tokens": maxCritiqueTokens, "temperature": Double("\(temperature)") ?? Double(temperature)] }

    /// The spec a folder's config.json records, or nil when it records none (not a CLoud model).
    /// - Throws: `TrainingError.checkpoint` for a config.json that cannot be read or a malformed entry.
    public static func of(folder: URL) throws -> CritiqueSpec? {
        let url = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let config = try JSONValue.parse(data, file: url.path).foundationObject as? [String: Any] else {
            throw TrainingError.checkpoint(path: url.path, reason: "config.json is not an object")
        }
        guard let raw = config[configKey] else { return nil }
        guard let o = raw as? [String: Any], let cue = o["cue"] as? String, let n = (o["max_critique_tokens"] as? NSNumber)?.intValue, n >= 1,
              let t = (o["temperature"] as? NSNumber)?.floatValue, t.isFinite, t >= 0 else {
            throw TrainingError.checkpoint(path: url.path, reason: "\(configKey) must be {\"cue\": string, \"max_critique_tokens\": integer ≥ 1, \"temperature\": number ≥ 0}")
        }
        return CritiqueSpec(cue: cue, maxCritiqueTokens: n, temperature: t)
    }

    /// The ids the critique follows: prompt + response + cue, with the tokenizer's special tokens.
    public func context(prompt: String, response: String, tokenizer: Tokenizer) -> [Int] {
        tokenizer.encode(prompt + response + cue, addSpecialTokens: true)
    }

    /// An oracle critique's ids: its text without special tokens, then EOS (so the model learns to stop).
    public func critique(_ text: String, tokenizer: Tokenizer) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: false) + (tokenizer.eosTokenID.map { [$0] } ?? [])
    }
}

/// The forward work of critiquing and reading: generation as `CostLedger.recordGeneration` counts a
/// policy (per batch: rows × longest context at the prefill, rows × (steps − 1) decode positions,
/// one call per step), then one reading pass per batch (rows × longest sequence).
public struct CritiqueWork: Sendable, Equatable {
    /// Critique tokens generated (EOS included), summed over rows.
    public var generatedTokens = 0
    public var prefillTokens = 0
    public var decodeTokens = 0
    public var generationCalls = 0
    /// Positions of the reading passes (padding included) and their number.
    public var readTokens = 0
    public var readCalls = 0

    public init() {}

    public static func + (a: CritiqueWork, b: CritiqueWork) -> CritiqueWork {
        var o = a
        o.generatedTokens += b.generatedTokens
        o.prefillTokens += b.prefillTokens
        o.decodeTokens += b.decodeTokens
        o.generationCalls += b.generationCalls
        o.readTokens += b.readTokens
        o.readCalls += b.readCalls
        return o
    }
}

/// What the critic says about some responses.
public struct CritiqueJudgement: Sendable {
    /// One score per response: the mean of the head over its `samples` critiques.
    public var scores: [Float]
    /// Every critique's ids (EOS included), `samples` per response, response-major.
    public var critiques: [[Int]]
    public var work: CritiqueWork
}

/// A model with an LM head and a reward head, used as a CLoud critic.
public final class CritiqueOutLoudModel {
    public let model: any LanguageModel
    public let head: RewardHead
    public let tokenizer: Tokenizer
    public let spec: CritiqueSpec
    /// Rows per generation and reading batch.
    public var batchSize = 8
    public let path: String

    public init(model: any LanguageModel, head: RewardHead, tokenizer: Tokenizer, spec: CritiqueSpec, path: String = "") {
        self.model = model
        self.head = head
        self.tokenizer = tokenizer
        self.spec = spec
        self.path = path
    }

    /// A folder `tokenalign reward --kind cloud` wrote.
    /// - Throws: `TrainingError.invalidConfiguration` naming the folder when it has no reward head,
    ///   no CLoud entry in config.json (another kind of reward model) or no tokenizer.
    public static func load(folder: String, weights: WeightFormat = .f32) throws -> CritiqueOutLoudModel {
        let url = URL(fileURLWithPath: folder)
        guard let spec = try CritiqueSpec.of(folder: url) else {
            throw TrainingError.invalidConfiguration("\(folder): not a CLoud reward model (its config.json has no \(CritiqueSpec.configKey) entry); train one with `tokenalign reward --kind cloud --data CRITIQUES.jsonl` (rows from `tokenalign data critiques`), or score a plain reward model with rm:DIR")
        }
        guard let loaded = try RewardModelLoader.load(folder: url, weights: weights) else {
            throw TrainingError.invalidConfiguration("\(folder): a CLoud entry in config.json but no reward head (score.weight) in the weights")
        }
        guard let tokenizer = loaded.tokenizer else {
            throw TrainingError.invalidConfiguration("\(folder): a CLoud reward model needs its tokenizer (tokenizer.json) to write critiques")
        }
        loaded.model.eval()
        return CritiqueOutLoudModel(model: loaded.model, head: loaded.head, tokenizer: tokenizer, spec: spec, path: folder)
    }

    var padID: Int { tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0 }

    /// Generates a critique after every context (greedy, or sampled from `seed` when the spec's
    /// temperature is above 0: batch k uses `BatchedGeneration.batchSeed(seed, k)`), with the work.
    /// - Throws: `TrainingError.invalidConfiguration` naming the row when context + the longest
    ///   critique would exceed the model's positions.
    public func critiques(_ contexts: [[Int]], seed: UInt64) throws -> (critiques: [[Int]], work: CritiqueWork) {
        if let i = contexts.firstIndex(where: { $0.isEmpty || $0.count + spec.maxCritiqueTokens > model.maxPositions }) {
            throw TrainingError.invalidConfiguration("row \(i + 1): \(contexts[i].count) context tokens + \(spec.maxCritiqueTokens) critique tokens exceed the model's \(model.maxPositions) positions (or the context is empty)")
        }
        var p = GenerationParameters(maxNewTokens: spec.maxCritiqueTokens, temperature: spec.temperature)
        if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
        p.padTokenID = padID
        let results = BatchedGeneration.generate(model: model, prompts: contexts, count: 1, parameters: p, seed: seed, batchSize: batchSize)
        let critiques = results.map { $0.first?.tokens ?? [] }
        var work = CritiqueWork()
        // The batches BatchedGeneration ran: consecutive rows, `batchSize` at a time.
        for lo in stride(from: 0, to: contexts.count, by: batchSize) {
            let rows = lo ..< min(lo + batchSize, contexts.count)
            let steps = rows.map { critiques[$0].count }.max() ?? 0
            guard steps > 0 else { continue }
            work.prefillTokens += rows.count * (rows.map { contexts[$0].count }.max() ?? 0)
            work.decodeTokens += rows.count * (steps - 1)
            work.generationCalls += steps
        }
        work.generatedTokens = critiques.reduce(0) { $0 + $1.count }
        return (critiques, work)
    }

    /// The head at the last token of each context + critique, with the reading work.
    public func read(contexts: [[Int]], critiques: [[Int]]) -> (scores: [Float], work: CritiqueWork) {
        let seqs = zip(contexts, critiques).map { $0 + $1 }
        let scores = head.lastTokenScores(model: model, sequences: seqs, padID: padID, batchSize: batchSize)
        var work = CritiqueWork()
        let order = seqs.indices.sorted { seqs[$0].count < seqs[$1].count }
        for lo in stride(from: 0, to: order.count, by: batchSize) {
            let chunk = order[lo ..< min(lo + batchSize, order.count)]
            work.readTokens += chunk.count * max(1, chunk.map { seqs[$0].count }.max() ?? 1)
            work.readCalls += 1
        }
        return (scores.map(Float.init), work)
    }

    /// Critiques each (prompt, response) `samples` times (self-consistency when sampled) and scores
    /// it with the mean of the head over its critiques.
    public func judge(_ items: [(prompt: String, response: String)], samples: Int = 1, seed: UInt64) throws -> CritiqueJudgement {
        precondition(samples >= 1, "CritiqueOutLoudModel.judge: samples must be ≥ 1")
        var contexts: [[Int]] = []
        contexts.reserveCapacity(items.count * samples)
        for it in items {
            let c = spec.context(prompt: it.prompt, response: it.response, tokenizer: tokenizer)
            for _ in 0 ..< samples { contexts.append(c) }
        }
        guard !contexts.isEmpty else { return CritiqueJudgement(scores: [], critiques: [], work: CritiqueWork()) }
        let (critiques, generation) = try self.critiques(contexts, seed: seed)
        let (read, reading) = self.read(contexts: contexts, critiques: critiques)
        var scores = [Float](repeating: 0, count: items.count)
        for i in items.indices {
            var s: Float = 0
            for k in 0 ..< samples { s += read[i * samples + k] }
            scores[i] = s / Float(samples)
        }
        return CritiqueJudgement(scores: scores, critiques: critiques, work: generation + reading)
    }
}
