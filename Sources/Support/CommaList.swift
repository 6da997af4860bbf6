// Comma-separated values ("--seeds 0,1,2", "--tasks add,sort", "--reward overlong:6,2"): one
// parser for every command and every registry argument.
import Foundation

public enum CommaList {
    /// The entries, trimmed of surrounding whitespace.
    public static func strings(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The entries as integers, or nil when the list is empty or any entry is not an integer of `T`.
    public static func integers<T: FixedWidthInteger>(_ text: String, as _: T.Type = T.self) -> [T]? {
        let parsed = strings(text).map { T($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
        return parsed.compactMap { $0 }
    }
}
