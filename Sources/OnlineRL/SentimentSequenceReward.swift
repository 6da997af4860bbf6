// The controlled-sentiment experiment's sequence score as an online-RL reward: VADER's compound of
// the completion minus λ per profane word, at the last token. It is the score `tokenalign demo
// sentiment` ranks its continuations by (DPO's IMDb setting, arXiv 2305.18290 §6.1, with VADER in
// place of the sentiment classifier), so online methods can be trained on exactly that gold.
import Foundation
import Rewards

/// VADER compound (−1…1) of the completion text − λ·(profane words), on its last token.
public struct SentimentSequenceReward: SequenceRewardFunction {
    public var lexicon: LexiconReward
    /// nil: no penalty.
    public var profanity: ProfanityPenalty?
    public var profanityWeight: Double
    public var name: String { "sentiment" }

    /// The sentiment demo's files and λ.
    public static let defaultLexicon = ".assets/vader/vader_lexicon.txt"
    public static let defaultProfanity = ".assets/profanity/profanity_wordlist.txt"
    public static let defaultProfanityWeight = 1.0

    public init(lexicon: LexiconReward, profanity: ProfanityPenalty?, profanityWeight: Double) {
        self.lexicon = lexicon
        self.profanity = profanity
        self.profanityWeight = profanityWeight
    }

    /// `LEXICON_FILE[,PROFANITY_FILE|none[,LAMBDA]]`; an empty or missing part takes the demo's
    /// default. As in the demo, the default word list is optional (no file: no penalty), while a
    /// word list that is named must exist.
    public init(argument: String?) throws {
        // Empty parts keep their place (`sentiment:,none` names no lexicon and no word list).
        let parts = argument.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        guard parts.count <= 3 else {
            throw RewardError("--reward sentiment:\(argument ?? ""): expected LEXICON_FILE[,PROFANITY_FILE|none[,LAMBDA]], got \(parts.count) parts")
        }
        func part(_ i: Int) -> String? { i < parts.count && !parts[i].isEmpty ? parts[i] : nil }
        let lexiconPath = part(0) ?? Self.defaultLexicon
        do { lexicon = try LexiconReward(lexiconFile: URL(fileURLWithPath: lexiconPath)) } catch {
            throw RewardError("--reward sentiment: lexicon \(lexiconPath): \(error)")
        }
        let listPath = part(1) ?? Self.defaultProfanity
        if listPath == "none" || (part(1) == nil && !FileManager.default.fileExists(atPath: listPath)) {
            profanity = nil
        } else {
            do { profanity = try ProfanityPenalty(wordListFile: URL(fileURLWithPath: listPath)) } catch {
                throw RewardError("--reward sentiment: profanity word list \(listPath): \(error)")
            }
        }
        if let text = part(2) {
            guard let w = Double(text), w.isFinite, w >= 0 else {
                throw RewardError("--reward sentiment: LAMBDA (the profanity weight) must be a number ≥ 0, got '\(text)'")
            }
            profanityWeight = w
        } else {
            profanityWeight = Self.defaultProfanityWeight
        }
    }

    public func sequenceScore(_ text: String) -> Double {
        lexicon.sequenceScore(text) + profanityWeight * (profanity?.sequenceScore(text) ?? 0)
    }

    public func score(_ c: Completion) throws -> Float { Float(sequenceScore(c.text)) }
}
