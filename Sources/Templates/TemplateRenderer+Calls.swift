// The global functions transformers gives chat templates (`raise_exception`, `strftime_now`,
// `namespace`, `dict`) plus Jinja's `range`, and the Python methods of strings, dicts and lists
// that templates call. Anything else is refused by name.
import Foundation

/// Positional-or-keyword argument access for builtins.
struct CallArguments {
    let what: String
    let positional: [TemplateValue]
    let keyword: [(String, TemplateValue)]

    /// Argument `index` or keyword `name`, or nil when absent (None counts as absent).
    func optional(_ index: Int, _ name: String) -> TemplateValue? {
        let value = index < positional.count ? positional[index] : keyword.first { $0.0 == name }?.1
        if let value, value == .none || value.isUndefined { return nil }
        return value
    }

    func string(_ index: Int, _ name: String) throws -> String? {
        guard let value = optional(index, name) else { return nil }
        guard case let .string(s) = value else { throw TemplateFailure.type("\(what): argument '\(name)' must be a string, not \(value.typeName)") }
        return s
    }

    func requiredString(_ index: Int, _ name: String) throws -> String {
        guard let s = try string(index, name) else { throw TemplateFailure.type("\(what): missing argument '\(name)'") }
        return s
    }

    func int(_ index: Int, _ name: String) throws -> Int? {
        guard let value = optional(index, name) else { return nil }
        guard let i = value.integer else { throw TemplateFailure.type("\(what): argument '\(name)' must be an integer, not \(value.typeName)") }
        return i
    }

    func bool(_ index: Int, _ name: String, default fallback: Bool) -> Bool { optional(index, name)?.isTruthy ?? fallback }

    /// Refuses keyword arguments not in `allowed` and more than `maxPositional` positional ones.
    func check(maxPositional: Int, allowed: [String]) throws {
        if positional.count > maxPositional { throw TemplateFailure.type("\(what) takes at most \(maxPositional) arguments, got \(positional.count)") }
        if let bad = keyword.first(where: { !allowed.contains($0.0) }) {
            throw TemplateFailure.unsupported("\(what) with keyword argument '\(bad.0)'")
        }
    }
}

extension TemplateRenderer {
    mutating func callGlobal(_ name: String, _ positional: [TemplateValue], _ keyword: [(String, TemplateValue)]) throws -> TemplateValue {
        let args = CallArguments(what: "\(name)()", positional: positional, keyword: keyword)
        switch name {
        case "raise_exception":
            throw TemplateFailure.raised(positional.first?.pythonString ?? "")
        case "strftime_now":
            try args.check(maxPositional: 1, allowed: [])
            return .string(try TemplateDate.strftime(try args.requiredString(0, "format"), options.now))
        case "namespace", "dict":
            var pairs: [(key: String, value: TemplateValue)] = []
            for value in positional {
                guard case let .dict(given) = value else { throw TemplateFailure.type("\(name)() takes a dict or keyword arguments") }
                pairs += given
            }
            for (key, value) in keyword {
                if let i = pairs.firstIndex(where: { $0.key == key }) { pairs[i].value = value } else { pairs.append((key, value)) }
            }
            if name == "dict" { return .dict(pairs) }
            namespaces.append(pairs)
            return .namespace(namespaces.count - 1)
        case "range":
            try args.check(maxPositional: 3, allowed: [])
            let ints = try positional.map { v -> Int in
                guard let i = v.integer else { throw TemplateFailure.type("range() takes integers, not \(v.typeName)") }
                return i
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : ints.count == 2 ? (ints[0], ints[1], 1)
                : ints.count == 3 ? (ints[0], ints[1], ints[2]) : (0, 0, 0)
            guard step != 0, !ints.isEmpty else { throw TemplateFailure.type("range() takes 1 to 3 integers, the step not 0") }
            // In 128 bits: the span of two Ints, or a step of Int.min, does not fit in an Int.
            let (a, b, d) = (Int128(start), Int128(stop), Int128(step))
            let wide = d > 0 ? Swift.max(0, (b - a + d - 1) / d) : Swift.max(0, (a - b - d - 1) / -d)
            guard wide <= Self.maxListItems else { throw TemplateFailure.limit("range() of more than \(Self.maxListItems) numbers") }
            let count = Int(wide)
            // Each value lies between start and stop, but i·step alone can overflow: form it in 128 bits.
            return .array((0 ..< count).map { .int(Int(a + Int128($0) * d)) })
        default:
            throw TemplateFailure.unsupported("the function '\(name)' (not a variable, macro or supported global)")
        }
    }

    func callMethod(_ object: TemplateValue, _ method: String, _ positional: [TemplateValue], _ keyword: [(String, TemplateValue)]) throws -> TemplateValue {
        let args = CallArguments(what: "\(object.typeName).\(method)()", positional: positional, keyword: keyword)
        switch object {
        case let .string(s): return try TemplateStrings.method(s, method, args)
        case let .dict(pairs):
            switch method {
            case "items":
                try args.check(maxPositional: 0, allowed: [])
                return .array(pairs.map { .array([.string($0.key), $0.value]) })
            case "keys":
                try args.check(maxPositional: 0, allowed: [])
                return .array(pairs.map { .string($0.key) })
            case "values":
                try args.check(maxPositional: 0, allowed: [])
                return .array(pairs.map(\.value))
            case "get":
                try args.check(maxPositional: 2, allowed: [])
                guard let key = try args.string(0, "key") else { return positional.count > 1 ? positional[1] : .none }
                return object[key] ?? (positional.count > 1 ? positional[1] : .none)
            default: break
            }
        case let .array(items):
            switch method {
            case "index":
                try args.check(maxPositional: 1, allowed: [])
                guard let needle = positional.first, let i = items.firstIndex(where: { $0.pythonEquals(needle) }) else {
                    throw TemplateFailure.type("list.index(x): x not in list")
                }
                return .int(i)
            case "count":
                try args.check(maxPositional: 1, allowed: [])
                return .int(items.filter { positional.first.map($0.pythonEquals) ?? false }.count)
            default: break
            }
        case let .undefined(hint):
            throw TemplateFailure.type("\(hint) (calling .\(method)())")
        default: break
        }
        throw TemplateFailure.unsupported("the method \(object.typeName).\(method)()")
    }
}
