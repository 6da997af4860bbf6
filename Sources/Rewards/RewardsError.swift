// Typed errors for the reward assets (lexicon, word lists, corpora). Every case names the file and,
// for a malformed line, its 1-based number and what was expected there, so a corrupted download is
// found without opening a debugger.
import Foundation

/// An error reading a reward asset.
public enum RewardsError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be read (missing, unreadable).
    case cannotRead(file: String, reason: String)
    /// The file is not valid UTF-8.
    case notUTF8(file: String)
    /// A line does not have the expected shape.
    case malformedLine(file: String, line: Int, expected: String, found: String)
    /// The file has no usable entries.
    case empty(file: String, expected: String)
    /// A corpus directory has no file matching the pattern.
    case noCorpusFiles(directory: String, pattern: String)
    /// An argument outside what the call accepts (says which and why).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason):
            return "\(file): cannot read (\(reason))"
        case let .notUTF8(file):
            return "\(file): not valid UTF-8"
        case let .malformedLine(file, line, expected, found):
            return "\(file):\(line): expected \(expected), found \(found)"
        case let .empty(file, expected):
            return "\(file): no entries (expected \(expected))"
        case let .noCorpusFiles(directory, pattern):
            return "\(directory): no files matching \(pattern)"
        case let .invalidArgument(message):
            return message
        }
    }
}

/// Reads a UTF-8 text file, mapping failures to `RewardsError`.
func readUTF8File(_ url: URL) throws(RewardsError) -> String {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw .cannotRead(file: url.path, reason: "\(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8(file: url.path) }
    return text
}
