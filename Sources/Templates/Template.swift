// A parsed Jinja template and its public entry point. The engine implements the subset of Jinja
// that Hugging Face chat templates use (see docs/design/chat-templates.md); everything else is
// refused with the construct and its line. Rendering is bounded in output size, steps and call depth.
import Foundation

/// Bounds and inputs of one render.
public struct RenderOptions: Sendable {
    /// What `strftime_now` formats (UTC). Fixed dates make renders reproducible.
    public var now: Date
    /// The rendered text may not exceed this many UTF-8 bytes.
    public var maxOutputBytes: Int
    /// Statements executed plus loop iterations, over the whole render.
    public var maxSteps: Int
    /// Nesting of macro calls.
    public var maxCallDepth: Int

    public init(now: Date = Date(), maxOutputBytes: Int = 16 << 20, maxSteps: Int = 2_000_000, maxCallDepth: Int = 64) {
        self.now = now
        self.maxOutputBytes = maxOutputBytes
        self.maxSteps = maxSteps
        self.maxCallDepth = maxCallDepth
    }
}

/// A compiled template.
public struct Template: Sendable {
    let nodes: [Node]

    /// Parses `source`.
    /// - Throws: `TemplateError` (`.syntax` or `.unsupported`) naming the line of the offending construct.
    public init(_ source: String) throws {
        var lexer = TemplateLexer(source: source)
        var parser = TemplateParser(pieces: try lexer.pieces())
        nodes = try parser.parseTemplate()
    }

    /// Renders with the variables in `context` (e.g. `messages`, `add_generation_prompt`, `bos_token`).
    /// - Throws: `TemplateError` for `raise_exception`, runtime type errors, unsupported filters or
    ///   methods met while rendering, and exceeded bounds.
    public func render(_ context: [String: TemplateValue], options: RenderOptions = RenderOptions()) throws -> String {
        var renderer = TemplateRenderer(globals: context, options: options)
        var out = ""
        _ = try renderer.execute(nodes, into: &out)
        return out
    }
}
