// Executes statements: output, for loops (with `loop`, filters, tuple unpacking, `else`, break and
// continue), if chains, `set` (names, tuples, namespace attributes, blocks) and macros, with Jinja's
// scoping (a loop iteration's assignments stay in the iteration; namespaces carry state out).
import Foundation

/// What a statement list asks of its enclosing loop.
enum Flow {
    case normal
    case breakLoop
    case continueLoop
}

struct Macro {
    var name: String
    var parameters: [(String, Expr?)]
    var body: [Node]
}

struct TemplateRenderer {
    let globals: [String: TemplateValue]
    let options: RenderOptions
    /// Innermost last. Index 0 holds the template's top-level assignments.
    var scopes: [[String: TemplateValue]] = [[:]]
    var namespaces: [[(key: String, value: TemplateValue)]] = []
    var macros: [Macro] = []
    var steps = 0
    var callDepth = 0

    /// The functions transformers and Jinja put in every template's globals.
    /// The longest list `range()` or list repetition may build.
    static let maxListItems = 100_000
    static let builtinFunctions: Set<String> = ["raise_exception", "strftime_now", "namespace", "dict", "range"]

    init(globals: [String: TemplateValue], options: RenderOptions) {
        self.globals = globals
        self.options = options
    }

    mutating func step(_ line: Int) throws {
        steps += 1
        if steps > options.maxSteps { throw TemplateError(.limit, line: line, "more than \(options.maxSteps) steps") }
    }

