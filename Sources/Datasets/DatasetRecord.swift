// One row of a TRL-format dataset, recognised by its keys (`huggingface/trl:trl/data_utils.py`,
// `docs/source/dataset_formats.md`), plus TokenAlign's token annotations.
import Foundation

/// A marked error span in a rejected response: character offsets into the response text.
public struct ErrorSpan: Sendable, Equatable {
    /// First character (0-based, Unicode scalar... characters of the response string).
    public var start: Int
    /// One past the last character.
    public var end: Int
    /// Label weight: "minor" 0.5, "major" 1, "critical" 1.
    public var severity: Float

    public init(start: Int, end: Int, severity: Float = 1) {
        self.start = start
        self.end = end
        self.severity = severity
    }

    /// The weight of each named severity.
    public static let severities: [String: Float] = ["minor": 0.5, "major": 1, "critical": 1]
}

/// Our per-token annotations of a preference row (docs/design/README.md, "Data formats").
public struct TokenAnnotations: Sendable, Equatable {
    /// One reward per response token of the chosen response.
    public var chosenTokenRewards: [Float]?
    /// One reward per response token of the rejected response.
    public var rejectedTokenRewards: [Float]?
    /// Error spans in the rejected response.
    public var rejectedErrorSpans: [ErrorSpan]?
    /// The response token ids the token annotations were made for (`chosen_token_ids`,
    /// `rejected_token_ids`, as `tokenalign data edit-labels` writes them): encoding checks that
    /// its tokenizer produces the same ids, so labels made with another tokenizer are refused
    /// instead of landing on the wrong tokens.
    public var chosenTokenIDs: [Int]?
    public var rejectedTokenIDs: [Int]?

    public init(chosenTokenRewards: [Float]? = nil, rejectedTokenRewards: [Float]? = nil, rejectedErrorSpans: [ErrorSpan]? = nil,
                chosenTokenIDs: [Int]? = nil, rejectedTokenIDs: [Int]? = nil) {
        self.chosenTokenRewards = chosenTokenRewards
        self.rejectedTokenRewards = rejectedTokenRewards
        self.rejectedErrorSpans = rejectedErrorSpans
        self.chosenTokenIDs = chosenTokenIDs
        self.rejectedTokenIDs = rejectedTokenIDs
    }

    public var isEmpty: Bool { chosenTokenRewards == nil && rejectedTokenRewards == nil && rejectedErrorSpans == nil }
}

/// The TRL dataset types.
public enum DatasetRecord: Sendable, Equatable {
    /// `{"text"}` or `{"messages"}`.
    case languageModeling(Turns)
    /// `{"prompt", "completion"}`.
    case promptCompletion(prompt: Turns, completion: Turns)
    /// `{"prompt", "chosen", "rejected"}`, or implicit prompt `{"chosen", "rejected"}` (prompt nil);
    /// optional `"margin"` and `"tie"` (reward trainer: a tie's target is P(chosen ≻ rejected) = ½,
    /// RRM's neutral pairs, arXiv 2409.13156).
    case preference(prompt: Turns?, chosen: Turns, rejected: Turns, margin: Float?, annotations: TokenAnnotations, tie: Bool = false)
    /// `{"prompt", "completion", "label"}` (KTO, BCO).
    case unpaired(prompt: Turns, completion: Turns, label: Bool)
    /// `{"prompt", "completions": [...], "labels": [...]}` (process reward models), standard only.
    case stepwise(prompt: String, completions: [String], labels: [Bool])

    /// The TRL name of the type, for messages.
    public var kind: String {
        switch self {
        case .languageModeling: "language-modeling"
        case .promptCompletion: "prompt-completion"
        case .preference: "preference"
        case .unpaired: "unpaired-preference"
        case .stepwise: "stepwise-supervision"
        }
    }

