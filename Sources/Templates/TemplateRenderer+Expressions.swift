// Evaluates expressions with Python's semantics as Jinja exposes them: arithmetic, comparisons,
// `in`, short-circuit `and`/`or` returning an operand, member and item access (a missing member is
// Undefined; reading through Undefined fails), slicing, calls of macros, globals and methods.
import Foundation

extension TemplateRenderer {
    mutating func eval(_ expr: Expr, line: Int) throws -> TemplateValue {
        do {
            return try evalUnchecked(expr, line: line)
        } catch let failure as TemplateFailure {
            throw failure.at(line)
        }
    }

    private mutating func evalUnchecked(_ expr: Expr, line: Int) throws -> TemplateValue {
        switch expr {
        case let .at(inner, expr): return try eval(expr, line: inner)
        case let .literal(value): return value
        case let .name(name): return lookup(name)
        case let .list(items), let .tuple(items):
            var values: [TemplateValue] = []
            for item in items { values.append(try eval(item, line: line)) }
            return .array(values)
        case let .dict(pairs):
            var out: [(key: String, value: TemplateValue)] = []
            for (keyExpr, valueExpr) in pairs {
                guard case let .string(key) = try eval(keyExpr, line: line) else {
                    throw TemplateFailure.unsupported("dict literals with non-string keys")
                }
                let value = try eval(valueExpr, line: line)
                if let i = out.firstIndex(where: { TemplateValue.sameScalars($0.key, key) }) { out[i].value = value } else { out.append((key, value)) }
            }
            return .dict(out)
        case let .attribute(object, name):
            return try member(try eval(object, line: line).plain, name)
        case let .subscript(object, key):
            return try item(try eval(object, line: line).plain, try eval(key, line: line).plain)
        case let .slice(object, start, stop, step):
            let value = try eval(object, line: line).plain
            let bounds = try [start, stop, step].map { try $0.map { try eval($0, line: line) } }
            return try slice(value, bounds[0], bounds[1], bounds[2])
        case let .call(callee, arguments):
            return try call(callee, arguments, line: line)
        case let .filter(value, name, arguments):
            let input = try eval(value, line: line)
            let (positional, keyword) = try evalArguments(arguments, line: line)
            return try applyFilter(name, input, positional, keyword, line: line)
        case let .test(value, name, arguments, negated):
            let input = try eval(value, line: line).plain
            let (positional, _) = try evalArguments(arguments, line: line)
            return .bool(try applyTest(name, input, positional.map(\.plain)) != negated)
        case let .unary(op, operand):
            let value = try eval(operand, line: line)
            switch value {
            case let .int(i) where op == "-": return .int(0 &- i)
            case let .double(d) where op == "-": return .double(-d)
            case let .bool(b) where op == "-": return .int(b ? -1 : 0)
            default: throw TemplateFailure.type("bad operand type for unary \(op): '\(value.typeName)'")
            }
        case let .binary(op, left, right):
            return try binary(op, try eval(left, line: line), try eval(right, line: line))
        case let .and(left, right):
            let l = try eval(left, line: line)
            return l.isTruthy ? try eval(right, line: line) : l
        case let .or(left, right):
            let l = try eval(left, line: line)
            return l.isTruthy ? l : try eval(right, line: line)
        case let .not(operand):
            return .bool(!(try eval(operand, line: line).isTruthy))
        case let .conditional(then, condition, otherwise):
            if try eval(condition, line: line).isTruthy { return try eval(then, line: line) }
            guard let otherwise else { return .undefined(hint: "the conditional expression has no else branch") }
            return try eval(otherwise, line: line)
        }
    }

    mutating func evalArguments(_ arguments: Arguments, line: Int) throws -> ([TemplateValue], [(String, TemplateValue)]) {
        var positional: [TemplateValue] = []
        for expr in arguments.positional { positional.append(try eval(expr, line: line)) }
        var keyword: [(String, TemplateValue)] = []
        for (name, expr) in arguments.keyword { keyword.append((name, try eval(expr, line: line))) }
        return (positional, keyword)
    }

