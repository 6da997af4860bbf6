// Byte-pair encoding over bytes.
//
// Merging follows `tokenizers`' `Word::merge_all` (port of huggingface/tokenizers @ 0.23.3, tokenizers/src/
// models/bpe/word.rs): the pair with the lowest merge rank is merged first, ties go to the leftmost
// position; symbols live in a doubly linked list and candidate pairs in a binary min-heap with lazy
// deletion, so a word of n symbols costs O(n log n). llama.cpp's `llm_tokenizer_bpe_session` uses
// the same order, so the two agree. Results are cached per pre-token.
import Foundation

/// One token of a BPE-encoded word: its id and its byte range inside the word.
struct BPEToken: Sendable, Equatable {
    var id: Int32
    var start: Int32
    var end: Int32
}

/// A BPE model: a vocabulary keyed by bytes and a ranked list of merges.
///
/// In byte-level mode (GPT-2, Llama-3, Qwen2, SmolLM…) a word starts as one symbol per byte. In
/// character mode (SentencePiece-style BPE) it starts as one symbol per Unicode scalar, with
/// `byteFallback` to `<0xXX>` tokens or the unknown token for characters outside the vocabulary.
public final class BPEModel: Sendable {
    /// The bytes of each id (nil where the id is not in the model's vocabulary).
    public let tokenBytes: [[UInt8]?]
    /// Each id's token as written in the vocabulary file (byte-level strings for byte-level models).
    public let tokenStrings: [String?]
    /// Bytes → id. When two ids share bytes, the lower id is kept here.
    public let vocab: [TokenBytes: Int]
    /// Merges in rank order, as (left id, right id, merged id).
    public let merges: [Merge]
    public let isByteLevel: Bool
    public let unknownTokenID: Int?
    public let fuseUnknown: Bool
    public let byteFallback: Bool
    /// When the whole word is a token, use it without merging (Llama-3's `ignore_merges`).
    public let ignoreMerges: Bool

    public struct Merge: Sendable, Equatable {
        public var left: Int
        public var right: Int
        public var result: Int
    }

    /// (left << 32 | right) → (rank << 32 | result).
    let mergeTable: [UInt64: UInt64]
    /// Id of the single-byte token for each byte (-1 when missing).
    let byteTokenIDs: [Int32]
    /// Id of `<0xXX>` for each byte (-1 when missing); used with `byteFallback`.
    let fallbackTokenIDs: [Int32]
    let cache = WordCache(capacity: 1 << 16)