    /// Recognises and validates one JSON row.
    public init(_ object: [String: Any], at location: RowLocation) throws {
        let keys = Set(object.keys)
        if keys.contains("chosen") || keys.contains("rejected") {
            guard keys.contains("chosen") else { throw DatasetError.missingField(location, field: "chosen") }
            guard keys.contains("rejected") else { throw DatasetError.missingField(location, field: "rejected") }
            let chosen = try Turns.decode(object["chosen"], field: "chosen", at: location)
            let rejected = try Turns.decode(object["rejected"], field: "rejected", at: location)
            let prompt = try object["prompt"].map { try Turns.decode($0, field: "prompt", at: location) }
            if let prompt, prompt.isConversational != chosen.isConversational {
                throw DatasetError.wrongType(location, field: "chosen", expected: prompt.isConversational ? "a message list, like 'prompt'" : "a string, like 'prompt'")
            }
            guard chosen.isConversational == rejected.isConversational else {
                throw DatasetError.wrongType(location, field: "rejected", expected: chosen.isConversational ? "a message list, like 'chosen'" : "a string, like 'chosen'")
            }
            var margin: Float?
            if let m = object["margin"] {
                guard let n = m as? NSNumber, !isJSONBoolean(n) else { throw DatasetError.wrongType(location, field: "margin", expected: "a number") }
                margin = n.floatValue
            }
            var tie = false
            if let t = object["tie"] {
                guard let n = t as? NSNumber, isJSONBoolean(n) else { throw DatasetError.wrongType(location, field: "tie", expected: "true or false") }
                tie = n.boolValue
                // A tie's target is P = ½ whatever the responses' order; a margin would say by how much one wins.
                if tie, margin != nil { throw DatasetError.invalidValue(location, field: "margin", reason: "a tie row (\"tie\": true) has no margin") }
            }
            let annotations = try TokenAnnotations(object, at: location)
            self = .preference(prompt: prompt, chosen: chosen, rejected: rejected, margin: margin, annotations: annotations, tie: tie)
        } else if keys.contains("completions") || keys.contains("labels") {
            guard let promptValue = object["prompt"] else { throw DatasetError.missingField(location, field: "prompt") }
            guard let prompt = promptValue as? String else {
                throw DatasetError.wrongType(location, field: "prompt", expected: "a string (stepwise supervision is standard-format only)")
            }
            guard let c = object["completions"] else { throw DatasetError.missingField(location, field: "completions") }
            guard let completions = c as? [String] else { throw DatasetError.wrongType(location, field: "completions", expected: "a list of strings") }
            guard let l = object["labels"] else { throw DatasetError.missingField(location, field: "labels") }
            guard let labels = Self.bools(l) else { throw DatasetError.wrongType(location, field: "labels", expected: "a list of booleans") }
            guard labels.count == completions.count else {
                throw DatasetError.lengthMismatch(location, field: "labels", expected: completions.count, actual: labels.count)
            }
            guard !completions.isEmpty else { throw DatasetError.invalidValue(location, field: "completions", reason: "no steps") }
            self = .stepwise(prompt: prompt, completions: completions, labels: labels)
        } else if keys.contains("label") {
            let prompt = try Turns.decode(object["prompt"], field: "prompt", at: location)
            let completion = try Turns.decode(object["completion"], field: "completion", at: location)
            guard let label = object["label"].flatMap({ Self.bools([$0]) })?.first else {
                throw DatasetError.wrongType(location, field: "label", expected: "a boolean")
            }
            self = .unpaired(prompt: prompt, completion: completion, label: label)
        } else if keys.contains("completion") {
            let prompt = try Turns.decode(object["prompt"], field: "prompt", at: location)
            let completion = try Turns.decode(object["completion"], field: "completion", at: location)
            guard prompt.isConversational == completion.isConversational else {
                throw DatasetError.wrongType(location, field: "completion", expected: prompt.isConversational ? "a message list, like 'prompt'" : "a string, like 'prompt'")
            }
            self = .promptCompletion(prompt: prompt, completion: completion)
        } else if keys.contains("text") {
            guard let s = object["text"] as? String else { throw DatasetError.wrongType(location, field: "text", expected: "a string") }
            self = .languageModeling(.text(s))
        } else if keys.contains("messages") {
            self = .languageModeling(try Turns.decode(object["messages"], field: "messages", at: location))
        } else {
            throw DatasetError.unknownFormat(location, keys: Array(keys))
        }
    }

