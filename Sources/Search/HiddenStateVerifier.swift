// A fitted hidden-state verifier as a file (`tokenalign verifier-fit`, read by `--scorer elhsr:FILE`
// and `clue:FILE`): the method, its numbers (ELHSR's θ or CLUE's centroids), and the identity of the
// policy it was fitted on — architecture, hidden size, layers, vocabulary and a fingerprint of the
// weights — because its numbers only mean something on that policy's hidden states. One small JSON
// file: 2·L·C + 2 numbers for ELHSR, 2·L·C for CLUE.
import Foundation
import Support
import Models

public struct HiddenStateVerifier: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        case elhsr, clue
    }

    public var method: Method
    public var modelType: String
    public var hiddenSize: Int
    public var layers: Int
    public var vocabularySize: Int
    /// `HiddenStateVerifier.fingerprint(of:)` of the policy it was fitted on.
    public var fingerprint: String
    /// Rollouts fitted on, and how many the verifier accepted.
    public var samples: Int
    public var correct: Int
    public var elhsr: ELHSRHead?
    public var clue: CLUECentroids?

    public init(method: Method, model: any LanguageModel, samples: Int, correct: Int, elhsr: ELHSRHead? = nil, clue: CLUECentroids? = nil) {
        self.method = method
        modelType = model.modelType
        hiddenSize = model.hiddenSize
        layers = model.layerCount
        vocabularySize = model.vocabularySize
        fingerprint = Self.fingerprint(of: model)
        self.samples = samples
        self.correct = correct
        self.elhsr = elhsr
        self.clue = clue
    }

    /// The verifier's score of one sample: σ(R) for ELHSR, d⁻ / (d⁺ + d⁻) for CLUE.
    public func score(_ s: HiddenStateSample) -> Float {
        switch method {
        case .elhsr: ELHSRHead.sigmoid(elhsr!.reward(s))
        case .clue: clue!.score(s.delta)
        }
    }

    /// FNV-1a over every checkpoint tensor's name, size and up to 256 evenly spaced values: equal
    /// for the same weights, different (in practice) for another model of the same shape.
    public static func fingerprint(of model: any LanguageModel) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            for k in 0 ..< 8 {
                h ^= (v >> (8 * UInt64(k))) & 0xff
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        let tensors = model.checkpointTensors()
        for name in tensors.keys.sorted() {
            guard let t = tensors[name] else { continue }
            for b in name.utf8 { mix(UInt64(b)) }
            mix(UInt64(t.count))
            let stride = max(1, t.count / 256)
            t.scalars.withUnsafeBufferPointer { p in
                for i in Swift.stride(from: 0, to: p.count, by: stride) { mix(UInt64(p[i].bitPattern)) }
            }
        }
        return String(h, radix: 16)
    }

    /// Throws unless `model` is the policy this verifier was fitted on (names `flag`).
    public func check(against model: any LanguageModel, flag: String) throws {
        let ours = "\(modelType), hidden size \(hiddenSize), \(layers) layers, vocabulary \(vocabularySize)"
        let theirs = "\(model.modelType), hidden size \(model.hiddenSize), \(model.layerCount) layers, vocabulary \(model.vocabularySize)"
        guard ours == theirs else {
            throw SearchError.invalidSetting("\(flag): the verifier was fitted on a policy with \(ours), but the policy has \(theirs); "
                + "fit it on this policy with `tokenalign verifier-fit`")
        }
        guard Self.fingerprint(of: model) == fingerprint else {
            throw SearchError.invalidSetting("\(flag): the verifier was fitted on another model's weights (fingerprint \(fingerprint), "
                + "the policy's \(Self.fingerprint(of: model))); its numbers only apply to the hidden states of the policy it was fitted on")
        }
    }

    // MARK: - File

    public func write(to path: String) throws {
        var object: [String: Any] = [
            "method": method.rawValue, "model_type": modelType, "hidden_size": hiddenSize, "layers": layers,
            "vocabulary_size": vocabularySize, "fingerprint": fingerprint, "samples": samples, "correct": correct,
        ]
        if let elhsr { object["elhsr_parameters"] = elhsr.parameters.map(Double.init) }
        if let clue {
            object["success_centroid"] = clue.success.map(Double.init)
            object["failure_centroid"] = clue.failure.map(Double.init)
        }
        try Data(try JSONValue(foundation: object).written(.prettySorted).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a verifier file; `flag` names it in errors.
    public static func read(_ path: String, flag: String) throws -> HiddenStateVerifier {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SearchError.invalidSetting("\(flag): cannot read \(path) (\(error.localizedDescription)); fit one with `tokenalign verifier-fit`")
        }
        guard let o = (try? JSONValue.parse(data, file: path))?.foundationObject as? [String: Any] else {
            throw SearchError.invalidSetting("\(flag): \(path) is not a JSON object")
        }
        func field<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let v = o[key] as? T else { throw SearchError.invalidSetting("\(flag): \(path) has no \"\(key)\" of type \(T.self)") }
            return v
        }
        func floats(_ key: String, count: Int) throws -> [Float] {
            let xs = try field(key, [Double].self)
            guard xs.count == count else {
                throw SearchError.invalidSetting("\(flag): \(path): \"\(key)\" has \(xs.count) numbers, expected \(count)")
            }
            return xs.map(Float.init)
        }
        let name = try field("method", String.self)
        guard let method = Method(rawValue: name) else {
            throw SearchError.invalidSetting("\(flag): \(path): method \"\(name)\" is not one of elhsr, clue")
        }
        let C = try field("hidden_size", Int.self), L = try field("layers", Int.self)
        guard C > 0 && L > 0 else { throw SearchError.invalidSetting("\(flag): \(path): hidden_size and layers must be positive") }
        var v = HiddenStateVerifier(method: method, modelType: try field("model_type", String.self), hiddenSize: C, layers: L,
                                    vocabularySize: try field("vocabulary_size", Int.self), fingerprint: try field("fingerprint", String.self),
                                    samples: try field("samples", Int.self), correct: try field("correct", Int.self))
        switch method {
        case .elhsr: v.elhsr = ELHSRHead(dimension: L * C, parameters: try floats("elhsr_parameters", count: 2 * L * C + 2))
        case .clue: v.clue = CLUECentroids(layers: L, hiddenSize: C, success: try floats("success_centroid", count: L * C),
                                           failure: try floats("failure_centroid", count: L * C))
        }
        return v
    }

    init(method: Method, modelType: String, hiddenSize: Int, layers: Int, vocabularySize: Int, fingerprint: String, samples: Int, correct: Int) {
        self.method = method
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.vocabularySize = vocabularySize
        self.fingerprint = fingerprint
        self.samples = samples
        self.correct = correct
    }
}
