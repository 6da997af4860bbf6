// First-error annotations a user brings, for `tokenalign eval credit` (docs/design/credit-eval.md).
// Two layouts, told apart by their keys:
//  - ProcessBench's (arXiv 2412.06559): `problem`, `steps` (a list of strings), `label` = the index
//    of the first wrong step or −1. The text a scorer reads is rendered as ProcessBench's PRM
//    evaluation does: the problem and every step each followed by "\n".
//  - a character-span layout: `prompt`, `response`, `first_error_char` = the index (in Unicode code
//    points, as a Python `str` counts) of the first wrong character of the response, or −1 / null
//    when the response is right.
// Both may carry `subset` (ProcessBench's split: gsm8k, math, …) and `id`.
// Tokenisation happens here too, so that every check that needs token positions (an error inside the
// response's tokens, a step that holds at least one token) names the line before anything is scored.
import Foundation
import Tokenizers

/// One annotated response, tokenised: what `eval credit` scores.
public struct AnnotatedResponse: Sendable {
    public var location: RowLocation
    public var id: String?
    public var subset: String
    public var promptIDs: [Int]
    public var responseIDs: [Int]
    /// For each response token, its step (ProcessBench layout; nil for the span layout).
    public var tokenSteps: [Int]?
    /// Number of steps (ProcessBench layout).
    public var stepCount: Int?
    /// ProcessBench's label: the first wrong step, −1 when all are right (nil for the span layout).
    public var firstErrorStep: Int?
    /// The response token that holds the first wrong character (span layout), or the first token of
    /// the first wrong step (ProcessBench layout); nil when the response is right.
    public var firstErrorToken: Int?
}

public enum CreditAnnotations {
    /// Reads and tokenises every row of `path`.
    /// - Throws: `DatasetError` naming the line and the field: missing or mistyped fields, a label
    ///   outside the steps, an error offset past the response, a response or step with no tokens.
    public static func read(_ path: String, tokenizer: Tokenizer, addSpecialTokens: Bool = false) throws -> [AnnotatedResponse] {
        let rows = try JSONLReader.read(path)
        guard !rows.isEmpty else { throw DatasetError.empty(file: path) }
        return try rows.map { try parse($0, tokenizer: tokenizer, addSpecialTokens: addSpecialTokens) }
    }

    public static func parse(_ row: JSONLRow, tokenizer: Tokenizer, addSpecialTokens: Bool = false) throws -> AnnotatedResponse {
        let o = row.object, at = row.location
        let subset = try optionalString(o, "subset", at) ?? "all"
        let id = try optionalString(o, "id", at)
        if o["steps"] != nil || o["problem"] != nil {
            return try processBench(o, at: at, subset: subset, id: id, tokenizer: tokenizer, addSpecialTokens: addSpecialTokens)
        }
        if o["response"] != nil || o["first_error_char"] != nil {
            return try span(o, at: at, subset: subset, id: id, tokenizer: tokenizer, addSpecialTokens: addSpecialTokens)
        }
        throw DatasetError.unknownFormat(at, keys: o.keys.sorted())
    }

