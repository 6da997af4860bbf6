// Recursive-descent parser from lexer pieces to the syntax tree, following Jinja's grammar and
// operator precedence (conditional < or < and < not < comparison < + - < ~ < * / // % < ** <
// unary minus < filters, tests and postfix). Tags outside the subset are refused with their line.
import Foundation

struct TemplateParser {
    private let pieces: [TemplatePiece]
    private var position = 0

    init(pieces: [TemplatePiece]) {
        self.pieces = pieces
    }

    /// Bound on nesting of blocks and expressions, so hostile templates cannot overflow the stack.
    static let maxDepth = 200

    mutating func parseTemplate() throws -> [Node] {
        let (body, end) = try parseBlock(until: [], depth: 0)
        if let end { throw TemplateError(.syntax, line: end.line, "unexpected {% \(end.name) %}") }
        return body
    }

    /// Statements up to one of `terminators` (returned with its remaining tokens), or the end.
    private mutating func parseBlock(until terminators: Set<String>, depth: Int)
        throws -> ([Node], (name: String, tokens: TokenStream, line: Int)?)
    {
        var nodes: [Node] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece {
            case let .text(text, _):
                nodes.append(.text(text))
            case let .output(tokens, line):
                var stream = TokenStream(tokens: tokens, line: line)
                let expr = try stream.parseExpression(depth: depth)
                try stream.expectEnd()
                nodes.append(.output(expr, line: line))
            case let .statement(tokens, line):
                var stream = TokenStream(tokens: tokens, line: line)
                guard case let .name(keyword)? = stream.peek?.kind else {
                    throw TemplateError(.syntax, line: line, "a statement tag must start with a keyword")
                }
                if terminators.contains(keyword) {
                    stream.next()
                    return (nodes, (keyword, stream, line))
                }
                stream.next()
                guard depth < TemplateParser.maxDepth else {
                    throw TemplateError(.limit, line: line, "blocks nested deeper than \(TemplateParser.maxDepth)")
                }
                nodes.append(try parseStatement(keyword, &stream, line: line, depth: depth + 1))
            }
        }
        if !terminators.isEmpty {
            let names = terminators.sorted().map { "{% \($0) %}" }.joined(separator: " or ")
            let line = pieces.last.map(TemplateParser.line(of:)) ?? 1
            throw TemplateError(.syntax, line: line, "missing \(names) before the end of the template")
        }
        return (nodes, nil)
    }

    private static func line(of piece: TemplatePiece) -> Int {
        switch piece {
        case let .text(_, line), let .output(_, line), let .statement(_, line): return line
        }
    }

    private mutating func parseStatement(_ keyword: String, _ stream: inout TokenStream, line: Int, depth: Int) throws -> Node {
        switch keyword {
        case "for":
            var targets = [try stream.expectName()]
            while stream.accept(.op(",")) { targets.append(try stream.expectName()) }
            try stream.expectKeyword("in")
            let iterable = try stream.parseOr(depth: depth)
            var filter: Expr?
            if stream.acceptKeyword("if") { filter = try stream.parseOr(depth: depth) }
            if stream.acceptKeyword("recursive") { throw TemplateError(.unsupported, line: line, "recursive for loops") }
            try stream.expectEnd()
            let (body, end) = try parseBlock(until: ["else", "endfor"], depth: depth)
            var otherwise: [Node] = []
            if end?.name == "else" {
                let (elseBody, _) = try parseBlock(until: ["endfor"], depth: depth)
                otherwise = elseBody
            }
            return .forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
        case "if":
            var branches: [(Expr, [Node])] = []
            var condition = try stream.parseExpression(depth: depth)
            try stream.expectEnd()
            while true {
                let (body, end) = try parseBlock(until: ["elif", "else", "endif"], depth: depth)
                branches.append((condition, body))
                guard var end else { break }
                switch end.name {
                case "elif":
                    condition = try end.tokens.parseExpression(depth: depth)
                    try end.tokens.expectEnd()
                case "else":
                    try end.tokens.expectEnd()
                    let (elseBody, _) = try parseBlock(until: ["endif"], depth: depth)
                    return .ifChain(branches: branches, otherwise: elseBody, line: line)
                default:
                    return .ifChain(branches: branches, otherwise: [], line: line)
                }
            }
            return .ifChain(branches: branches, otherwise: [], line: line)
        case "set":
            let first = try stream.expectName()
            var target = SetTarget.name(first)
            if stream.accept(.op(".")) {
                target = .attribute(first, try stream.expectName())
            } else if stream.peek?.kind == .op(",") {
                var names = [first]
                while stream.accept(.op(",")) { names.append(try stream.expectName()) }
                target = .names(names)
            }
            if stream.atEnd, case .name = target {
                let (body, _) = try parseBlock(until: ["endset"], depth: depth)
                return .setBlock(name: first, body: body, line: line)
            }
            try stream.expect(.op("="))
            let value = try stream.parseTuple(depth: depth)
            try stream.expectEnd()
            return .set(target: target, value: value, line: line)
        case "macro":
            let name = try stream.expectName()
            try stream.expect(.op("("))
            var parameters: [(String, Expr?)] = []
            while !stream.accept(.op(")")) {
                if !parameters.isEmpty { try stream.expect(.op(",")) }
                let parameter = try stream.expectName()
                parameters.append((parameter, stream.accept(.op("=")) ? try stream.parseExpression(depth: depth) : nil))
            }
            try stream.expectEnd()
            let (body, _) = try parseBlock(until: ["endmacro"], depth: depth)
            return .macro(name: name, parameters: parameters, body: body, line: line)
        case "break":
            try stream.expectEnd()
            return .breakLoop(line: line)
        case "continue":
            try stream.expectEnd()
            return .continueLoop(line: line)
        case "generation":
            try stream.expectEnd()
            let (body, _) = try parseBlock(until: ["endgeneration"], depth: depth)
            return .generation(body)
        case "endfor", "endif", "elif", "else", "endset", "endmacro", "endgeneration":
            throw TemplateError(.syntax, line: line, "unexpected {% \(keyword) %}")
        default:
            throw TemplateError(.unsupported, line: line, "the {% \(keyword) %} tag")
        }
    }
}

