// Files the test targets share: the committed fixtures folder, fresh temporary paths, a model
// folder built from fixture weights and the committed dataset tokenizer, and JSONL rows on disk.
// One copy here instead of one per test target.
import Datasets
import Foundation

public enum TestFiles {
    /// `Tests/Fixtures` of this checkout (found from this source file's path, so tests run from
    /// any working directory).
    public static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures")

    /// A path in the temporary directory that no other call returns (`name` keeps the extension).
    public static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ta-test-\(UUID().uuidString)-\(name)").path
    }

    /// A temporary model folder: `config.json` and `model.safetensors` from the fixture folder
    /// `weights`, with the committed dataset tokenizer (vocabulary 512) beside them.
    public static func modelFolder(_ weights: String = "models/llama") throws -> URL {
        let dir = URL(fileURLWithPath: temporaryPath("model"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("\(weights)/\(f)"), to: dir.appendingPathComponent(f))
        }
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("datasets/tokenizer/\(f)"), to: dir.appendingPathComponent(f))
        }
        return dir
    }

    /// The fixture sequence reward model (LlamaForSequenceClassification, vocabulary 512) in a
    /// temporary folder with `tokenizer` as its `tokenizer.json`.
    public static func rewardModelFolder(tokenizer: URL) throws -> URL {
        let dir = URL(fileURLWithPath: temporaryPath("rm"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("trl/reward_model/\(f)"), to: dir.appendingPathComponent(f))
        }
        try FileManager.default.copyItem(at: tokenizer, to: dir.appendingPathComponent("tokenizer.json"))
        return dir
    }

    /// `rows` as a JSONL file (Datasets' writer: keys sorted) at a fresh temporary path, which is returned.
    public static func writeRows(_ rows: [[String: Any]], name: String = "rows.jsonl") throws -> String {
        let path = temporaryPath(name)
        try JSONLWriter.encode(rows, file: path).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The objects of a JSONL file (Datasets' reader: one per non-empty line).
    public static func readRows(_ path: String) throws -> [[String: Any]] {
        try JSONLReader.read(path).map(\.object)
    }
}
