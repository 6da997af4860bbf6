// Splits a template into text, `{{ output }}` and `{% statement %}` pieces with Jinja's whitespace
// rules as transformers configures them (trim_blocks and lstrip_blocks on, trailing newline of the
// template dropped), and tags into expression tokens.
import Foundation

/// One token inside a tag.
struct TemplateToken: Equatable {
    enum Kind: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ == != < > <= >= = ( ) [ ] { } , . : |`.
        case op(String)
    }

    var kind: Kind
    var line: Int
}

/// A piece of the template source.
enum TemplatePiece {
    case text(String, line: Int)
    case output([TemplateToken], line: Int)
    case statement([TemplateToken], line: Int)
}

struct TemplateLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1

    init(source: String) {
        // Jinja normalises newlines to "\n" and drops one trailing newline (keep_trailing_newline=False).
        var text = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if text.hasSuffix("\n") { text.removeLast() }
        scalars = Array(text.unicodeScalars)
    }

    /// All pieces, with whitespace control applied to the text pieces.
    mutating func pieces() throws -> [TemplatePiece] {
        var out: [TemplatePiece] = []
        var lstripNext = false  // the previous tag ended with `-%}`/`-}}`
        var lineStarting = true  // the current text starts at the beginning of a line
        while index < scalars.count {
            let textStart = index
            let textLine = line
            // Find the next tag opening.
            var open = index
            while open + 1 < scalars.count, !(scalars[open] == "{" && (scalars[open + 1] == "{" || scalars[open + 1] == "%" || scalars[open + 1] == "#")) {
                open += 1
            }
            if open + 1 >= scalars.count { open = scalars.count }
            var text = String(String.UnicodeScalarView(scalars[textStart ..< open]))
            advance(to: open)
            if lstripNext { text = String(text.drop(while: \.isPythonSpace)) }
            guard open < scalars.count else {
                if !text.isEmpty { out.append(.text(text, line: textLine)) }
                break
            }
            let kind = scalars[open + 1]
            var cursor = open + 2
            let stripBefore = cursor < scalars.count && scalars[cursor] == "-"
            let keepBefore = cursor < scalars.count && scalars[cursor] == "+"
            if stripBefore || keepBefore { cursor += 1 }
            if stripBefore {
                text = String(text.reversed().drop(while: \.isPythonSpace).reversed())
            } else if kind != "{", !keepBefore {
                // lstrip_blocks: spaces and tabs between a line start and a block or comment tag go.
                let lastNewline = text.lastIndex(of: "\n")
                let lineStart = lastNewline.map { text.index(after: $0) } ?? text.startIndex
                if lastNewline != nil || lineStarting {
                    let tail = text[lineStart...]
                    if !tail.isEmpty, tail.allSatisfy(\.isPythonSpace) { text = String(text[..<lineStart]) }
                }
            }
            if !text.isEmpty { out.append(.text(text, line: textLine)) }
            let tagLine = line
            advance(to: cursor)
            if kind == "#" {
                let (end, strip) = try findClose("#}", from: cursor, tagLine: tagLine)
                advance(to: end)
                lstripNext = strip
                lineStarting = trimNewline(after: strip)
                continue
            }
            var tokens: [TemplateToken] = []
            let closer: [Unicode.Scalar] = kind == "{" ? ["}", "}"] : ["%", "}"]
            var strip = false
            while true {
                skipSpaces()
                guard index < scalars.count else {
                    throw TemplateError(.syntax, line: tagLine, "unclosed \(kind == "{" ? "{{" : "{%") tag")
                }
                if scalars[index] == "-", index + 2 < scalars.count, scalars[index + 1] == closer[0], scalars[index + 2] == closer[1] {
                    strip = true
                    advance(to: index + 3)
                    break
                }
                if scalars[index] == closer[0], index + 1 < scalars.count, scalars[index + 1] == closer[1] {
                    // `}}` closes an output tag only when no `{` … `}` is open inside it.
                    let depth = tokens.reduce(0) { $0 + ($1.kind == .op("{") ? 1 : $1.kind == .op("}") ? -1 : 0) }
                    if kind == "%" || depth == 0 {
                        advance(to: index + 2)
                        break
                    }
                }
                tokens.append(try nextToken())
            }
            if kind == "{" {
                out.append(.output(tokens, line: tagLine))
                lstripNext = strip
                lineStarting = false
            } else {
                if tokens.first?.kind == .name("raw") {
                    throw TemplateError(.unsupported, line: tagLine, "{% raw %} blocks")
                }
                out.append(.statement(tokens, line: tagLine))
                lstripNext = strip
                lineStarting = trimNewline(after: strip)
            }
        }
        return out
    }

    /// trim_blocks: one newline right after a block or comment tag is removed. Returns whether the next text starts a line.
    private mutating func trimNewline(after strip: Bool) -> Bool {
        if strip { return index > 0 && scalars[index - 1] == "\n" }
        if index < scalars.count, scalars[index] == "\n" {
            advance(to: index + 1)
            return true
        }
        return false
    }

    private func findClose(_ closer: String, from start: Int, tagLine: Int) throws -> (end: Int, strip: Bool) {
        let c = Array(closer.unicodeScalars)
        var i = start
        while i + 1 < scalars.count {
            if scalars[i] == c[0], scalars[i + 1] == c[1] { return (i + 2, i > start && scalars[i - 1] == "-") }
            i += 1
        }
        throw TemplateError(.syntax, line: tagLine, "unclosed comment")
    }

    private mutating func advance(to target: Int) {
        while index < target {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
    }

    private mutating func skipSpaces() {
        while index < scalars.count, Character(scalars[index]).isPythonSpace { advance(to: index + 1) }
    }

    private static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                    "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]

    private mutating func nextToken() throws -> TemplateToken {
        let startLine = line
        let c = scalars[index]
        if c == "'" || c == "\"" { return TemplateToken(kind: .string(try stringLiteral(quote: c)), line: startLine) }
        if c.properties.numericType != nil, ("0" ... "9").contains(c) { return numberLiteral() }
        if c == "_" || c.properties.isAlphabetic {
            var end = index
            while end < scalars.count, scalars[end] == "_" || scalars[end].properties.isAlphabetic || ("0" ... "9").contains(scalars[end]) {
                end += 1
            }
            let name = String(String.UnicodeScalarView(scalars[index ..< end]))
            advance(to: end)
            return TemplateToken(kind: .name(name), line: startLine)
        }
        for op in TemplateLexer.operators {
            let opScalars = Array(op.unicodeScalars)
            if index + opScalars.count <= scalars.count, Array(scalars[index ..< index + opScalars.count]) == opScalars {
                advance(to: index + opScalars.count)
                return TemplateToken(kind: .op(op), line: startLine)
            }
        }
        throw TemplateError(.syntax, line: startLine, "unexpected character \(String(Character(c)).debugDescription)")
    }

    private mutating func numberLiteral() -> TemplateToken {
        let startLine = line
        var end = index
        var isFloat = false
        while end < scalars.count, ("0" ... "9").contains(scalars[end]) || scalars[end] == "_" { end += 1 }
        if end + 1 < scalars.count, scalars[end] == ".", ("0" ... "9").contains(scalars[end + 1]) {
            isFloat = true
            end += 1
            while end < scalars.count, ("0" ... "9").contains(scalars[end]) { end += 1 }
        }
        let text = String(String.UnicodeScalarView(scalars[index ..< end])).replacingOccurrences(of: "_", with: "")
        advance(to: end)
        if !isFloat, let value = Int(text) { return TemplateToken(kind: .int(value), line: startLine) }
        return TemplateToken(kind: .float(Double(text) ?? .infinity), line: startLine)
    }

    /// A Python string literal body with its escapes.
    private mutating func stringLiteral(quote: Unicode.Scalar) throws -> String {
        let startLine = line
        var out = String.UnicodeScalarView()
        var i = index + 1
        while true {
            guard i < scalars.count else { throw TemplateError(.syntax, line: startLine, "unterminated string literal") }
            let c = scalars[i]
            if c == quote { break }
            if c == "\\", i + 1 < scalars.count {
                let e = scalars[i + 1]
                i += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "\\", "'", "\"": out.append(e)
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    guard i + width <= scalars.count,
                          let code = UInt32(String(String.UnicodeScalarView(scalars[i ..< i + width])), radix: 16),
                          let scalar = Unicode.Scalar(code)
                    else { throw TemplateError(.syntax, line: startLine, "bad \\\(e) escape in a string literal") }
                    out.append(scalar)
                    i += width
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        advance(to: i + 1)
        return String(out)
    }
}

extension Character {
    /// Python's `str.isspace()` for the characters templates meet.
    var isPythonSpace: Bool {
        unicodeScalars.allSatisfy { $0.properties.isWhitespace || (0x1C ... 0x1F).contains($0.value) }
    }
}
