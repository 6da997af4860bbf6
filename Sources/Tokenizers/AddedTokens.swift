// Added and special tokens: split off before anything else, longest match first.
// Port of huggingface/tokenizers @ 0.23.3, tokenizers/src/tokenizer/added_vocabulary.rs (`find_matches`,
// `extract_and_normalize`): leftmost-longest matching, `single_word`, `lstrip`, `rstrip`, and
// `normalized` tokens matched on normalised text.
import Support
import Foundation

/// A token matched literally in the input before normalisation and pre-tokenisation.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Only match when not inside a word (no alphanumeric character right before or after).
    public var singleWord: Bool
    /// Also consume the whitespace on the left of a match.
    public var lstrip: Bool
    /// Also consume the whitespace on the right of a match.
    public var rstrip: Bool
    /// Match against normalised text instead of the raw input.
    public var normalized: Bool
    /// A special (control) token: skipped by `decode(skipSpecialTokens: true)`.
    public var special: Bool

    public init(id: Int, content: String, special: Bool, singleWord: Bool = false, lstrip: Bool = false,
                rstrip: Bool = false, normalized: Bool? = nil)
    {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized ?? !special  // tokenizers' default
    }

    init(node: JSONNode) throws {
        let special = try node.bool("special", default: false)
        let idNode = try node.required("id")
        let id = try idNode.int()
        guard id >= 0 else { throw idNode.invalid("token id \(id) out of range") }
        self.init(
            id: id,
            content: try node.required("content").string(),
            special: special,
            singleWord: try node.bool("single_word", default: false),
            lstrip: try node.bool("lstrip", default: false),
            rstrip: try node.bool("rstrip", default: false),
            normalized: try node["normalized"]?.bool())
    }

    var json: JSONValue {
        .object([
            JSONMember("id", .integer(id)), JSONMember("content", .string(content)),
            JSONMember("single_word", .bool(singleWord)), JSONMember("lstrip", .bool(lstrip)),
            JSONMember("rstrip", .bool(rstrip)), JSONMember("normalized", .bool(normalized)),
            JSONMember("special", .bool(special)),
        ])
    }
}

/// Finds added tokens in bytes: a byte trie walked from every position (leftmost-longest).
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        var token: Int32 = -1  // index into `tokens`
    }

    let tokens: [AddedToken]
    private var nodes: [Node] = [Node()]
    /// Whether some token starts with this byte (lets the scan skip most positions cheaply).
    private var startsToken = [Bool](repeating: false, count: 256)

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        for (index, token) in tokens.enumerated() {
            let bytes = Array(token.content.utf8)
            if bytes.isEmpty { continue }
            startsToken[Int(bytes[0])] = true
            var node = 0
            for byte in bytes {
                if let child = nodes[node].children[byte] {
                    node = Int(child)
                } else {
                    nodes.append(Node())
                    nodes[node].children[byte] = Int32(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            if nodes[node].token < 0 { nodes[node].token = Int32(index) }  // first declared wins
        }
    }

    var isEmpty: Bool { nodes[0].children.isEmpty }

    /// A segment of the input: an added token (index into `tokens`) or plain text.
    struct Segment: Equatable {
        var range: Range<Int>
        var token: Int?  // index into `tokens`
    }

    /// Splits `bytes` into text and added-token segments covering it (empty text segments omitted).
    /// `skipSpecial` ignores special tokens (they are then encoded as ordinary text).
    func split(_ bytes: [UInt8], skipSpecial: Bool = false) -> [Segment] {
        if isEmpty || bytes.isEmpty { return bytes.isEmpty ? [] : [Segment(range: 0 ..< bytes.count, token: nil)] }
        var segments: [Segment] = []
        var textStart = 0  // start of the pending text segment
        var position = 0
        let n = bytes.count
        while position < n {
            if !startsToken[Int(bytes[position])] {
                position += 1
                continue
            }
            // Longest token starting at `position`.
            var node = 0
            var best = -1
            var bestEnd = position
            var i = position
            while i < n, let child = nodes[node].children[bytes[i]] {
                node = Int(child)
                i += 1
                let t = Int(nodes[node].token)
                if t >= 0 && !(skipSpecial && tokens[t].special) {
                    best = t
                    bestEnd = i
                }
            }
            guard best >= 0 else {
                position += 1
                continue
            }
            let token = tokens[best]
            var start = position
            var end = bestEnd
            if token.singleWord {
                let before = lastScalar(in: bytes, before: start)
                let after = firstScalar(in: bytes, from: end)
                if before.map({ $0.isAlphanumericRust }) == true || after.map({ $0.isAlphanumericRust }) == true {
                    position += 1
                    continue
                }
            }
            if token.lstrip {
                while start > textStart, let scalar = lastScalar(in: bytes, before: start), scalar.isWhitespaceProperty {
                    start -= String(scalar).utf8.count
                }
            }
            if token.rstrip {
                while end < n, let scalar = firstScalar(in: bytes, from: end), scalar.isWhitespaceProperty {
                    end += String(scalar).utf8.count
                }
            }
            if start > textStart { segments.append(Segment(range: textStart ..< start, token: nil)) }
            segments.append(Segment(range: start ..< end, token: best))
            textStart = end
            position = end
        }
        if textStart < n { segments.append(Segment(range: textStart ..< n, token: nil)) }
        return segments
    }

    private func lastScalar(in bytes: [UInt8], before index: Int) -> Unicode.Scalar? {
        guard index > 0 else { return nil }
        var start = index - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        var result: Unicode.Scalar?
        forEachScalar(in: Array(bytes[start ..< index])) { scalar, _ in result = scalar }
        return result
    }

    private func firstScalar(in bytes: [UInt8], from index: Int) -> Unicode.Scalar? {
        guard index < bytes.count else { return nil }
        let length = min(utf8SequenceLength(bytes[index]), bytes.count - index)
        var result: Unicode.Scalar?
        forEachScalar(in: Array(bytes[index ..< index + length])) { scalar, _ in
            if result == nil { result = scalar }
        }
        return result
    }
}
