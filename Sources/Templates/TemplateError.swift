// Errors of the template engine. Every error names the template line it comes from, so a refused
// chat template says which construct, where.
import Foundation

/// Why a template could not be parsed or rendered.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text is not valid Jinja.
        case syntax
        /// Valid Jinja outside the subset this engine implements (a tag, filter, test, method…).
        case unsupported
        /// The template called `raise_exception(message)`.
        case raised
        /// A runtime error: a type mismatch, an undefined member read, a bad argument.
        case runtime
        /// A resource bound was hit (output size, recursion depth, loop steps).
        case limit
    }

    public var kind: Kind
    /// 1-based line of the template where the construct starts.
    public var line: Int
    public var message: String

    public init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    public var description: String {
        switch kind {
        case .syntax: return "template line \(line): syntax error: \(message)"
        case .unsupported: return "template line \(line): unsupported construct: \(message)"
        case .raised: return "template line \(line): raise_exception: \(message)"
        case .runtime: return "template line \(line): \(message)"
        case .limit: return "template line \(line): limit exceeded: \(message)"
        }
    }
}

/// An error raised while evaluating, before the evaluator attaches the line of the node it was in.
enum TemplateFailure: Error {
    case type(String)
    case unsupported(String)
    case raised(String)
    case limit(String)

    func at(_ line: Int) -> TemplateError {
        switch self {
        case let .type(message): return TemplateError(.runtime, line: line, message)
        case let .unsupported(message): return TemplateError(.unsupported, line: line, message)
        case let .raised(message): return TemplateError(.raised, line: line, message)
        case let .limit(message): return TemplateError(.limit, line: line, message)
        }
    }
}
