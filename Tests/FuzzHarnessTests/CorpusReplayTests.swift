import Foundation
import FuzzHarness
import Testing

/// Every committed fuzz corpus file (Tests/Fuzz/corpus/<target>/: the seeds, the inputs the fuzzer
/// kept, and the crashers it found, which are fixed) goes through the normal, unsanitised parsing
/// code: none may crash or hang, seeds named `valid-*` must parse, and every refusal must say why.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static func files(_ target: String) throws -> [URL] {
        let dir = corpus.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzHarness.targets.keys.sorted())
    func replay(_ target: String) throws {
        let run = try #require(FuzzHarness.targets[target])
        let inputs = try Self.files(target)
        #expect(!inputs.isEmpty, "no corpus for \(target)")
        var accepted = 0
        for url in inputs {
            let outcome = run(try Data(contentsOf: url))
            switch outcome {
            case .accepted:
                accepted += 1
            case .refused(let message):
                #expect(!url.lastPathComponent.hasPrefix("valid-"), "\(target)/\(url.lastPathComponent) refused: \(message)")
                #expect(!message.trimmingCharacters(in: .whitespaces).isEmpty, "\(target)/\(url.lastPathComponent): empty message")
            }
        }
        let seeds = inputs.filter { $0.lastPathComponent.hasPrefix("valid-") }.count
        #expect(accepted >= seeds)
    }
}
