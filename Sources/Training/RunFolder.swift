// The run folder: `config.yaml`, `metrics.jsonl` (one JSON object per logged step), checkpoints.
import Datasets
import Foundation
import Support
import Yams

public enum RunFolder {
    /// Creates the folder and writes `config.yaml` (atomically).
    public static func prepare(_ dir: URL, configuration: TrainingConfiguration) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = try YAMLEncoder().encode(configuration)
        try Data(yaml.utf8).write(to: dir.appendingPathComponent("config.yaml"), options: .atomic)
    }

    /// Reads a `config.yaml` (any subset of the keys) and validates its values: every error names
    /// the file, and the line of the key when there is one (bounded before parsing: `YAMLBounds`).
    public static func readConfiguration(_ path: String) throws -> TrainingConfiguration {
        let text = try YAMLBounds.read(path)
        func fail(_ key: String?, _ reason: String) -> TrainingError {
            .configurationFile(path: path, line: key.flatMap { lineOfKey($0, in: text) }, reason: reason)
        }
        let configuration: TrainingConfiguration
        do {
            configuration = try YAMLDecoder().decode(TrainingConfiguration.self, from: text)
        } catch let e as TrainingError {
            if case .unknownSetting(let key, _) = e { throw fail(key, e.description) }
            throw fail(nil, e.description)
        } catch let e as DecodingError {
            // Yams wraps what `init(from:)` throws (an unknown key) and parser errors.
            if case .dataCorrupted(let context) = e, let underlying = context.underlyingError {
                if let t = underlying as? TrainingError, case .unknownSetting(let key, _) = t { throw fail(key, t.description) }
                throw fail(nil, "not valid YAML: \(underlying)")
            }
            throw fail(e.topLevelKey, e.readableDescription)
        } catch {
            throw fail(nil, "not valid YAML: \(error)")
        }
        do { try configuration.validate() } catch let e as TrainingError {
            guard case .invalidSetting(let key, _, _) = e else { throw fail(nil, e.description) }
            throw fail(String(key.prefix { $0 != "[" }), e.description)
        }
        return configuration
    }

    /// The 1-based line where a top-level `key:` is set in a flat YAML mapping.
    static func lineOfKey(_ key: String, in text: String) -> Int? {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for form in [key, "\"\(key)\"", "'\(key)'"] where line.hasPrefix(form) {
                if line.dropFirst(form.count).drop(while: { $0 == " " }).hasPrefix(":") { return i + 1 }
            }
        }
        return nil
    }

    /// Appends one line to `metrics.jsonl`.
    /// - Throws: `JSONLWriteError.nonFinite` naming the file, the line it would have been and the
    ///   field, when a value is NaN or infinite (JSON has no such numbers).
    public static func appendMetrics(_ metrics: [String: Float], to dir: URL) throws {
        let url = dir.appendingPathComponent("metrics.jsonl")
        if let bad = metrics.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite }) {
            let existing = (try? Data(contentsOf: url)).map { $0.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } } ?? 0
            let step = metrics["step"].flatMap { $0.isFinite ? " (step \(Int($0)))" : nil } ?? ""
            throw JSONLWriteError.nonFinite(file: url.path, row: existing + 1, field: bad.key, value: Double(bad.value), context: step)
        }
        var line = Data(try JSONValue(foundation: metrics.mapValues { Double($0) }).written(.line).utf8)
        line.append(UInt8(ascii: "\n"))
        if let h = try? FileHandle(forWritingTo: url) {
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: line)
        } else {
            try line.write(to: url)
        }
    }
}

extension DecodingError {
    /// The top-level key the error is about, if any.
    var topLevelKey: String? {
        let path: [CodingKey]
        switch self {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): path = c.codingPath
        @unknown default: return nil
        }
        if case .keyNotFound(let k, _) = self, path.isEmpty { return k.stringValue }
        return path.first?.stringValue
    }

    /// "key: expected …" rather than Foundation's nested dump.
    var readableDescription: String {
        func where_(_ c: Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "" : "\(p.dropFirst(p.hasPrefix(".") ? 1 : 0)): "
        }
        switch self {
        case .typeMismatch(let t, let c): return "\(where_(c))expected \(t): \(c.debugDescription)"
        case .valueNotFound(let t, let c): return "\(where_(c))expected \(t): \(c.debugDescription)"
        case .keyNotFound(let k, let c): return "\(where_(c))missing key '\(k.stringValue)'"
        case .dataCorrupted(let c): return "\(where_(c))\(c.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
