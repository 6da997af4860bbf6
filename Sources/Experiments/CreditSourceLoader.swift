// Credit sources by name, outside the demo: `tokenalign credit --source NAME[:ARGS]` and
// `tokenalign eval credit` build a registered source from a command-line spec and the models it
// names, on responses tokenised by one tokenizer (docs/design/credit-eval.md). The loader holds the
// models (each path loaded once) and refuses a model whose vocabulary or tokenizer does not match
// the responses' tokenizer: scores of token ids a model reads as other tokens would be silently
// meaningless.
import Foundation
import Models
import Rewards
import Support
import Tokenizers
import Training

/// A source spec that cannot be built (unknown argument shape, a model that does not fit).
public enum CreditSourceError: Error, Equatable, CustomStringConvertible {
    /// The spec is wrong (exit 64).
    case invalidArgument(String)
    /// The source exists only inside the demo (it reads what the demo trained).
    case notLoadable(String)

    public var description: String {
        switch self {
        case .invalidArgument(let s): "--source \(s)"
        case .notLoadable(let s): "--source \(s)"
        }
    }
}

/// Loads the models credit-source specs name, each once, checked against the responses' tokenizer.
public final class CreditSourceLoader {
    public let tokenizer: Tokenizer
    public let seed: UInt64
    private var models: [String: any LanguageModel] = [:]
    private var rewardModels: [String: CreditDemo.RewardModel] = [:]

    public init(tokenizer: Tokenizer, seed: UInt64 = 0) {
        self.tokenizer = tokenizer
        self.seed = seed
    }

    /// The id batches are padded with.
    public var padID: Int { tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0 }

    /// A frozen language model (folder or .gguf).
    public func model(_ path: String) throws -> any LanguageModel {
        if let m = models[path] { return m }
        let p = try PretrainedModel.load(path: path)
        try check(vocabulary: p.model.vocabularySize, tokenizer: p.tokenizer, path: path)
        p.model.eval()
        models[path] = p.model
        return p.model
    }

    /// A reward model folder from `tokenalign reward` (a backbone and a `score.weight` head).
    public func rewardModel(_ path: String) throws -> CreditDemo.RewardModel {
        if let m = rewardModels[path] { return m }
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: path)) else {
            throw CreditSourceError.invalidArgument(
                "\(path) is not a reward model folder (no score.weight); train one with `tokenalign reward`, or use a source that reads a plain language model")
        }
        try check(vocabulary: loaded.model.vocabularySize, tokenizer: loaded.tokenizer, path: path)
        loaded.model.eval()
        let rm = CreditDemo.RewardModel(backbone: loaded.model, head: loaded.head)
        rewardModels[path] = rm
        return rm
    }

    /// A model must give a row to every id the tokenizer can produce, and when it carries its own
    /// tokenizer that tokenizer must encode like the responses' one.
    func check(vocabulary: Int, tokenizer own: Tokenizer?, path: String) throws {
        guard vocabulary >= tokenizer.vocabularySize else {
            throw TrainingError.modelMismatch(
                "\(path): vocabulary \(vocabulary) < the responses' tokenizer's \(tokenizer.vocabularySize) ids; the model reads another tokenizer's ids")
        }
        if let own {
            let probe = "The 12 quick brown foxes, naïvely: {x} → 3.5!\n"
            guard own.vocabularySize == tokenizer.vocabularySize, own.encode(probe) == tokenizer.encode(probe) else {
                throw TrainingError.modelMismatch(
                    "\(path): its tokenizer differs from the responses' tokenizer (pass --tokenizer \(path), or score with models that share one)")
            }
        }
    }

    /// Splits a spec's argument on commas into `count` parts (the trailing optional ones may be absent).
    public static func parts(_ argument: String?, of spec: String, required: Int, optional: Int = 0, shape: String) throws -> [String] {
        let parts = (argument ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let given = (argument ?? "").isEmpty ? 0 : parts.count
        guard given >= required, given <= required + optional, !parts.prefix(given).contains(where: \.isEmpty) else {
            throw CreditSourceError.invalidArgument("\(spec): expected \(shape)")
        }
        return given == 0 ? [] : parts
    }

    /// A number argument.
    public static func number(_ text: String, of spec: String, name: String) throws -> Float {
        guard let v = Float(text), v.isFinite else { throw CreditSourceError.invalidArgument("\(spec): \(name) '\(text)' is not a finite number") }
        return v
    }
}

extension CreditSources {
    /// Builds the source a spec `NAME[:ARGS]` names (`tokenalign credit --source`).
    /// - Throws: `RegistryError.unknown` listing the loadable names; `CreditSourceError` for a bad
    ///   argument or a source that exists only in the demo.
    public static func load(spec: String, loader: CreditSourceLoader) throws -> any TokenRewardSource {
        let name: String, argument: String?
        if let colon = spec.firstIndex(of: ":") {
            name = String(spec[..<colon])
            argument = String(spec[spec.index(after: colon)...])
        } else {
            name = spec
            argument = nil
        }
        guard let entry = registry.entries.first(where: { $0.card.allNames.contains(name) }) else {
            throw RegistryError.unknown(family: registry.family, name: name, known: loadableNames)
        }
        guard let load = entry.load else {
            throw CreditSourceError.notLoadable("\(spec): '\(name)' reads what the demo trains and cannot be loaded by name; loadable: \(loadableNames.joined(separator: ", "))")
        }
        return try load(argument, spec, loader)
    }

    /// The sources `load(spec:)` can build, with their argument shapes ("confidence:MODEL").
    public static var loadableNames: [String] {
        registry.entries.filter { $0.load != nil }.map { e in e.argument.map { "\(e.card.name):\($0)" } ?? e.card.name }
    }
}
