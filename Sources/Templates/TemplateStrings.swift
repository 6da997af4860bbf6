// Python `str` methods chat templates call (`strip`, `split`, `startswith`, `replace`…), computed
// on Unicode scalars as Python does.
import Foundation

enum TemplateStrings {
    static func method(_ s: String, _ method: String, _ args: CallArguments) throws -> TemplateValue {
        switch method {
        case "strip", "lstrip", "rstrip":
            try args.check(maxPositional: 1, allowed: [])
            return .string(strip(s, chars: try args.string(0, "chars"), leading: method != "rstrip", trailing: method != "lstrip"))
        case "split", "rsplit":
            try args.check(maxPositional: 2, allowed: ["sep", "maxsplit"])
            let parts = try split(s, separator: try args.string(0, "sep"), maxSplit: try args.int(1, "maxsplit") ?? -1, fromRight: method == "rsplit")
            return .array(parts.map { .string($0) })
        case "splitlines":
            try args.check(maxPositional: 0, allowed: [])
            try checkPieces(s.utf8.count { $0 == 10 } + 1)
            var lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return .array(lines.map { .string($0) })
        case "startswith", "endswith":
            try args.check(maxPositional: 1, allowed: [])
            let candidates: [TemplateValue]
            switch args.positional.first {
            case let .string(p)?: candidates = [.string(p)]
            case let .array(items)?: candidates = items
            default: throw TemplateFailure.type("str.\(method)() takes a string or a tuple of strings")
            }
            let scalars = Array(s.unicodeScalars)
            return .bool(candidates.contains { c in
                guard case let .string(p) = c else { return false }
                let affix = Array(p.unicodeScalars)
                return method == "startswith" ? scalars.starts(with: affix) : scalars.reversed().starts(with: affix.reversed())
            })
        case "upper":
            return .string(s.uppercased())
        case "lower":
            return .string(s.lowercased())
        case "title":
            return .string(title(s))
        case "capitalize":
            return .string(capitalize(s))
        case "replace":
            try args.check(maxPositional: 3, allowed: [])
            return .string(replace(s, try args.requiredString(0, "old"), try args.requiredString(1, "new"), count: try args.int(2, "count") ?? -1))
        case "find", "count":
            try args.check(maxPositional: 1, allowed: [])
            let needle = try args.requiredString(0, "sub")
            if method == "find" { return .int(TemplateValue.findScalars(needle, in: s) ?? -1) }
            return .int(try split(s, separator: needle, maxSplit: -1, fromRight: false).count - 1)
        case "join":
            try args.check(maxPositional: 1, allowed: [])
            guard case let .array(items)? = args.positional.first else { throw TemplateFailure.type("str.join() takes a list") }
            let parts = try items.map { v -> String in
                guard case let .string(p) = v else { throw TemplateFailure.type("str.join(): expected str instance, \(v.typeName) found") }
                return p
            }
            return .string(parts.joined(separator: s))
        case "isdigit", "isalpha", "isspace", "isupper", "islower":
            let scalars = Array(s.unicodeScalars)
            switch method {
            case "isdigit": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
            case "isalpha": return .bool(!scalars.isEmpty && scalars.allSatisfy(\.properties.isAlphabetic))
            case "isspace": return .bool(!scalars.isEmpty && s.allSatisfy(\.isPythonSpace))
            case "isupper": return .bool(s.contains { $0.isCased } && s.uppercased() == s)
            default: return .bool(s.contains { $0.isCased } && s.lowercased() == s)
            }
        default:
            throw TemplateFailure.unsupported("the method str.\(method)()")
        }
    }

    /// Python `str.strip(chars)`: whitespace when `chars` is nil.
    static func strip(_ s: String, chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ u: Unicode.Scalar) -> Bool { set?.contains(u) ?? Character(u).isPythonSpace }
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        if leading { while lo < hi, strippable(scalars[lo]) { lo += 1 } }
        if trailing { while hi > lo, strippable(scalars[hi - 1]) { hi -= 1 } }
        return String(String.UnicodeScalarView(scalars[lo ..< hi]))
    }

    /// Python `str.split(sep, maxsplit)` / `rsplit`: runs of whitespace when `separator` is nil.
    /// Lists cut from a string are bounded like every other list (`TemplateRenderer.maxListItems`).
    static func checkPieces(_ n: Int) throws {
        guard n <= TemplateRenderer.maxListItems else {
            throw TemplateFailure.limit("splitting into more than \(TemplateRenderer.maxListItems) pieces")
        }
    }

    static func split(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) throws -> [String] {
        let scalars = Array(s.unicodeScalars)
        func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        guard let separator else {
            var words: [Range<Int>] = []
            var i = 0
            while i < scalars.count {
                while i < scalars.count, Character(scalars[i]).isPythonSpace { i += 1 }
                guard i < scalars.count else { break }
                let start = i
                while i < scalars.count, !Character(scalars[i]).isPythonSpace { i += 1 }
                words.append(start ..< i)
            }
            try checkPieces(words.count)
            guard maxSplit >= 0, words.count > maxSplit + 1 else { return words.map(text) }
            if fromRight {
                let keep = words.suffix(maxSplit)
                let head = strip(text(0 ..< (keep.first?.lowerBound ?? scalars.count)), chars: nil, leading: false)
                return [head] + keep.map(text)
            }
            let keep = words.prefix(maxSplit)
            let tail = strip(text((keep.last?.upperBound ?? 0) ..< scalars.count), chars: nil, trailing: false)
            return keep.map(text) + [tail]
        }
        let sep = Array(separator.unicodeScalars)
        guard !sep.isEmpty else { throw TemplateFailure.type("str.split(): empty separator") }
        var cuts: [Int] = []
        var i = 0
        while i + sep.count <= scalars.count {
            if scalars[i ..< i + sep.count].elementsEqual(sep) {
                cuts.append(i)
                i += sep.count
            } else {
                i += 1
            }
        }
        try checkPieces(cuts.count + 1)
        if maxSplit >= 0, cuts.count > maxSplit { cuts = fromRight ? Array(cuts.suffix(maxSplit)) : Array(cuts.prefix(maxSplit)) }
        var parts: [String] = []
        var start = 0
        for cut in cuts {
            parts.append(text(start ..< cut))
            start = cut + sep.count
        }
        parts.append(text(start ..< scalars.count))
        return parts
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        if old.isEmpty { return s }
        let parts = (try? split(s, separator: old, maxSplit: count, fromRight: false)) ?? [s]
        return parts.joined(separator: new)
    }

    /// Python `str.capitalize()`: first character upper, the rest lower.
    static func capitalize(_ s: String) -> String {
        guard let first = s.first else { return s }
        return String(first).uppercased() + s.dropFirst().lowercased()
    }

    /// Python `str.title()`: each run of cased letters starts upper, continues lower.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for ch in s {
            out += previousCased ? ch.lowercased() : ch.uppercased()
            previousCased = ch.isCased
        }
        return out
    }
}