    /// Builds a model from resolved parts. Merges must already name existing ids (loaders check
    /// this and report the file and JSON path); a merge whose result is not in the vocabulary is
    /// a caller bug.
    /// `ranks`: each merge's priority (lower first; equal ranks go left to right), by default its
    /// index. SentencePiece models rank by the merged piece's score, so that every split of one piece
    /// (and pieces of equal score) share a rank, as llama.cpp's SPM tokenizer compares them.
    init(tokenBytes: [[UInt8]?], tokenStrings: [String?], merges: [Merge], isByteLevel: Bool,
         unknownTokenID: Int?, fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool, ranks: [Int]? = nil)
    {
        precondition(ranks == nil || ranks?.count == merges.count, "BPEModel: \(ranks?.count ?? 0) ranks for \(merges.count) merges")
        precondition(tokenBytes.count == tokenStrings.count, "BPEModel: \(tokenBytes.count) byte entries vs \(tokenStrings.count) strings")
        self.tokenBytes = tokenBytes
        self.tokenStrings = tokenStrings
        var vocab: [TokenBytes: Int] = [:]
        vocab.reserveCapacity(tokenBytes.count)
        for (id, bytes) in tokenBytes.enumerated() {
            guard let bytes else { continue }
            let key = TokenBytes(bytes)
            if vocab[key] == nil { vocab[key] = id }
        }
        self.vocab = vocab
        self.merges = merges
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            let key = UInt64(UInt32(merge.left)) << 32 | UInt64(UInt32(merge.right))
            if table[key] == nil {  // first (lowest-rank) occurrence wins, as in llama.cpp
                table[key] = UInt64(ranks?[index] ?? index) << 32 | UInt64(UInt32(merge.result))
            }
        }
        self.mergeTable = table
        self.isByteLevel = isByteLevel
        self.unknownTokenID = unknownTokenID
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var byteIDs = [Int32](repeating: -1, count: 256)
        var fallbackIDs = [Int32](repeating: -1, count: 256)
        for byte in 0 ..< 256 {
            if let id = vocab[TokenBytes([UInt8(byte)])] { byteIDs[byte] = Int32(id) }
            let hex = String(byte, radix: 16, uppercase: true)
            let name = "<0x" + (hex.count == 1 ? "0" : "") + hex + ">"
            if let id = vocab[TokenBytes(name)] { fallbackIDs[byte] = Int32(id) }
        }
        self.byteTokenIDs = byteIDs
        self.fallbackTokenIDs = fallbackIDs
    }

    /// Number of ids (including holes).
    public var count: Int { tokenBytes.count }

    /// Resolves merges given as token strings (vocabulary spelling) into ids.
    /// `describe(i)` names merge `i` for errors (e.g. `model.merges[i]`).
    static func resolveMerges(_ pairs: [(String, String)], vocabByString: (String) -> Int?,
                              error: (Int, String) -> TokenizerError) throws -> [Merge]
    {
        var merges: [Merge] = []
        merges.reserveCapacity(pairs.count)
        for (i, pair) in pairs.enumerated() {
            guard let left = vocabByString(pair.0) else { throw error(i, pair.0) }
            guard let right = vocabByString(pair.1) else { throw error(i, pair.1) }
            guard let result = vocabByString(pair.0 + pair.1) else { throw error(i, pair.0 + pair.1) }
            merges.append(Merge(left: left, right: right, result: result))
        }
        return merges
    }

    /// Encodes one pre-token (raw bytes) into tokens with byte ranges inside `word`.
    func tokenize(_ word: [UInt8]) -> [BPEToken] {
        let n = word.count
        if n == 0 { return [] }
        if ignoreMerges || n == 1, let id = vocab[TokenBytes(word)] {
            return [BPEToken(id: Int32(id), start: 0, end: Int32(n))]
        }
        if let cached = cache.get(word) { return cached }
        let result = merge(initialSymbols(word))
        cache.set(word, result)
        return result
    }

    private struct Symbol {
        var id: Int32
        var start: Int32
        var end: Int32
        var prev: Int32
        var next: Int32
    }

    private func initialSymbols(_ word: [UInt8]) -> [Symbol] {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        func append(_ id: Int32, _ range: Range<Int>) {
            symbols.append(Symbol(id: id, start: Int32(range.lowerBound), end: Int32(range.upperBound), prev: -1, next: -1))
        }
        func appendUnknown(_ range: Range<Int>) {
            guard let unk = unknownTokenID else { return }  // no unk token: the bytes are dropped
            if fuseUnknown, let last = symbols.last, last.id == Int32(unk), last.end == Int32(range.lowerBound) {
                symbols[symbols.count - 1].end = Int32(range.upperBound)
            } else {
                append(Int32(unk), range)
            }
        }
        if isByteLevel {
            for (i, byte) in word.enumerated() {
                let id = byteTokenIDs[Int(byte)]
                if id >= 0 { append(id, i ..< i + 1) } else { appendUnknown(i ..< i + 1) }
            }
        } else {
            forEachScalar(in: word) { _, range in
                if range.count == 1, byteTokenIDs[Int(word[range.lowerBound])] >= 0 {
                    append(byteTokenIDs[Int(word[range.lowerBound])], range)
                } else if let id = vocab[TokenBytes(Array(word[range]))] {
                    append(Int32(id), range)
                } else if byteFallback, range.allSatisfy({ fallbackTokenIDs[Int(word[$0])] >= 0 }) {
                    for i in range { append(fallbackTokenIDs[Int(word[i])], i ..< i + 1) }
                } else {
                    appendUnknown(range)
                }
            }
        }
        for i in symbols.indices {
            symbols[i].prev = Int32(i - 1)
            symbols[i].next = i + 1 < symbols.count ? Int32(i + 1) : -1
        }
        return symbols
    }

    @inline(__always)
    private func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
        mergeTable[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))]
    }

    private func merge(_ initial: [Symbol]) -> [BPEToken] {
        var symbols = initial
        if symbols.count > 1 {
            var heap = MergeHeap()
            for i in 0 ..< symbols.count - 1 {
                if let m = lookup(symbols[i].id, symbols[i + 1].id) { heap.push(rank: m >> 32, position: i, result: Int32(truncatingIfNeeded: m)) }
            }
            while let top = heap.pop() {
                let pos = top.position
                let current = symbols[pos]
                if current.id < 0 || current.next < 0 { continue }  // removed, or last symbol
                let nextIndex = Int(current.next)
                let right = symbols[nextIndex]
                // Skip stale entries: the pair here must still produce the same token.
                guard let m = lookup(current.id, right.id), Int32(truncatingIfNeeded: m) == top.result else { continue }
                symbols[pos].id = top.result
                symbols[pos].end = right.end
                symbols[pos].next = right.next
                symbols[nextIndex].id = -1
                if right.next >= 0 { symbols[Int(right.next)].prev = Int32(pos) }
                let merged = symbols[pos]
                if merged.prev >= 0, let m = lookup(symbols[Int(merged.prev)].id, merged.id) {
                    heap.push(rank: m >> 32, position: Int(merged.prev), result: Int32(truncatingIfNeeded: m))
                }
                if merged.next >= 0, let m = lookup(merged.id, symbols[Int(merged.next)].id) {
                    heap.push(rank: m >> 32, position: pos, result: Int32(truncatingIfNeeded: m))
                }
            }
        }
        var tokens: [BPEToken] = []
        tokens.reserveCapacity(symbols.count)
        for symbol in symbols where symbol.id >= 0 {
            tokens.append(BPEToken(id: symbol.id, start: symbol.start, end: symbol.end))
        }
        return tokens
    }
}

/// A binary min-heap of merge candidates ordered by (rank, position).
struct MergeHeap {
    struct Entry {
        var key: UInt64  // rank << 32 | position
        var result: Int32
        var position: Int { Int(key & 0xFFFF_FFFF) }
    }

    private var entries: [Entry] = []

    mutating func push(rank: UInt64, position: Int, result: Int32) {
        entries.append(Entry(key: rank << 32 | UInt64(position), result: result))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if entries[parent].key <= entries[child].key { break }
            entries.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            let count = entries.count
            while true {
                let left = 2 * parent + 1
                if left >= count { break }
                var smallest = left
                if left + 1 < count && entries[left + 1].key < entries[left].key { smallest = left + 1 }
                if entries[parent].key <= entries[smallest].key { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}

/// A bounded, thread-safe cache of BPE results per pre-token.
final class WordCache: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var storage: [[UInt8]: [BPEToken]] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ word: [UInt8]) -> [BPEToken]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func set(_ word: [UInt8], _ tokens: [BPEToken]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = tokens
    }
}