/// The tokens of one tag, with the expression grammar.
struct TokenStream {
    let tokens: [TemplateToken]
    let line: Int
    private var index = 0

    init(tokens: [TemplateToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var peek: TemplateToken? { index < tokens.count ? tokens[index] : nil }
    var atEnd: Bool { index >= tokens.count }
    private var currentLine: Int { peek?.line ?? tokens.last?.line ?? line }

    @discardableResult mutating func next() -> TemplateToken? {
        defer { index += 1 }
        return peek
    }

    mutating func accept(_ kind: TemplateToken.Kind) -> Bool {
        guard peek?.kind == kind else { return false }
        index += 1
        return true
    }

    mutating func acceptKeyword(_ word: String) -> Bool { accept(.name(word)) }

    func error(_ message: String) -> TemplateError { TemplateError(.syntax, line: currentLine, message) }

    private func describePeek() -> String {
        switch peek?.kind {
        case nil: return "the end of the tag"
        case let .name(n)?: return "'\(n)'"
        case let .op(o)?: return "'\(o)'"
        case let .string(s)?: return "string \(s.debugDescription)"
        case let .int(i)?: return "\(i)"
        case let .float(f)?: return "\(f)"
        }
    }

    mutating func expect(_ kind: TemplateToken.Kind) throws {
        guard accept(kind) else {
            if case let .op(o) = kind { throw error("expected '\(o)', found \(describePeek())") }
            throw error("expected \(kind), found \(describePeek())")
        }
    }

    mutating func expectKeyword(_ word: String) throws {
        guard acceptKeyword(word) else { throw error("expected '\(word)', found \(describePeek())") }
    }

    mutating func expectName() throws -> String {
        guard case let .name(name)? = peek?.kind else { throw error("expected a name, found \(describePeek())") }
        index += 1
        return name
    }

    func expectEnd() throws {
        if !atEnd { throw error("unexpected \(describePeek())") }
    }

    private func tagged(_ line: Int, _ expr: Expr) -> Expr { .at(line, expr) }

    private func checkDepth(_ depth: Int) throws {
        if depth > TemplateParser.maxDepth {
            throw TemplateError(.limit, line: currentLine, "expression nested deeper than \(TemplateParser.maxDepth)")
        }
    }

    /// `a, b` without brackets (as in `{% set x = a, b %}`) is a tuple.
    mutating func parseTuple(depth: Int) throws -> Expr {
        let first = try parseExpression(depth: depth)
        guard peek?.kind == .op(",") else { return first }
        var items = [first]
        while accept(.op(",")) {
            if atEnd { break }
            items.append(try parseExpression(depth: depth))
        }
        return .tuple(items)
    }

    /// `a if c else b`, or a plain `or` expression.
    mutating func parseExpression(depth: Int) throws -> Expr {
        try checkDepth(depth)
        let line = currentLine
        let value = try parseOr(depth: depth + 1)
        guard acceptKeyword("if") else { return value }
        let condition = try parseOr(depth: depth + 1)
        let otherwise = acceptKeyword("else") ? try parseExpression(depth: depth + 1) : nil
        return tagged(line, .conditional(then: value, condition: condition, otherwise: otherwise))
    }

    mutating func parseOr(depth: Int) throws -> Expr {
        try checkDepth(depth)
        var left = try parseAnd(depth: depth + 1)
        while acceptKeyword("or") { left = .or(left, try parseAnd(depth: depth + 1)) }
        return left
    }

    private mutating func parseAnd(depth: Int) throws -> Expr {
        var left = try parseNot(depth: depth)
        while acceptKeyword("and") { left = .and(left, try parseNot(depth: depth)) }
        return left
    }

    private mutating func parseNot(depth: Int) throws -> Expr {
        try checkDepth(depth)
        if acceptKeyword("not") { return .not(try parseNot(depth: depth + 1)) }
        return try parseComparison(depth: depth)
    }

    private mutating func parseComparison(depth: Int) throws -> Expr {
        let line = currentLine
        var left = try parseAdditive(depth: depth)
        while true {
            if let op = peek.flatMap({ t -> String? in
                if case let .op(o) = t.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) { return o }
                return nil
            }) {
                index += 1
                left = tagged(line, .binary(op, left, try parseAdditive(depth: depth)))
            } else if acceptKeyword("in") {
                left = tagged(line, .binary("in", left, try parseAdditive(depth: depth)))
            } else if peek?.kind == .name("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                index += 2
                left = .not(tagged(line, .binary("in", left, try parseAdditive(depth: depth))))
            } else {
                return left
            }
        }
    }

    private mutating func parseBinary(_ ops: [String], depth: Int, next: (inout TokenStream, Int) throws -> Expr) throws -> Expr {
        let line = currentLine
        var left = try next(&self, depth)
        while case let .op(o)? = peek?.kind, ops.contains(o) {
            index += 1
            left = tagged(line, .binary(o, left, try next(&self, depth)))
        }
        return left
    }

    private mutating func parseAdditive(depth: Int) throws -> Expr {
        try parseBinary(["+", "-"], depth: depth) { try $0.parseConcat(depth: $1) }
    }

    private mutating func parseConcat(depth: Int) throws -> Expr {
        try parseBinary(["~"], depth: depth) { try $0.parseMultiplicative(depth: $1) }
    }

    private mutating func parseMultiplicative(depth: Int) throws -> Expr {
        try parseBinary(["*", "/", "//", "%"], depth: depth) { try $0.parsePower(depth: $1) }
    }

    private mutating func parsePower(depth: Int) throws -> Expr {
        try parseBinary(["**"], depth: depth) { try $0.parseUnary(depth: $1) }
    }

    private mutating func parseUnary(depth: Int) throws -> Expr {
        try checkDepth(depth)
        let line = currentLine
        if accept(.op("-")) { return try parseFilters(tagged(line, .unary("-", try parseUnary(depth: depth + 1))), depth: depth) }
        if accept(.op("+")) { return try parseFilters(try parseUnary(depth: depth + 1), depth: depth) }
        return try parseFilters(try parsePostfix(try parsePrimary(depth: depth + 1), depth: depth), depth: depth)
    }

    /// `| filter(args)` and `is [not] test args`, repeated.
    private mutating func parseFilters(_ start: Expr, depth: Int) throws -> Expr {
        var expr = start
        while true {
            let line = currentLine
            if accept(.op("|")) {
                let name = try expectName()
                let args = peek?.kind == .op("(") ? try parseArguments(depth: depth) : Arguments()
                expr = try parsePostfix(tagged(line, .filter(expr, name: name, args)), depth: depth)
            } else if acceptKeyword("is") {
                let negated = acceptKeyword("not")
                let name = try expectName()
                var args = Arguments()
                if peek?.kind == .op("(") {
                    args = try parseArguments(depth: depth)
                } else if let token = peek, Self.startsTestArgument(token.kind) {
                    args.positional = [try parsePostfix(try parsePrimary(depth: depth + 1), depth: depth)]
                }
                expr = tagged(line, .test(expr, name: name, args, negated: negated))
            } else {
                return expr
            }
        }
    }

    /// `x is divisibleby 3`, `x is equalto 'a'`: a test may take one bare argument.
    private static func startsTestArgument(_ kind: TemplateToken.Kind) -> Bool {
        switch kind {
        case .string, .int, .float: return true
        case let .name(n): return !["and", "or", "else", "if", "in", "is", "not"].contains(n)
        case let .op(o): return o == "[" || o == "{"
        }
    }

    private mutating func parsePostfix(_ start: Expr, depth: Int) throws -> Expr {
        var expr = start
        while true {
            let line = currentLine
            if accept(.op(".")) {
                guard let token = next() else { throw error("expected a name after '.'") }
                switch token.kind {
                case let .name(name): expr = tagged(line, .attribute(expr, name))
                case let .int(i): expr = tagged(line, .subscript(expr, .literal(.int(i))))
                default: throw error("expected a name after '.'")
                }
            } else if accept(.op("[")) {
                expr = tagged(line, try parseSubscript(expr, depth: depth))
            } else if peek?.kind == .op("(") {
                expr = tagged(line, .call(expr, try parseArguments(depth: depth)))
            } else {
                return expr
            }
        }
    }

    private mutating func parseSubscript(_ target: Expr, depth: Int) throws -> Expr {
        var parts: [Expr?] = [nil]
        var sawColon = false
        while !accept(.op("]")) {
            if accept(.op(":")) {
                sawColon = true
                parts.append(nil)
                if parts.count > 3 { throw error("a slice takes at most three parts") }
            } else {
                guard parts[parts.count - 1] == nil else { throw error("expected ']' or ':', found \(describePeek())") }
                parts[parts.count - 1] = try parseExpression(depth: depth + 1)
            }
        }
        if !sawColon {
            guard let key = parts[0] else { throw error("empty subscript") }
            return .subscript(target, key)
        }
        return .slice(target, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
    }

    private mutating func parseArguments(depth: Int) throws -> Arguments {
        try expect(.op("("))
        var args = Arguments()
        while !accept(.op(")")) {
            if !(args.positional.isEmpty && args.keyword.isEmpty) {
                try expect(.op(","))
                if accept(.op(")")) { break }
            }
            if case let .name(name)? = peek?.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                index += 2
                args.keyword.append((name, try parseExpression(depth: depth + 1)))
            } else {
                if !args.keyword.isEmpty { throw error("positional argument after a keyword argument") }
                args.positional.append(try parseExpression(depth: depth + 1))
            }
        }
        return args
    }

    private mutating func parsePrimary(depth: Int) throws -> Expr {
        try checkDepth(depth)
        let line = currentLine
        guard let token = next() else { throw error("expected an expression, found the end of the tag") }
        switch token.kind {
        case let .string(s):
            // Adjacent string literals are joined, as in Python.
            var text = s
            while case let .string(more)? = peek?.kind {
                text += more
                index += 1
            }
            return .literal(.string(text))
        case let .int(i): return .literal(.int(i))
        case let .float(f): return .literal(.double(f))
        case let .name(name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return tagged(line, .name(name))
            }
        case .op("("):
            if accept(.op(")")) { return .tuple([]) }
            let first = try parseExpression(depth: depth + 1)
            if accept(.op(")")) { return first }
            var items = [first]
            while accept(.op(",")) {
                if peek?.kind == .op(")") { break }
                items.append(try parseExpression(depth: depth + 1))
            }
            try expect(.op(")"))
            return .tuple(items)
        case .op("["):
            var items: [Expr] = []
            while !accept(.op("]")) {
                if !items.isEmpty {
                    try expect(.op(","))
                    if accept(.op("]")) { break }
                }
                items.append(try parseExpression(depth: depth + 1))
            }
            return .list(items)
        case .op("{"):
            var pairs: [(Expr, Expr)] = []
            while !accept(.op("}")) {
                if !pairs.isEmpty {
                    try expect(.op(","))
                    if accept(.op("}")) { break }
                }
                let key = try parseExpression(depth: depth + 1)
                try expect(.op(":"))
                pairs.append((key, try parseExpression(depth: depth + 1)))
            }
            return .dict(pairs)
        default:
            index -= 1
            throw error("expected an expression, found \(describePeek())")
        }
    }
}
