// Errors caused by the contents of tokenizer files, GGUF metadata or caller-supplied data.
// House rule 6: data errors are typed and carry the file and the JSON path; programmer errors are
// preconditions. Nothing in this module calls `fatalError` on file contents.
import Foundation

/// An error in a tokenizer file, in GGUF tokenizer metadata, or in data handed to the tokenizer.
///
/// `file` names the source (`"tokenizer.json"`, a full path, or `"GGUF metadata"`), and `path` is a
/// JSON path inside it such as `model.merges[12]` or `pre_tokenizer.pretokenizers[0].pattern`.
public enum TokenizerError: Error, Sendable, Equatable {
    /// The file could not be read at all.
    case unreadableFile(file: String, reason: String)
    /// The bytes are not valid JSON (`path` gives the byte offset, line and column).
    case malformedJSON(file: String, path: String, reason: String)
    /// A required field is absent.
    case missingField(file: String, path: String)
    /// A field is present but has the wrong type or an impossible value.
    case invalidValue(file: String, path: String, reason: String)
    /// A valid but unsupported component, e.g. a `BertNormalizer` or a `WordPiece` model.
    case unsupported(file: String, path: String, feature: String)
    /// A token named by the file (a merge part, a template's special token…) is not in the vocabulary.
    case unknownToken(file: String, path: String, token: String)
    /// A chat template that is not valid Jinja or uses a construct outside the supported subset
    /// (`reason` names the construct and its line).
    case unsupportedChatTemplate(source: String, reason: String)
    /// A chat template that failed while rendering: its `raise_exception` (e.g. roles that do not
    /// alternate), a read through an undefined value, or an exceeded bound.
    case chatTemplateFailed(source: String, reason: String)
    /// Caller-supplied data that cannot be used (e.g. a trainer vocabulary smaller than its alphabet).
    case invalidArgument(String)
}

extension TokenizerError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            return "\(file): cannot read file: \(reason)"
        case let .malformedJSON(file, path, reason):
            return "\(file): malformed JSON at \(path): \(reason)"
        case let .missingField(file, path):
            return "\(file): missing required field \(path)"
        case let .invalidValue(file, path, reason):
            return "\(file): invalid value at \(path): \(reason)"
        case let .unsupported(file, path, feature):
            return "\(file): unsupported \(feature) at \(path)"
        case let .unknownToken(file, path, token):
            return "\(file): token \(token.debugDescription) at \(path) is not in the vocabulary"
        case let .unsupportedChatTemplate(source, reason):
            return "\(source): unsupported chat template: \(reason)"
        case let .chatTemplateFailed(source, reason):
            return "\(source): chat template failed: \(reason)"
        case let .invalidArgument(message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
