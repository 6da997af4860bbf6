// Minimal-edit token labels ("Aligning Large Language Models via Fine-grained Supervision",
// arXiv 2406.02756): a rejected response y_l and its minimally edited version y_l′ are aligned token
// by token with a Levenshtein backtrace (Support's `LevenshteinAlignment`, tie rule there); tokens of
// y_l the edit deletes or replaces are labelled −1, tokens of y_l′ the edit inserts or writes as
// replacements +1, unchanged tokens 0 (neutral). The labels are written as the pair's
// `rejected_token_rewards` / `chosen_token_rewards` (chosen = y_l′), which the `token` reward-model
// kind (and `minimal-edit`) regress onto, together with the token ids they were made for, so that a
// model with another tokenizer refuses the rows instead of training on misplaced labels.
//
// The ids are the completion tokens exactly as training encodes the pair (the prompt and the two
// completions rendered together, the completion starting where prompt and prompt+completion
// diverge — `DatasetEncoder.encodePreference`), without an appended EOS: training with or without
// `--append-eos` accepts rewards that leave the EOS out.
import Support
import Tokenizers

/// The labels of one rejected response and its edit.
public struct MinimalEditLabelling: Equatable, Sendable {
    public var rejectedIDs: [Int]
    public var editedIDs: [Int]
    /// Per rejected token: −1 deleted or replaced by the edit, 0 kept.
    public var rejectedLabels: [Float]
    /// Per edited token: +1 inserted or a replacement, 0 kept.
    public var editedLabels: [Float]
    /// The Levenshtein distance between the two token sequences.
    public var distance: Int
}

public enum MinimalEditLabels {
    public static let negative: Float = -1
    public static let positive: Float = 1
    public static let neutral: Float = 0

    /// Labels of two token sequences from their minimum-edit alignment.
    /// - Throws: `AlignmentTooLarge` when the table would exceed `cellLimit` cells.
    public static func labels(rejected: [Int], edited: [Int], cellLimit: Int = LevenshteinAlignment.defaultCellLimit) throws(AlignmentTooLarge)
        -> MinimalEditLabelling {
        let ops = try LevenshteinAlignment.align(rejected, edited, cellLimit: cellLimit)
        var r = [Float](repeating: neutral, count: rejected.count), e = [Float](repeating: neutral, count: edited.count)
        var i = 0, j = 0
        for op in ops {
            switch op {
            case .match: i += 1; j += 1
            case .substitute: r[i] = negative; e[j] = positive; i += 1; j += 1
            case .delete: r[i] = negative; i += 1
            case .insert: e[j] = positive; j += 1
            }
        }
        return MinimalEditLabelling(rejectedIDs: rejected, editedIDs: edited, rejectedLabels: r, editedLabels: e, distance: LevenshteinAlignment.cost(ops))
    }

    /// The labelled pair row for a prompt, a rejected response and its edit, tokenised as training
    /// tokenises the pair with `tokenizer` (standard rows, no EOS appended, no truncation).
    /// - Throws: `DatasetError` naming `location` and `editedField`: an edit equal to the response,
    ///   a response with no tokens, a pair too long to align.
    public static func row(prompt: String, rejected: String, edited: String, editedField: String, tokenizer: Tokenizer,
                           at location: RowLocation) throws -> [String: Any] {
        guard edited != rejected else {
            throw DatasetError.invalidValue(location, field: editedField, reason: "equals the rejected response: there is no edit to label")
        }
        var options = EncodingOptions()
        options.appendEOS = false
        options.maxLength = nil
        options.maxPromptLength = nil
        let pair = try DatasetEncoder(tokenizer: tokenizer, options: options)
            .encodePreference(.preference(prompt: .text(prompt), chosen: .text(edited), rejected: .text(rejected), margin: nil,
                                          annotations: TokenAnnotations()), at: location)
        let editedIDs = Array(pair.chosen.ids[pair.chosen.promptLength...])
        let rejectedIDs = Array(pair.rejected.ids[pair.rejected.promptLength...])
        let l: MinimalEditLabelling
        do { l = try labels(rejected: rejectedIDs, edited: editedIDs) } catch {
            throw DatasetError.invalidValue(location, field: editedField, reason: error.description)
        }
        return ["prompt": prompt, "chosen": edited, "rejected": rejected,
                "chosen_token_rewards": l.editedLabels.map(Double.init), "rejected_token_rewards": l.rejectedLabels.map(Double.init),
                "chosen_token_ids": editedIDs, "rejected_token_ids": rejectedIDs, "edit_distance_tokens": l.distance]
    }

    /// The labelled rows of a pairs file whose `editedColumn` holds each rejected response's
    /// minimal edit (`prompt` and `rejected` are strings; other columns are dropped, `task` kept).
    /// - Throws: `DatasetError` naming the line and the column that is missing or not a string.
    public static func rows(path: String, editedColumn: String, tokenizer: Tokenizer) throws -> [[String: Any]] {
        let rows = try JSONLReader.read(path)
        guard !rows.isEmpty else { throw DatasetError.empty(file: path) }
        return try labelled(rows.map { ($0.location, $0.object) }, editedColumn: editedColumn, tokenizer: tokenizer)
    }

    /// The labelled rows of pair objects, each with where it came from (see `rows(path:…)`).
    public static func labelled(_ rows: [(location: RowLocation, object: [String: Any])], editedColumn: String,
                                tokenizer: Tokenizer) throws -> [[String: Any]] {
        try rows.map { r in
            func text(_ key: String) throws -> String {
                guard let v = r.object[key] else { throw DatasetError.missingField(r.location, field: key) }
                guard let s = v as? String else { throw DatasetError.wrongType(r.location, field: key, expected: "a string (standard, not conversational, rows)") }
                return s
            }
            var out = try row(prompt: text("prompt"), rejected: text("rejected"), edited: text(editedColumn), editedField: editedColumn,
                              tokenizer: tokenizer, at: r.location)
            if let task = r.object["task"] { out["task"] = task }
            return out
        }
    }
}