    static func processBench(_ o: [String: Any], at: RowLocation, subset: String, id: String?, tokenizer: Tokenizer,
                             addSpecialTokens: Bool) throws -> AnnotatedResponse {
        let problem = try string(o, "problem", at)
        guard let raw = o["steps"] else { throw DatasetError.missingField(at, field: "steps") }
        guard let steps = raw as? [String] else { throw DatasetError.wrongType(at, field: "steps", expected: "a list of strings") }
        guard !steps.isEmpty else { throw DatasetError.invalidValue(at, field: "steps", reason: "no steps") }
        let label = try integer(o, "label", at)
        guard label >= -1 && label < steps.count else {
            throw DatasetError.invalidValue(at, field: "label", reason: "\(label) is outside −1…\(steps.count - 1) (\(steps.count) steps)")
        }
        let prompt = tokenizer.encode(problem + "\n", addSpecialTokens: addSpecialTokens)
        // Each step tokenised on its own, as ProcessBench's PRM evaluation does, so that a token never
        // straddles two steps.
        var response: [Int] = [], tokenSteps: [Int] = [], firstOfStep: [Int] = []
        for (k, s) in steps.enumerated() {
            let ids = tokenizer.encode(s + "\n")
            firstOfStep.append(response.count)
            response += ids
            tokenSteps += Array(repeating: k, count: ids.count)
        }
        return AnnotatedResponse(location: at, id: id, subset: subset, promptIDs: prompt, responseIDs: response, tokenSteps: tokenSteps,
                                 stepCount: steps.count, firstErrorStep: label, firstErrorToken: label >= 0 ? firstOfStep[label] : nil)
    }

    static func span(_ o: [String: Any], at: RowLocation, subset: String, id: String?, tokenizer: Tokenizer,
                     addSpecialTokens: Bool) throws -> AnnotatedResponse {
        let prompt = try string(o, "prompt", at, allowEmpty: true)
        let response = try string(o, "response", at)
        var errorChar = -1
        if let v = o["first_error_char"], !(v is NSNull) { errorChar = try integer(o, "first_error_char", at) }
        let scalars = Array(response.unicodeScalars)
        guard errorChar >= -1 && errorChar < scalars.count else {
            throw DatasetError.invalidValue(at, field: "first_error_char",
                                            reason: "\(errorChar) is past the response (\(scalars.count) characters; −1 or null for a right response)")
        }
        let enc = tokenizer.encodeWithOffsets(response)
        guard !enc.ids.isEmpty else { throw DatasetError.invalidValue(at, field: "response", reason: "encodes to no tokens") }
        var errorToken: Int?
        if errorChar >= 0 {
            // Code-point index → UTF-8 byte offset → the token whose bytes hold it.
            let byte = scalars[..<errorChar].reduce(0) { $0 + String($1).utf8.count }
            errorToken = enc.offsets.firstIndex { $0.contains(byte) }
                ?? enc.offsets.firstIndex { $0.lowerBound >= byte }
            guard errorToken != nil else {
                throw DatasetError.invalidValue(at, field: "first_error_char", reason: "character \(errorChar) falls in no response token")
            }
        }
        return AnnotatedResponse(location: at, id: id, subset: subset, promptIDs: tokenizer.encode(prompt, addSpecialTokens: addSpecialTokens),
                                 responseIDs: enc.ids, tokenSteps: nil, stepCount: nil, firstErrorStep: nil, firstErrorToken: errorToken)
    }

    static func string(_ o: [String: Any], _ key: String, _ at: RowLocation, allowEmpty: Bool = false) throws -> String {
        guard let v = o[key] else { throw DatasetError.missingField(at, field: key) }
        guard let s = v as? String else { throw DatasetError.wrongType(at, field: key, expected: "a string") }
        guard allowEmpty || !s.isEmpty else { throw DatasetError.invalidValue(at, field: key, reason: "empty") }
        return s
    }

    static func optionalString(_ o: [String: Any], _ key: String, _ at: RowLocation) throws -> String? {
        guard let v = o[key], !(v is NSNull) else { return nil }
        if let s = v as? String { return s }
        if let n = v as? NSNumber, !isJSONBoolean(n) { return n.stringValue }
        throw DatasetError.wrongType(at, field: key, expected: "a string")
    }

    static func integer(_ o: [String: Any], _ key: String, _ at: RowLocation) throws -> Int {
        guard let v = o[key] else { throw DatasetError.missingField(at, field: key) }
        guard let n = v as? NSNumber, !isJSONBoolean(n), let i = Int(exactly: n.doubleValue) else {
            throw DatasetError.wrongType(at, field: key, expected: "an integer")
        }
        return i
    }
}
