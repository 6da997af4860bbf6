// The run folder: `config.yaml`, `metrics.jsonl` (one JSON object per logged step), checkpoints.
import Foundation
import Yams

public enum RunFolder {
    /// Creates the folder and writes `config.yaml` (atomically).
    public static func prepare(_ dir: URL, configuration: TrainingConfiguration) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = try YAMLEncoder().encode(configuration)
        try Data(yaml.utf8).write(to: dir.appendingPathComponent("config.yaml"), options: .atomic)
    }

    /// Reads a `config.yaml` (any subset of the keys).
    public static func readConfiguration(_ path: String) throws -> TrainingConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError.invalidConfiguration("\(path): cannot read")
        }
        do { return try YAMLDecoder().decode(TrainingConfiguration.self, from: text) } catch {
            throw TrainingError.invalidConfiguration("\(path): \(error)")
        }
    }

    /// Appends one line to `metrics.jsonl`.
    public static func appendMetrics(_ metrics: [String: Float], to dir: URL) throws {
        let url = dir.appendingPathComponent("metrics.jsonl")
        var line = try JSONSerialization.data(withJSONObject: metrics.mapValues { Double($0) }, options: [.sortedKeys, .withoutEscapingSlashes])
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
