// Responses to score, for `tokenalign credit`: each row a prompt and a response, as text (`prompt`
// and `response`, or TRL's `completion`) or as token ids (`prompt_ids` and `response_ids`, as
// `tokenalign generate` and the RL trainers write them). Ids are checked against the tokenizer's
// range so that no model reads outside its embedding table.
import Foundation
import Tokenizers

/// One response to score, tokenised.
public struct ResponseRow: Sendable {
    public var location: RowLocation
    public var id: String?
    public var promptIDs: [Int]
    public var responseIDs: [Int]
}

public enum ResponseRows {
    /// - Throws: `DatasetError` naming the line and field: neither text nor ids, ids outside the
    ///   tokenizer's range, a response with no tokens.
    public static func read(_ path: String, tokenizer: Tokenizer, addSpecialTokens: Bool = false) throws -> [ResponseRow] {
        let rows = try JSONLReader.read(path)
        guard !rows.isEmpty else { throw DatasetError.empty(file: path) }
        return try rows.map { try parse($0, tokenizer: tokenizer, addSpecialTokens: addSpecialTokens) }
    }

    public static func parse(_ row: JSONLRow, tokenizer: Tokenizer, addSpecialTokens: Bool = false) throws -> ResponseRow {
        let o = row.object, at = row.location
        let id = try CreditAnnotations.optionalString(o, "id", at)
        let prompt: [Int], response: [Int]
        if o["response_ids"] != nil {
            prompt = o["prompt_ids"] == nil ? [] : try ids(o, "prompt_ids", at, limit: tokenizer.vocabularySize)
            response = try ids(o, "response_ids", at, limit: tokenizer.vocabularySize)
        } else if let key = ["response", "completion"].first(where: { o[$0] != nil }) {
            let text = try CreditAnnotations.string(o, key, at)
            let p = o["prompt"] == nil ? "" : try CreditAnnotations.string(o, "prompt", at, allowEmpty: true)
            prompt = tokenizer.encode(p, addSpecialTokens: addSpecialTokens)
            response = tokenizer.encode(text)
        } else {
            throw DatasetError.missingField(at, field: "response (or completion, or response_ids)")
        }
        guard !response.isEmpty else { throw DatasetError.invalidValue(at, field: "response", reason: "no tokens") }
        return ResponseRow(location: at, id: id, promptIDs: prompt, responseIDs: response)
    }

    static func ids(_ o: [String: Any], _ key: String, _ at: RowLocation, limit: Int) throws -> [Int] {
        guard let a = o[key] as? [Any] else { throw DatasetError.wrongType(at, field: key, expected: "a list of token ids") }
        return try a.enumerated().map { k, v in
            guard let n = v as? NSNumber, !isJSONBoolean(n), let i = Int(exactly: n.doubleValue) else {
                throw DatasetError.wrongType(at, field: "\(key)[\(k)]", expected: "an integer token id")
            }
            guard i >= 0 && i < limit else {
                throw DatasetError.invalidValue(at, field: "\(key)[\(k)]", reason: "id \(i) is outside the tokenizer's 0…\(limit - 1)")
            }
            return i
        }
    }
}
