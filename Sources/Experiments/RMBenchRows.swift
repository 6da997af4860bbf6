// Rows of a reward-model benchmark in the RewardBench JSONL layout: `prompt`, `chosen`, `rejected`
// (a string or a list of strings), `subset` (RM-Bench's `domain` is accepted in its place), and an
// optional `id` (RewardBench 2's Ties subset needs `ref:K` / `tied:K`). Errors name the file, the
// line and the field.
import Datasets
import Foundation

/// Input problems of `tokenalign eval rm` and the scorers: bad settings (exit 64) or bad data (65).
public enum RMEvalError: Error, Equatable, CustomStringConvertible {
    case usage(String)
    case data(String)
    public var description: String {
        switch self {
        case .usage(let m), .data(let m): m
        }
    }
}

public struct RMBenchRow: Sendable, Equatable {
    public var location: RowLocation
    public var prompt: String
    /// The correct responses first (one for RewardBench v1 and most of v2; several for Ties and RM-Bench).
    public var chosen: [String]
    public var rejected: [String]
    public var subset: String
    public var id: String?

    public init(location: RowLocation, prompt: String, chosen: [String], rejected: [String], subset: String, id: String? = nil) {
        self.location = location
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.subset = subset
        self.id = id
    }

    /// Parses one JSON object. `subset` or `domain` is required.
    public init(_ object: [String: Any], at location: RowLocation) throws {
        func strings(_ field: String) throws -> [String] {
            guard let v = object[field] else { throw DatasetError.missingField(location, field: field) }
            if let s = v as? String { return [s] }
            guard let list = v as? [Any], !list.isEmpty else {
                throw DatasetError.wrongType(location, field: field, expected: "a string or a non-empty list of strings")
            }
            return try list.enumerated().map { k, item in
                guard let s = item as? String else { throw DatasetError.wrongType(location, field: "\(field)[\(k)]", expected: "a string") }
                return s
            }
        }
        guard let p = object["prompt"] else { throw DatasetError.missingField(location, field: "prompt") }
        guard let prompt = p as? String else { throw DatasetError.wrongType(location, field: "prompt", expected: "a string") }
        let chosen = try strings("chosen"), rejected = try strings("rejected")
        let subsetField = object["subset"] != nil ? "subset" : "domain"
        guard let s = object[subsetField] else { throw DatasetError.missingField(location, field: "subset") }
        guard let subset = s as? String else { throw DatasetError.wrongType(location, field: subsetField, expected: "a string") }
        var id: String?
        if let v = object["id"] {
            if let s = v as? String { id = s } else if let n = v as? NSNumber { id = n.stringValue } else {
                throw DatasetError.wrongType(location, field: "id", expected: "a string or a number")
            }
        }
        self.init(location: location, prompt: prompt, chosen: chosen, rejected: rejected, subset: subset, id: id)
    }

    /// Every row of a JSONL file (at least one).
    public static func read(_ path: String) throws -> [RMBenchRow] {
        let rows = try JSONLReader.read(path).map { try RMBenchRow($0.object, at: $0.location) }
        guard !rows.isEmpty else { throw DatasetError.empty(file: path) }
        return rows
    }
}
