// A model configuration read, bounded and validated, before anything is allocated: the step
// between `config.json` and a built model where sizes are checked (ConfigurationBounds.swift), the
// memory is estimated (ModelFootprint.swift) and the weight files' shapes are compared with what
// the configuration implies (WeightShapeCheck.swift).
import Foundation
import Support

/// A validated configuration of an architecture we build.
public enum ModelSpec: Sendable, Equatable {
    case gpt2(GPT2Configuration)
    case llama(LlamaConfiguration)
    case gemma(GemmaConfiguration)

    /// The parameter count (the bounds make it finite: `sizeProblem` refuses an overflow).
    public var footprint: ModelFootprint {
        switch self {
        case .gpt2(let c): return c.footprint ?? ModelFootprint(parameters: .max)
        case .llama(let c): return c.footprint ?? ModelFootprint(parameters: .max)
        case .gemma(let c): return c.footprint ?? ModelFootprint(parameters: .max)
        }
    }

    /// A randomly initialised model of this configuration.
    public func build(seed: UInt64) -> any LanguageModel {
        switch self {
        case .gpt2(let c): return GPT2LMHeadModel(c, seed: seed)
        case .llama(let c): return LlamaForCausalLM(c, seed: seed)
        case .gemma(let c): return GemmaForCausalLM(c, seed: seed)
        }
    }

    func sizeSummary(present: Set<String>?) -> String {
        switch self {
        case .gpt2(let c): return c.sizeSummary(present: present)
        case .llama(let c): return c.sizeSummary(present: present)
        case .gemma(let c): return c.sizeSummary(present: present)
        }
    }

    /// Refuses a model whose `copies` Float32 copies would not fit in physical memory.
    func checkMemory(copies: Int, path: String, present: Set<String>?) throws {
        try ModelMemory.check(footprint, copies: copies, path: path, sizes: sizeSummary(present: present))
    }
}

extension ModelRegistry {
    /// Reads, audits, bounds and validates a `config.json`'s contents; returns the configuration and
    /// the keys the file set. Nothing is allocated.
    public static func specification(configurationData data: Data, path: String) throws -> (spec: ModelSpec, present: Set<String>) {
        let top: JSONValue
        do {
            top = try JSONValue.parse(data, file: path, options: JSONParseOptions(exactIntegers: true))
        } catch {
            throw ModelError.invalidConfiguration(path: path, reason: "not valid JSON (\(error.reason) at \(error.position))")
        }
        guard let fields = top.objectValue else {
            throw ModelError.invalidConfiguration(path: path, reason: "top level is not an object")
        }
        guard let modelType = fields["model_type"]?.stringValue else {
            throw ModelError.invalidConfiguration(path: path, reason: "missing string field 'model_type'")
        }
        // An integer beyond Int64 is valid JSON that no size can hold: name the field and its
        // digits (the typed decoder would only say the data is not valid JSON).
        if let (key, value) = fields.sorted(by: { $0.key < $1.key }).first(where: { _, v in
            if case .bigInteger = v { return true }
            guard case .number(let d) = v else { return false }
            return d == d.rounded() && abs(d) > 9_223_372_036_854_775_808.0
        }) {
            throw ModelError.invalidConfiguration(path: path, reason: "field '\(key)': \(value.auditText) is beyond the 64-bit integer range")
        }
        let present = Set(fields.keys)
        switch modelType {
        case "gpt2":
            if let refused = ConfigurationAudit.gpt2(fields) { throw refused.error(path: path) }
            let config = try decode(GPT2Configuration.self, data, path)
            if let problem = config.sizeProblem(present: present) ?? config.validationProblem() {
                throw ModelError.invalidConfiguration(path: path, reason: problem)
            }
            return (.gpt2(config), present)
        case "llama", "qwen2", "qwen3", "mistral", "phi3", "olmo2":
            if let refused = ConfigurationAudit.llamaFamily(fields, modelType: modelType) { throw refused.error(path: path) }
            let config = try decode(LlamaConfiguration.self, data, path)
            if let problem = config.sizeProblem(present: present) ?? config.validationProblem() {
                throw ModelError.invalidConfiguration(path: path, reason: problem)
            }
            let ropeTypes = LlamaConfiguration.ropeTypes(modelType: modelType)
            if let scaling = config.ropeScalingType, !ropeTypes.contains(scaling) {
                throw ModelError.unsupportedSetting(path: path, field: "rope_scaling.rope_type", value: scaling,
                                                   supported: ropeTypes.sorted().joined(separator: ", "))
            }
            return (.llama(config), present)
        case "gemma2", "gemma3_text":
            if let refused = ConfigurationAudit.gemma(fields, modelType: modelType) { throw refused.error(path: path) }
            let config = try decode(GemmaConfiguration.self, data, path)
            if let problem = config.sizeProblem(present: present) ?? config.validationProblem() {
                throw ModelError.invalidConfiguration(path: path, reason: problem)
            }
            return (.gemma(config), present)
        case "gemma3":
            // Gemma3ForConditionalGeneration: a vision tower and projector around a nested text_config.
            throw ModelError.unsupportedSetting(path: path, field: "model_type", value: "gemma3",
                                               supported: "\"gemma3_text\" (text-only Gemma 3 folders, e.g. gemma-3-1b; the multimodal gemma3 checkpoints with a vision tower are not loaded)")
        default:
            throw ModelError.unsupportedArchitecture(path: path, modelType: modelType, supported: supportedTypes)
        }
    }
}
