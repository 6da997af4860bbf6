import Foundation
import Models
import Testing

/// A model export replaces its destination as a whole (AtomicFolder, docs/design/hardening.md §2),
/// so it refuses a destination holding files an export does not write, naming the first one, and
/// leaves that folder as it was.
@Suite struct ExportFolderTests {
    static func model() -> LlamaForCausalLM {
        LlamaForCausalLM(LlamaConfiguration(vocabSize: 32, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2,
                                            numKeyValueHeads: 2, maxPositionEmbeddings: 16), seed: 1)
    }

    @Test func aFolderOfOtherFilesIsNotReplaced() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: dir.appendingPathComponent("README.md"))
        #expect(throws: ModelError.self) { try ModelRegistry.save(Self.model(), to: dir) }
        do { try ModelRegistry.save(Self.model(), to: dir) } catch {
            #expect("\(error)".hasPrefix("\(dir.path): cannot write:") && "\(error)".contains("it holds README.md"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["README.md"])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".\(dir.lastPathComponent).") }, "a temporary was left")
        // An earlier export (and dot files) may be replaced.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("README.md"))
        try ModelRegistry.save(Self.model(), to: dir)
        try ModelRegistry.save(Self.model(), to: dir)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["config.json", "model.safetensors"])
    }
}
