// The order Foundation's `JSONSerialization` gives keys under `.sortedKeys` (an ICU collation of the
// root locale with numeric, case-insensitive comparison and a forced tie-break), reproduced for
// ASCII keys so that the files we have always written (config.json, checkpoint state, metrics,
// JSONL rows) keep their bytes. Characters beyond ASCII sort after it by scalar value, which is not
// ICU's order; our keys are ASCII.

/// Foundation's `.sortedKeys` order for ASCII keys.
public enum JSONKeyOrder {
    /// Primary weights of printable ASCII as the collation orders them: space and punctuation,
    /// then symbols, then digits, then letters with case folded (measured against
    /// `JSONSerialization` on this toolchain; `JSONFoundationTests` keeps it honest).
    private static let primary: [UInt8: Int] = {
        let order = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
        var table: [UInt8: Int] = [:]
        for (rank, byte) in order.utf8.enumerated() {
            table[byte] = rank
            if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") { table[byte - 32] = rank }
        }
        return table
    }()

    private static let digitRank = primary[UInt8(ascii: "0")] ?? 0

    /// One collation element: a run of digits (compared by value) or one character.
    private enum Element {
        case digits(value: ArraySlice<UInt8>, length: Int)  // value: digits without leading zeros
        case character(rank: Int, upper: Bool, scalar: UInt32)
    }

    private static func elements(_ key: String) -> [Element] {
        var out: [Element] = []
        let scalars = Array(key.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let v = scalars[i].value
            if v >= 0x30, v <= 0x39 {
                var j = i
                var digits: [UInt8] = []
                while j < scalars.count, scalars[j].value >= 0x30, scalars[j].value <= 0x39 {
                    digits.append(UInt8(scalars[j].value))
                    j += 1
                }
                let firstSignificant = digits.firstIndex { $0 != UInt8(ascii: "0") } ?? digits.count
                out.append(.digits(value: digits[firstSignificant...], length: digits.count))
                i = j
            } else {
                let rank = v < 0x80 ? (primary[UInt8(v)] ?? -1) : 1000 + Int(v)
                out.append(.character(rank: rank, upper: v >= 0x41 && v <= 0x5A, scalar: v))
                i += 1
            }
        }
        return out
    }

    /// Whether `a` sorts before `b`.
    public static func precedes(_ a: String, _ b: String) -> Bool { compare(a, b) < 0 }

    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    public static func compare(_ a: String, _ b: String) -> Int { compare(a, elements(a), b, elements(b)) }

    /// `members` in this order (each key's collation elements computed once).
    public static func sorted(_ members: [JSONMember]) -> [JSONMember] {
        if members.count < 2 { return members }
        let keyed = members.map { (elements: elements($0.key), member: $0) }
        return keyed.sorted { compare($0.member.key, $0.elements, $1.member.key, $1.elements) < 0 }.map(\.member)
    }

    private static func compare(_ a: String, _ x: [Element], _ b: String, _ y: [Element]) -> Int {
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        // Primary: characters case-folded, digit runs by value.
        for (p, q) in zip(x, y) {
            let c = primaryCompare(p, q)
            if c != 0 { return c }
        }
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        // Ties: lowercase before uppercase, then fewer leading zeros, then scalar values.
        for (p, q) in zip(x, y) {
            if case let .character(_, pu, _) = p, case let .character(_, qu, _) = q, pu != qu { return pu ? 1 : -1 }
        }
        for (p, q) in zip(x, y) {
            if case let .digits(_, pl) = p, case let .digits(_, ql) = q, pl != ql { return pl < ql ? -1 : 1 }
        }
        return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
    }

    private static func primaryCompare(_ p: Element, _ q: Element) -> Int {
        switch (p, q) {
        case let (.digits(a, _), .digits(b, _)):
            if a.count != b.count { return a.count < b.count ? -1 : 1 }
            for (u, v) in zip(a, b) where u != v { return u < v ? -1 : 1 }
            return 0
        case let (.digits, .character(rank, _, _)):
            return digitRank < rank ? -1 : 1
        case let (.character(rank, _, _), .digits):
            return rank < digitRank ? -1 : 1
        case let (.character(r, _, s), .character(t, _, u)):
            if r != t { return r < t ? -1 : 1 }
            if r == -1, s != u { return s < u ? -1 : 1 }  // other control characters: by value
            return 0
        }
    }
}
