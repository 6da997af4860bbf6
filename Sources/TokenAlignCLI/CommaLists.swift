// Comma-separated option values ("--seeds 0,1,2", "--tasks add,sort"): one parser for every command.
import Foundation

enum CommaList {
    /// The entries, trimmed of surrounding whitespace.
    static func strings(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The entries as integers, or nil when the list is empty or any entry is not an integer of `T`.
    static func integers<T: FixedWidthInteger>(_ text: String, as _: T.Type = T.self) -> [T]? {
        let parsed = strings(text).map { T($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
        return parsed.compactMap { $0 }
    }
}
