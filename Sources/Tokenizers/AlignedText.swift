// Text being normalised and pre-tokenised, with a map back to byte offsets in the original input.
import Foundation

/// UTF-8 bytes plus, for every byte, the range of original-input bytes it came from.
///
/// While nothing has changed the text, the map is the identity shifted by `base` and costs
/// nothing; normalisers and prefix insertions switch to explicit per-byte tables. This mirrors
/// `tokenizers`' `NormalizedString` alignments at byte granularity.
struct AlignedText {
    var bytes: [UInt8]
    /// Per-byte original start and end, or nil for the identity map `base + i`.
    var starts: [Int]?
    var ends: [Int]?
    var base: Int

    init(bytes: [UInt8], base: Int) {
        self.bytes = bytes
        self.base = base
    }

    init(bytes: [UInt8], starts: [Int], ends: [Int]) {
        self.bytes = bytes
        self.starts = starts
        self.ends = ends
        self.base = starts.first ?? 0
    }

    var isEmpty: Bool { bytes.isEmpty }
    var count: Int { bytes.count }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Original start of byte `i`.
    func originalStart(_ i: Int) -> Int { starts?[i] ?? base + i }
    /// Original end of byte `i`.
    func originalEnd(_ i: Int) -> Int { ends?[i] ?? base + i + 1 }

    /// The original byte range covered by the bytes `range` of this text.
    func originalRange(_ range: Range<Int>) -> Range<Int> {
        guard let starts, let ends else { return base + range.lowerBound ..< base + range.upperBound }
        if range.isEmpty {
            let at = range.lowerBound < starts.count ? starts[range.lowerBound] : (ends.last ?? base)
            return at ..< at
        }
        var lower = Int.max
        var upper = Int.min
        for i in range {
            lower = min(lower, starts[i])
            upper = max(upper, ends[i])
        }
        return lower ..< max(lower, upper)
    }

    /// Original offset at which this text begins (used by Metaspace's `prepend_scheme: first`).
    var originalStartOffset: Int { bytes.isEmpty ? base : originalStart(0) }

    func slice(_ range: Range<Int>) -> AlignedText {
        if let starts, let ends {
            return AlignedText(bytes: Array(bytes[range]), starts: Array(starts[range]), ends: Array(ends[range]))
        }
        return AlignedText(bytes: Array(bytes[range]), base: base + range.lowerBound)
    }

    /// Inserts synthetic bytes at the front. As in `tokenizers`' `NormalizedString::prepend`, they
    /// take the alignment of the first character (so a prefix space "belongs" to the first word).
    mutating func prepend(_ prefix: [UInt8]) {
        let first = bytes.isEmpty ? base ..< base : originalRange(0 ..< min(utf8SequenceLength(bytes[0]), bytes.count))
        var newStarts = [Int](repeating: first.lowerBound, count: prefix.count)
        var newEnds = [Int](repeating: first.upperBound, count: prefix.count)
        newStarts.reserveCapacity(prefix.count + bytes.count)
        newEnds.reserveCapacity(prefix.count + bytes.count)
        for i in 0 ..< bytes.count {
            newStarts.append(originalStart(i))
            newEnds.append(originalEnd(i))
        }
        bytes = prefix + bytes
        starts = newStarts
        ends = newEnds
    }

    /// Builds a text piece by piece: each appended chunk maps to one original range.
    struct Builder {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var ends: [Int] = []

        init(capacity: Int) {
            bytes.reserveCapacity(capacity)
            starts.reserveCapacity(capacity)
            ends.reserveCapacity(capacity)
        }

        mutating func append<S: Collection>(_ chunk: S, original: Range<Int>) where S.Element == UInt8 {
            bytes.append(contentsOf: chunk)
            starts.append(contentsOf: repeatElement(original.lowerBound, count: chunk.count))
            ends.append(contentsOf: repeatElement(original.upperBound, count: chunk.count))
        }

        /// Copies byte `i` of `source` with its own alignment.
        mutating func append(byteAt i: Int, of source: AlignedText) {
            bytes.append(source.bytes[i])
            starts.append(source.originalStart(i))
            ends.append(source.originalEnd(i))
        }

        func build(emptyAt: Int) -> AlignedText {
            if bytes.isEmpty { return AlignedText(bytes: [], base: emptyAt) }
            return AlignedText(bytes: bytes, starts: starts, ends: ends)
        }
    }
}

/// Number of bytes in the UTF-8 sequence that starts with `lead` (1 for stray continuation bytes).
@inline(__always)
func utf8SequenceLength(_ lead: UInt8) -> Int {
    if lead < 0x80 { return 1 }
    if lead >= 0xF0 { return 4 }
    if lead >= 0xE0 { return 3 }
    if lead >= 0xC0 { return 2 }
    return 1
}

/// Calls `body(scalar, byteRange)` for each scalar of valid UTF-8 `bytes`.
@inline(__always)
func forEachScalar(in bytes: [UInt8], _ body: (Unicode.Scalar, Range<Int>) -> Void) {
    var i = 0
    let n = bytes.count
    while i < n {
        let lead = bytes[i]
        let length = min(utf8SequenceLength(lead), n - i)
        var value: UInt32
        switch length {
        case 1: value = UInt32(lead)
        case 2: value = UInt32(lead & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
        case 3: value = UInt32(lead & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
        default:
            value = UInt32(lead & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                | UInt32(bytes[i + 3] & 0x3F)
        }
        body(Unicode.Scalar(value) ?? "\u{FFFD}", i ..< i + length)
        i += length
    }
}