    func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        if let value = globals[name] { return value }
        return TemplateRenderer.builtinFunctions.contains(name) ? .function(name) : .undefined(hint: "'\(name)' is undefined")
    }

    mutating func assign(_ name: String, _ value: TemplateValue) {
        scopes[scopes.count - 1][name] = value
    }

    mutating func emit(_ text: String, into out: inout String, line: Int) throws {
        out += text
        if out.utf8.count > options.maxOutputBytes {
            throw TemplateError(.limit, line: line, "output longer than \(options.maxOutputBytes) bytes")
        }
    }

    mutating func execute(_ nodes: [Node], into out: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case let .text(text):
                try emit(text, into: &out, line: 0)
            case let .output(expr, line):
                try step(line)
                try emit(try eval(expr, line: line).pythonString, into: &out, line: line)
            case let .forLoop(targets, iterable, filter, body, otherwise, line):
                try step(line)
                try runFor(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line, into: &out)
            case let .ifChain(branches, otherwise, line):
                try step(line)
                var taken = false
                for (condition, body) in branches where try eval(condition, line: line).isTruthy {
                    taken = true
                    let flow = try execute(body, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try execute(otherwise, into: &out)
                    if flow != .normal { return flow }
                }
            case let .set(target, value, line):
                try step(line)
                try runSet(target, try eval(value, line: line), line: line)
            case let .setBlock(name, body, line):
                try step(line)
                var captured = ""
                _ = try execute(body, into: &captured)
                try emit("", into: &captured, line: line)
                assign(name, .string(captured))
            case let .macro(name, parameters, body, _):
                macros.append(Macro(name: name, parameters: parameters, body: body))
                assign(name, .macro(macros.count - 1))
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            case let .generation(body):
                let flow = try execute(body, into: &out)
                if flow != .normal { return flow }
            }
        }
        return .normal
    }

    private mutating func runSet(_ target: SetTarget, _ value: TemplateValue, line: Int) throws {
        switch target {
        case let .name(name):
            assign(name, value)
        case let .names(names):
            guard case let .array(items) = value, items.count == names.count else {
                throw TemplateError(.runtime, line: line, "cannot unpack \(value.typeName) into \(names.count) names")
            }
            for (name, item) in zip(names, items) { assign(name, item) }
        case let .attribute(object, attribute):
            guard case let .namespace(id) = lookup(object) else {
                throw TemplateError(.runtime, line: line, "cannot assign attribute on non-namespace object '\(object)'")
            }
            if let i = namespaces[id].firstIndex(where: { $0.key == attribute }) {
                namespaces[id][i].value = value
            } else {
                namespaces[id].append((key: attribute, value: value))
            }
        }
    }

    /// The items a `for` loop or filter iterates: list items, dict keys, string characters.
    func iterate(_ value: TemplateValue, line: Int) throws -> [TemplateValue] {
        switch value.plain {
        case let .array(items): return items
        case let .dict(pairs): return pairs.map { .string($0.key) }
        case let .string(s):
            // A string is iterated character by character; as a list it is bounded like the others.
            guard s.utf8.count <= Self.maxListItems || s.unicodeScalars.count <= Self.maxListItems else {
                throw TemplateError(.limit, line: line, "iterating a string of more than \(Self.maxListItems) characters")
            }
            return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw TemplateError(.runtime, line: line, "'\(value.typeName)' object is not iterable")
        }
    }

    private mutating func bind(_ targets: [String], _ item: TemplateValue, line: Int) throws {
        if targets.count == 1 {
            assign(targets[0], item)
            return
        }
        guard case let .array(parts) = item, parts.count == targets.count else {
            throw TemplateError(.runtime, line: line, "cannot unpack \(item.typeName) into \(targets.count) loop variables")
        }
        for (name, part) in zip(targets, parts) { assign(name, part) }
    }

    private mutating func runFor(targets: [String], iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node],
                                 line: Int, into out: inout String) throws
    {
        var items = try iterate(try eval(iterable, line: line), line: line)
        if let filter {
            var kept: [TemplateValue] = []
            for item in items {
                try step(line)
                scopes.append([:])
                defer { scopes.removeLast() }
                try bind(targets, item, line: line)
                if try eval(filter, line: line).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try execute(otherwise, into: &out)
            return
        }
        let count = items.count
        for (i, item) in items.enumerated() {
            try step(line)
            scopes.append([:])
            defer { scopes.removeLast() }
            try bind(targets, item, line: line)
            let loop: [(String, TemplateValue)] = [
                ("index", .int(i + 1)), ("index0", .int(i)),
                ("revindex", .int(count - i)), ("revindex0", .int(count - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == count - 1)), ("length", .int(count)),
                ("previtem", i > 0 ? items[i - 1] : .undefined(hint: "there is no previous item")),
                ("nextitem", i + 1 < count ? items[i + 1] : .undefined(hint: "there is no next item")),
                ("depth", .int(1)), ("depth0", .int(0)),
            ]
            assign("loop", .object(loop))
            if try execute(body, into: &out) == .breakLoop { break }
        }
    }

    /// Calls a macro: its parameters bound from the arguments, the template's top-level names visible.
    mutating func callMacro(_ id: Int, _ positional: [TemplateValue], _ keyword: [(String, TemplateValue)], line: Int) throws -> TemplateValue {
        let macro = macros[id]
        guard callDepth < options.maxCallDepth else {
            throw TemplateError(.limit, line: line, "macro calls nested deeper than \(options.maxCallDepth)")
        }
        guard positional.count <= macro.parameters.count else {
            throw TemplateError(.runtime, line: line, "macro '\(macro.name)' takes \(macro.parameters.count) arguments, got \(positional.count)")
        }
        var frame: [String: TemplateValue] = [:]
        let saved = scopes
        scopes = [scopes[0]]
        callDepth += 1
        defer {
            scopes = saved
            callDepth -= 1
        }
        for (i, (name, defaultValue)) in macro.parameters.enumerated() {
            if i < positional.count {
                frame[name] = positional[i]
            } else if let given = keyword.first(where: { $0.0 == name }) {
                frame[name] = given.1
            } else if let defaultValue {
                frame[name] = try eval(defaultValue, line: line)
            } else {
                frame[name] = .undefined(hint: "parameter '\(name)' was not provided")
            }
        }
        if let unknown = keyword.first(where: { k in !macro.parameters.contains { $0.0 == k.0 } }) {
            throw TemplateError(.runtime, line: line, "macro '\(macro.name)' has no parameter named '\(unknown.0)'")
        }
        scopes.append(frame)
        var out = ""
        _ = try execute(macro.body, into: &out)
        return .string(out)
    }
}
