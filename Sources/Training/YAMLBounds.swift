// Bounds on settings files before they reach the YAML parser. Yams parses recursively (a deeply
// nested document overflows the stack) and some decodes take time quadratic in a list's length,
// and neither can be interrupted; a settings file needs neither depth nor thousands of entries.
// So every YAML read goes through `YAMLBounds.read`: a size cap, then one cheap pass over the
// bytes counting nesting (indentation levels, `- ` sequence markers on a line, `[`/`{` depth),
// entries, and aliases, refusing the file with its name and the line where a bound is crossed.
import Foundation

public enum YAMLBounds {
    /// The largest settings file read (1 MiB).
    public static let maxBytes = 1 << 20
    /// The deepest nesting (block levels + flow brackets) a settings file may have.
    public static let maxDepth = 32
    /// The most collection entries (sequence items, flow-collection elements, mapping keys).
    public static let maxEntries = 10_000

    /// Reads a settings file (at most `maxBytes`, UTF-8) and checks its nesting.
    /// - Throws: `TrainingError.configurationFile` naming the file (and the line for nesting).
    public static func read(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrainingError.configurationFile(path: path, line: nil, reason: "cannot read (no such file, or not readable)")
        }
        defer { try? handle.close() }
        // Read one byte past the cap, so a larger file (or an endless device) is refused without
        // reading it whole.
        let data: Data
        do { data = try handle.read(upToCount: maxBytes + 1) ?? Data() } catch {
            throw TrainingError.configurationFile(path: path, line: nil, reason: "cannot read (\(error.localizedDescription))")
        }
        guard data.count <= maxBytes else {
            throw TrainingError.configurationFile(path: path, line: nil, reason: "larger than \(maxBytes) bytes; a settings file is much smaller")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrainingError.configurationFile(path: path, line: nil, reason: "not UTF-8 text")
        }
        try check(text, file: path)
        return text
    }

    /// Checks text already in memory (size, nesting, entries, aliases).
    public static func check(_ text: String, file: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw TrainingError.configurationFile(path: file, line: nil, reason: "larger than \(maxBytes) bytes; a settings file is much smaller")
        }
        var scan = Scan()
        if let problem = scan.run(bytes) {
            throw TrainingError.configurationFile(path: file, line: problem.line, reason: problem.reason)
        }
    }

    /// One pass over the bytes. Quoted scalars and comments are skipped; block scalars (`|`, `>`)
    /// count as one level whatever their own indentation.
    struct Scan {
        var line = 1
        /// Indentation widths of the open block levels.
        var indents: [Int] = []
        var flowDepth = 0
        var entries = 0
        /// Indentation of the block scalar being read (its lines are text, not structure).
        var blockScalarIndent: Int?

        static let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), hash = UInt8(ascii: "#")
        static let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":"), comma = UInt8(ascii: ",")
        static let openSquare = UInt8(ascii: "["), openCurly = UInt8(ascii: "{")
        static let closeSquare = UInt8(ascii: "]"), closeCurly = UInt8(ascii: "}")
        static let single = UInt8(ascii: "'"), double = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        static let star = UInt8(ascii: "*"), pipe = UInt8(ascii: "|"), greater = UInt8(ascii: ">")
        static let tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r"), questionMark = UInt8(ascii: "?")

        mutating func run(_ b: [UInt8]) -> (line: Int, reason: String)? {
            var i = 0
            let n = b.count
            while i < n {
                // Start of a line: indentation.
                var indent = 0
                while i < n && b[i] == Self.space { indent += 1; i += 1 }
                var j = i
                while j < n && (b[j] == Self.tab || b[j] == Self.cr) { j += 1 }
                let blank = j >= n || b[j] == Self.newline || b[j] == Self.hash
                if let s = blockScalarIndent {
                    if blank || indent > s { i = skipLine(b, i); continue }
                    blockScalarIndent = nil
                }
                if blank || flowDepth > 0 {
                    if !blank, let p = scanContent(b, &i, lineIndent: indent) { return p }
                    i = skipLine(b, i)
                    continue
                }
                // A block line: close deeper levels, open this one.
                while let last = indents.last, last > indent { indents.removeLast() }
                if indents.last != indent { indents.append(indent) }
                // `- - - x` opens one sequence level per marker on the same line.
                var markers = 0
                while i + 1 < n && b[i] == Self.dash && (b[i + 1] == Self.space || b[i + 1] == Self.newline) {
                    markers += 1; i += 1
                    while i < n && b[i] == Self.space { i += 1 }
                }
                if i + 1 == n && b[i] == Self.dash { markers += 1 }
                entries += markers
                if let p = depthProblem(extra: markers) { return p }
                if let p = scanContent(b, &i, lineIndent: indent + markers) { return p }
                i = skipLine(b, i)
            }
            return nil
        }

        func depthProblem(extra: Int = 0) -> (line: Int, reason: String)? {
            let depth = indents.count + extra + flowDepth
            guard depth > YAMLBounds.maxDepth else { return nil }
            return (line, "nested \(depth) levels deep; a settings file may nest at most \(YAMLBounds.maxDepth)")
        }

        /// Scans the rest of a line from `i` (left at the newline or the end): quotes, flow
        /// brackets, entries, aliases, block-scalar headers, comments.
        mutating func scanContent(_ b: [UInt8], _ i: inout Int, lineIndent: Int) -> (line: Int, reason: String)? {
            let n = b.count
            // Whether the next character starts a scalar (where quotes and aliases can begin).
            var atValueStart = true
            while i < n && b[i] != Self.newline {
                let c = b[i]
                if c == Self.hash && (atValueStart || b[i - 1] == Self.space || b[i - 1] == Self.tab) {
                    while i < n && b[i] != Self.newline { i += 1 }
                    return nil
                }
                if atValueStart && (c == Self.single || c == Self.double) {
                    // A quoted scalar, possibly over several lines.
                    i += 1
                    while i < n {
                        if b[i] == Self.newline { line += 1 }
                        if c == Self.double && b[i] == Self.backslash {
                            if i + 1 < n && b[i + 1] == Self.newline { line += 1 }
                            i += 2
                            continue
                        }
                        if b[i] == c {
                            if c == Self.single && i + 1 < n && b[i + 1] == Self.single { i += 2; continue }
                            break
                        }
                        i += 1
                    }
                    i += 1
                    atValueStart = false
                    continue
                }
                if atValueStart && c == Self.star {
                    return (line, "aliases (*name) are not accepted in settings files")
                }
                if atValueStart && (c == Self.pipe || c == Self.greater) && flowDepth == 0 {
                    blockScalarIndent = lineIndent
                    while i < n && b[i] != Self.newline { i += 1 }
                    return nil
                }
                switch c {
                case Self.openSquare, Self.openCurly:
                    flowDepth += 1
                    entries += 1
                    if let p = depthProblem() { return p }
                    atValueStart = true
                case Self.closeSquare, Self.closeCurly:
                    flowDepth = max(0, flowDepth - 1)
                    atValueStart = false
                case Self.comma where flowDepth > 0:
                    entries += 1
                    atValueStart = true
                case Self.colon where i + 1 >= n || b[i + 1] == Self.space || b[i + 1] == Self.newline || flowDepth > 0:
                    entries += 1
                    atValueStart = true
                case Self.space, Self.tab, Self.cr:
                    break
                case Self.questionMark where i + 1 < n && b[i + 1] == Self.space:
                    atValueStart = true
                case Self.dash where i + 1 < n && b[i + 1] == Self.space:
                    atValueStart = true
                default:
                    atValueStart = false
                }
                if entries > YAMLBounds.maxEntries {
                    return (line, "more than \(YAMLBounds.maxEntries) entries; a settings file has far fewer")
                }
                i += 1
            }
            return nil
        }

        mutating func skipLine(_ b: [UInt8], _ start: Int) -> Int {
            var i = start
            while i < b.count && b[i] != Self.newline { i += 1 }
            if i < b.count { line += 1; i += 1 }
            return i
        }
    }
}
