// Fixture locations and small helpers for the Tokenizers tests. Everything is found relative to
// this file (#filePath), so the tests need neither the network nor a working directory.
import Support
import Foundation
import Testing
@testable import Tokenizers

enum Paths {
    /// The repository root: the first directory above this file that has `Package.swift` and
    /// `Sources/Tokenizers` (this file may be reached through a symlinked scratch package, so the
    /// path is resolved first).
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        let fm = FileManager.default
        while url.path != "/" {
            if fm.fileExists(atPath: url.appendingPathComponent("Package.swift").path),
               fm.fileExists(atPath: url.appendingPathComponent("Sources/Tokenizers").path)
            {
                return url
            }
            url.deleteLastPathComponent()
        }
        // Fall back to the conventional layout: Tests/TokenizersTests/<this file>.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// Committed fixtures: `Tests/Fixtures/tokenizers`.
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizers")

    /// Downloaded assets (`scripts/fetch-assets.sh`): `.assets`.
    static let assets = repositoryRoot.appendingPathComponent(".assets")

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }
    static func asset(_ path: String) -> URL { assets.appendingPathComponent(path) }

    static func assetExists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: asset(path).path)
    }
}

/// The message shown when a test is skipped for lack of downloaded assets.
let fetchAssetsHint = "needs .assets/ — run scripts/fetch-assets.sh (make test does this first)"

/// Loads a JSON fixture as a `JSONValue`.
func loadFixtureJSON(_ name: String) throws -> JSONValue {
    try JSONValue.parse(try Data(contentsOf: Paths.fixture(name)), file: name, options: .python)
}

extension JSONValue {
    var intArray: [Int] { (arrayValue ?? []).compactMap(\.intValue) }
}

/// A scratch directory removed after `body`.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("TokenizersTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Runs `body` and returns the `TokenizerError` it throws (records an issue if it throws none).
func tokenizerError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> TokenizerError? {
    do {
        try body()
        Issue.record("expected a TokenizerError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as TokenizerError {
        return error
    } catch {
        Issue.record("expected a TokenizerError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
