// The built-in reward functions: CreditBench's verifier (sequence and first-error token credit),
// exact match against a dataset column, regex and format rewards, DAPO's overlong shaping, and the
// VADER lexicon per token.
import CreditBench
import Datasets
import Foundation
import Rewards
import Tokenizers

/// CreditBench's verifier on rows made by `tokenalign data make --kind prompts` (columns `prompt`,
/// `task`, and `task_knobs` when a knob differs from the task's default): 1 for a correct completion, 0 otherwise. With `tokenLevel`, a wrong completion also gets
/// −1 on the token that holds its first error (the verifier's ground truth), so credit lands on
/// the token that went wrong instead of being spread over the whole answer.
public struct CreditBenchVerifierReward: RewardFunction {
    public var tokenLevel: Bool
    public var tokenizer: Tokenizer
    public var name: String { tokenLevel ? "creditbench-token" : "creditbench" }

    public init(tokenLevel: Bool, tokenizer: Tokenizer) {
        self.tokenLevel = tokenLevel
        self.tokenizer = tokenizer
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        var tasks = RowTasks()
        return try completions.map { c in
            var r = [Float](repeating: 0, count: c.ids.count)
            guard !r.isEmpty else { return r }
            // Row problems are data errors (DatasetError, exit code 65) naming file:line and the column.
            guard let value = c.prompt.columns["task"] else { throw DatasetError.missingField(c.prompt.location, field: "task") }
            guard let name = value as? String, let kind = CreditTaskName(rawValue: name) else {
                throw DatasetError.invalidValue(c.prompt.location, field: "task",
                                                reason: "the creditbench reward needs a CreditBench task name (\(CreditTaskName.allCases.map(\.rawValue).joined(separator: ", "))), got \(value)")
            }
            // The row's `task_knobs` (written by `data make --kind prompts` and the RL demo) pick the
            // task that made the prompt: a reversed addition prompt is verified as one.
            let task: any CreditTask
            do { task = try tasks.task(kind, knobsColumn: c.prompt.columns["task_knobs"]) } catch {
                throw RewardError("\(c.prompt.location): \(error)")
            }
            guard let promptText = c.prompt.columns["prompt"] as? String else {
                throw DatasetError.wrongType(c.prompt.location, field: "prompt", expected: "a plain string (the creditbench reward parses it)")
            }
            let example: CreditExample
            do { example = try task.example(fromPrompt: promptText) } catch {
                throw DatasetError.invalidValue(c.prompt.location, field: "prompt", reason: "\(error)")
            }
            let verdict = task.verify(c.text, for: example)
            if verdict.isCorrect {
                r[r.count - 1] = 1
            } else if tokenLevel, let first = verdict.firstError {
                r[Self.token(holding: first, in: c, tokenizer: tokenizer)] = -1
            }
            return r
        }
    }

    /// The index of the generated token whose bytes hold Unicode-scalar offset `scalar` of the
    /// completion text (the last token when the error is "missing text" at the very end).
    static func token(holding scalar: Int, in c: Completion, tokenizer: Tokenizer) -> Int {
        token(holding: scalar, text: c.text, ids: c.ids, tokenizer: tokenizer)
    }

    /// The same for any generated `ids` whose decoded text (special tokens skipped) is `text`.
    public static func token(holding scalar: Int, text: String, ids: [Int], tokenizer: Tokenizer) -> Int {
        let byte = text.unicodeScalars.prefix(scalar).reduce(0) { $0 + String($1).utf8.count }
        let laid = TokenizedText(tokenIDs: ids, tokenizer: tokenizer)
        for (t, range) in laid.offsets.enumerated() where !laid.specialTokensMask[t] && range.upperBound > byte { return t }
        return ids.count - 1
    }
}

/// 1 when the completion, trimmed, equals the row's `column` (trimmed), else 0.
public struct ExactMatchReward: SequenceRewardFunction {
    public var column: String
    public var name: String { "exact-match" }
    public init(column: String) { self.column = column }

    public func score(_ c: Completion) throws -> Float {
        guard let target = c.prompt.columns[column] else {
            throw DatasetError.missingField(c.prompt.location, field: column)
        }
        let expected = (target as? String) ?? "\(target)"
        return c.text.trimmingCharacters(in: .whitespacesAndNewlines) == expected.trimmingCharacters(in: .whitespacesAndNewlines) ? 1 : 0
    }
}

/// 1 when the regular expression matches the completion: anywhere (`regex`), or the whole trimmed
/// completion (`format`, the format rewards of R1-style recipes).
public struct PatternReward: SequenceRewardFunction {
    public let pattern: String
    public let whole: Bool
    let expression: NSRegularExpression
    public var name: String { whole ? "format" : "regex" }

    public init(pattern: String, whole: Bool) throws {
        self.pattern = pattern
        self.whole = whole
        do { expression = try NSRegularExpression(pattern: whole ? "^(?:\(pattern))$" : pattern, options: [.dotMatchesLineSeparators]) } catch {
            throw RewardError("--reward \(whole ? "format" : "regex"):\(pattern): not a valid regular expression (\(error.localizedDescription))")
        }
    }

    public func score(_ c: Completion) throws -> Float {
        let text = whole ? c.text.trimmingCharacters(in: .whitespacesAndNewlines) : c.text
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil ? 0 : 1
    }
}

/// DAPO's soft overlong punishment (arXiv 2503.14476 §3.4): 0 up to L_max − L_cache tokens, then a
/// linear ramp to −1 at L_max, −1 beyond.
public struct OverlongPenalty: SequenceRewardFunction {
    public var maxLength: Int
    public var cache: Int
    public var name: String { "overlong" }

    public init(maxLength: Int, cache: Int) throws {
        guard maxLength > 0, cache > 0, cache <= maxLength else {
            throw RewardError("overlong needs 0 < cache ≤ max length, got max \(maxLength), cache \(cache)")
        }
        self.maxLength = maxLength
        self.cache = cache
    }

    public func score(_ c: Completion) throws -> Float {
        let n = c.ids.count, expected = maxLength - cache
        if n <= expected { return 0 }
        if n <= maxLength { return Float(expected - n) / Float(cache) }
        return -1
    }
}

/// VADER's word valences on the tokens that carry each word (`LexiconReward`), scored on the
/// generated ids themselves so the rewards line up with exactly these tokens.
public struct LexiconTokenReward: RewardFunction {
    public var reward: LexiconReward
    public var tokenizer: Tokenizer
    public var name: String { "lexicon" }

    public init(lexiconFile: URL, tokenizer: Tokenizer) throws {
        do { reward = try LexiconReward(lexiconFile: lexiconFile) } catch { throw RewardError("\(lexiconFile.path): \(error)") }
        self.tokenizer = tokenizer
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        completions.map { c in reward.score(tokenIDs: c.ids, tokenizer: tokenizer).tokenRewards.map { Float($0) } }
    }
}