    /// `object.name`: a dict's key, a namespace's attribute, `loop.x`; Undefined for other types.
    func member(_ object: TemplateValue, _ name: String) throws -> TemplateValue {
        switch object {
        case let .undefined(hint): throw TemplateFailure.type("\(hint) (reading .\(name))")
        case .dict: return object[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case let .namespace(id):
            return namespaces[id].first { $0.key == name }?.value ?? .undefined(hint: "'Namespace' has no attribute '\(name)'")
        default: return .undefined(hint: "'\(object.typeName) object' has no attribute '\(name)'")
        }
    }

    /// `object[key]`: dict key, list or string index (negative from the end); Undefined when missing.
    func item(_ object: TemplateValue, _ key: TemplateValue) throws -> TemplateValue {
        switch (object, key) {
        case let (.undefined(hint), _): throw TemplateFailure.type("\(hint) (reading [\(key.pythonRepr)])")
        case let (.dict, .string(name)): return object[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case (.namespace, .string(let name)): return try member(object, name)
        case let (.array(items), _):
            guard let i = key.integer else { throw TemplateFailure.type("list indices must be integers, not \(key.typeName)") }
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined(hint: "list index \(i) out of range")
        case let (.string(s), _):
            guard let i = key.integer else { throw TemplateFailure.type("string indices must be integers, not \(key.typeName)") }
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined(hint: "string index \(i) out of range")
        default: return .undefined(hint: "'\(object.typeName) object' has no item \(key.pythonRepr)")
        }
    }

    /// Python slicing of lists and strings, any step.
    func slice(_ value: TemplateValue, _ start: TemplateValue?, _ stop: TemplateValue?, _ step: TemplateValue?) throws -> TemplateValue {
        func bound(_ v: TemplateValue?) throws -> Int? {
            guard let v, !(v == .none) else { return nil }
            guard let i = v.integer else { throw TemplateFailure.type("slice indices must be integers or None") }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw TemplateFailure.type("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
                guard var i else { return fallback }
                if i < 0 { i += count }
                return Swift.min(Swift.max(i, low), high)
            }
            let lo = try bound(start), hi = try bound(stop)
            var out: [Int] = []
            if step > 0 {
                var i = clamp(lo, 0, low: 0, high: count)
                let end = clamp(hi, count, low: 0, high: count)
                while i < end { out.append(i); i += step }
            } else {
                var i = clamp(lo, count - 1, low: -1, high: count - 1)
                let end = clamp(hi, -1, low: -1, high: count - 1)
                while i > end { out.append(i); i += step }
            }
            return out
        }
        switch value {
        case let .array(items): return .array(try indices(items.count).map { items[$0] })
        case let .string(s):
            let scalars = Array(s.unicodeScalars)
            var view = String.UnicodeScalarView()
            for i in try indices(scalars.count) { view.append(scalars[i]) }
            return .string(String(view))
        case let .undefined(hint): throw TemplateFailure.type("\(hint) (slicing)")
        default: throw TemplateFailure.type("'\(value.typeName)' object is not subscriptable")
        }
    }

    func binary(_ op: String, _ left: TemplateValue, _ right: TemplateValue) throws -> TemplateValue {
        if op == "+" {
            // Markup + str escapes the str (and str + Markup likewise); the result is Markup.
            switch (left, right) {
            case let (.markup(a), .markup(b)): return .markup(a + b)
            case let (.markup(a), .string(b)): return .markup(a + TemplateValue.htmlEscaped(b))
            case let (.string(a), .markup(b)): return .markup(TemplateValue.htmlEscaped(a) + b)
            default: break
            }
        }
        let l = left.plain, r = right.plain
        switch op {
        case "==": return .bool(l.pythonEquals(r))
        case "!=": return .bool(!l.pythonEquals(r))
        case "<", ">", "<=", ">=":
            let order = try compare(l, r, op)
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "in": return .bool(try contains(r, l))
        case "~": return .string(l.pythonString + r.pythonString)
        default: return try arithmetic(op, l, r)
        }
    }

    /// Python ordering of numbers, strings (by code point) and lists.
    func compare(_ l: TemplateValue, _ r: TemplateValue, _ op: String) throws -> Int {
        switch (l, r) {
        case let (.string(a), .string(b)):
            if TemplateValue.sameScalars(a, b) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case let (.array(a), .array(b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try compare(x, y, op) }
            return a.count == b.count ? 0 : a.count < b.count ? -1 : 1
        default:
            if case .int(let a) = l, case .int(let b) = r { return a == b ? 0 : a < b ? -1 : 1 }
            if let a = l.numeric, let b = r.numeric { return a == b ? 0 : a < b ? -1 : 1 }
            throw TemplateFailure.type("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
        }
    }

    /// Python's `needle in haystack`.
    func contains(_ haystack: TemplateValue, _ needle: TemplateValue) throws -> Bool {
        switch haystack {
        case let .string(s):
            guard case let .string(n) = needle else {
                throw TemplateFailure.type("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || TemplateValue.findScalars(n, in: s) != nil
        case let .array(items): return items.contains { $0.pythonEquals(needle) }
        case let .dict(pairs):
            guard case let .string(key) = needle else { return false }
            return pairs.contains { TemplateValue.sameScalars($0.key, key) }
        case .undefined: return false
        default: throw TemplateFailure.type("argument of type '\(haystack.typeName)' is not iterable")
        }
    }

    func arithmetic(_ op: String, _ l: TemplateValue, _ r: TemplateValue) throws -> TemplateValue {
        func fail() -> TemplateFailure {
            .type("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
        }
        switch (op, l, r) {
        case let ("+", .string(a), .string(b)): return .string(a + b)
        case let ("+", .array(a), .array(b)): return .array(a + b)
        case let ("*", .string(s), n) where n.integer != nil, let ("*", n, .string(s)) where n.integer != nil:
            let times = Swift.max(0, n.integer ?? 0)
            let bytes = s.utf8.count.multipliedReportingOverflow(by: times)
            guard !bytes.overflow, bytes.partialValue <= options.maxOutputBytes else {
                throw TemplateFailure.limit("string repetition longer than \(options.maxOutputBytes) bytes")
            }
            return .string(String(repeating: s, count: times))
        case let ("*", .array(a), n) where n.integer != nil:
            // The same bound as range(): no chat template needs a longer list, and the fuzzer found
            // that a list near a million items takes seconds to build and print.
            let times = Swift.max(0, n.integer ?? 0)
            let items = a.count.multipliedReportingOverflow(by: times)
            guard !items.overflow, items.partialValue <= Self.maxListItems else {
                throw TemplateFailure.limit("list repetition longer than \(Self.maxListItems) items")
            }
            var out: [TemplateValue] = []
            out.reserveCapacity(items.partialValue)
            for _ in 0 ..< times { out.append(contentsOf: a) }
            return .array(out)
        case ("%", .string, _):
            throw TemplateFailure.unsupported("printf-style string formatting with %")
        default: break
        }
        // Python's bool is an int: True + 1 == 2.
        if let a = l.integer, let b = r.integer { return try integerArithmetic(op, a, b) }
        guard let a = l.numeric, let b = r.numeric else { throw fail() }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw TemplateFailure.type("division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw TemplateFailure.type("float floor division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw TemplateFailure.type("float modulo") }
            let m = a.truncatingRemainder(dividingBy: b)
            return .double(m != 0 && (m < 0) != (b < 0) ? m + b : m)
        case "**": return .double(Foundation.pow(a, b))
        default: throw fail()
        }
    }

    private func integerArithmetic(_ op: String, _ a: Int, _ b: Int) throws -> TemplateValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> TemplateValue {
            if result.overflow { throw TemplateFailure.limit("integer overflow in \(a) \(op) \(b)") }
            return .int(result.partialValue)
        }
        switch op {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/":
            guard b != 0 else { throw TemplateFailure.type("division by zero") }
            return .double(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else { throw TemplateFailure.type("integer division or modulo by zero") }
            // Int.min // -1 is the one quotient that does not fit (its remainder is 0).
            if a == Int.min && b == -1 {
                if op == "%" { return .int(0) }
                throw TemplateFailure.limit("integer overflow in \(a) \(op) \(b)")
            }
            var q = a / b
            var m = a % b
            if m != 0, (m < 0) != (b < 0) {
                q -= 1
                m += b
            }
            return .int(op == "//" ? q : m)
        case "**":
            if b < 0 { return .double(Foundation.pow(Double(a), Double(b))) }
            var result = 1
            for _ in 0 ..< b {
                let (p, overflow) = result.multipliedReportingOverflow(by: a)
                if overflow { throw TemplateFailure.limit("integer overflow in \(a) ** \(b)") }
                result = p
                if result == 0 || result == 1 { break }
            }
            return .int(result)
        default: throw TemplateFailure.type("unsupported operator \(op)")
        }
    }

    /// Calls: macros, the globals transformers provides, and methods of strings, dicts and lists.
    mutating func call(_ callee: Expr, _ arguments: Arguments, line: Int) throws -> TemplateValue {
        var target = callee
        while case let .at(_, inner) = target { target = inner }
        let (positional, keyword) = try evalArguments(arguments, line: line)
        if case let .attribute(objectExpr, method) = target {
            let object = try eval(objectExpr, line: line).plain
            if case .dict = object, case let .macro(id)? = object[method] {
                return try callMacro(id, positional, keyword, line: line)
            }
            return try callMethod(object, method, positional, keyword)
        }
        let value = try eval(callee, line: line)
        if case let .macro(id) = value { return try callMacro(id, positional, keyword, line: line) }
        if case let .function(name) = value { return try callGlobal(name, positional, keyword) }
        if case let .name(name) = target, value.isUndefined {
            throw TemplateFailure.unsupported("the function '\(name)' (not a variable, macro or supported global)")
        }
        throw TemplateFailure.type("'\(value.typeName)' object is not callable")
    }
}

extension TemplateValue {
    /// An int (or bool) as Python uses it for indices and counts.
    var integer: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Where `needle`'s scalars first occur in `haystack`'s, as a scalar offset.
    static func findScalars(_ needle: String, in haystack: String, from start: Int = 0) -> Int? {
        let n = Array(needle.unicodeScalars), h = Array(haystack.unicodeScalars)
        guard n.count <= h.count else { return nil }
        if n.isEmpty { return start <= h.count ? start : nil }
        var i = start
        while i + n.count <= h.count {
            if h[i] == n[0], h[i ..< i + n.count].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }
}