    /// JSON booleans (NSNumber bridged from true/false), not numbers.
    static func bools(_ value: Any) -> [Bool]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Bool] = []
        for v in list {
            guard let n = v as? NSNumber, isJSONBoolean(n) else { return nil }
            out.append(n.boolValue)
        }
        return out
    }
}

extension TokenAnnotations {
    /// Decodes `chosen_token_rewards`, `rejected_token_rewards`, `rejected_error_spans` and the
    /// `chosen_token_ids` / `rejected_token_ids` they were made for.
    init(_ object: [String: Any], at location: RowLocation) throws {
        func floats(_ field: String) throws -> [Float]? {
            guard let v = object[field] else { return nil }
            guard let list = v as? [Any] else { throw DatasetError.wrongType(location, field: field, expected: "a list of numbers") }
            var out: [Float] = []
            out.reserveCapacity(list.count)
            for (i, x) in list.enumerated() {
                guard let n = x as? NSNumber, !isJSONBoolean(n) else {
                    throw DatasetError.wrongType(location, field: "\(field)[\(i)]", expected: "a number")
                }
                let f = n.floatValue
                guard f.isFinite else { throw DatasetError.invalidValue(location, field: "\(field)[\(i)]", reason: "not finite") }
                out.append(f)
            }
            return out
        }
        chosenTokenRewards = try floats("chosen_token_rewards")
        rejectedTokenRewards = try floats("rejected_token_rewards")
        func ids(_ field: String) throws -> [Int]? {
            guard let v = object[field] else { return nil }
            guard let list = v as? [Any] else { throw DatasetError.wrongType(location, field: field, expected: "a list of token ids") }
            return try list.enumerated().map { i, x in
                guard let n = x as? NSNumber, !isJSONBoolean(n), let id = Int(exactly: n.doubleValue), id >= 0 else {
                    throw DatasetError.wrongType(location, field: "\(field)[\(i)]", expected: "a non-negative integer token id")
                }
                return id
            }
        }
        chosenTokenIDs = try ids("chosen_token_ids")
        rejectedTokenIDs = try ids("rejected_token_ids")
        if let v = object["rejected_error_spans"] {
            guard let list = v as? [Any] else {
                throw DatasetError.wrongType(location, field: "rejected_error_spans", expected: "a list of {\"start\", \"end\", \"severity\"} objects")
            }
            var spans: [ErrorSpan] = []
            for (i, item) in list.enumerated() {
                let path = "rejected_error_spans[\(i)]"
                guard let o = item as? [String: Any] else { throw DatasetError.wrongType(location, field: path, expected: "an object") }
                func int(_ key: String) throws -> Int {
                    guard let raw = o[key] else { throw DatasetError.missingField(location, field: "\(path).\(key)") }
                    guard let n = raw as? NSNumber, !isJSONBoolean(n), n.doubleValue == n.doubleValue.rounded() else {
                        throw DatasetError.wrongType(location, field: "\(path).\(key)", expected: "an integer character offset")
                    }
                    return n.intValue
                }
                let start = try int("start"), end = try int("end")
                guard start >= 0, end > start else {
                    throw DatasetError.invalidValue(location, field: path, reason: "needs 0 ≤ start < end, got \(start)..<\(end)")
                }
                var severity: Float = 1
                if let s = o["severity"] {
                    guard let name = s as? String, let w = ErrorSpan.severities[name] else {
                        throw DatasetError.invalidValue(location, field: "\(path).severity", reason: "expected one of \(ErrorSpan.severities.keys.sorted())")
                    }
                    severity = w
                }
                spans.append(ErrorSpan(start: start, end: end, severity: severity))
            }
            rejectedErrorSpans = spans
        }
    }
}

/// Whether a number of a decoded row (`JSONValue.foundationObject`) was a JSON `true`/`false` (not 0/1).
public func isJSONBoolean(_ n: NSNumber) -> Bool {
    let t = String(cString: n.objCType)
    return t == "c" || t == "B"
}
