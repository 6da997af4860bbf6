// Training a byte-level BPE tokenizer.
//
// The algorithm is `tokenizers`' `BpeTrainer::do_train` (port of huggingface/tokenizers @ 0.23.3,
// tokenizers/src/models/bpe/trainer.rs and word.rs), so that for the same corpus and settings the
// vocabulary and merges come out identical to Python's
// `BpeTrainer(vocab_size=…, special_tokens=…, initial_alphabet=ByteLevel.alphabet())`:
//   1. ids: the special tokens in the given order, then the 256 byte tokens sorted by the code point
//      of their byte-level character ("!" … "~", "¡" …, then "Ā" = byte 0, …);
//   2. words: the corpus is normalised and pre-tokenised; each distinct word is counted;
//   3. repeatedly merge the most frequent adjacent pair. Ties are broken by the smaller pair of ids
//      (left id first, then right id), i.e. in favour of older, earlier-sorted tokens. Pair counts
//      are updated incrementally; a max-heap with lazy re-scoring picks the next pair;
//   4. stop at `vocabularySize` tokens, or when no pair occurs `minFrequency` times (at least once).
// Everything is deterministic: no hashing order reaches the result.
import Foundation

/// Trains a byte-level BPE tokenizer from a corpus.
public struct BPETrainer: Sendable {
    /// Target number of tokens (special tokens + 256 bytes + merges).
    public var vocabularySize: Int
    /// Special tokens, given the first ids in this order; they are added tokens of the result.
    public var specialTokens: [String]
    /// How the corpus is split into words; must contain a `ByteLevel` step.
    public var preTokenizer: PreTokenizer
    public var normalizer: Normalizer?
    /// Pairs seen fewer times than this are never merged.
    public var minFrequency: Int
    /// Longest token, in bytes (nil: unlimited).
    public var maxTokenLength: Int?

    public init(vocabularySize: Int, specialTokens: [String] = [], preTokenizer: PreTokenizer = .gpt2,
                normalizer: Normalizer? = nil, minFrequency: Int = 0, maxTokenLength: Int? = nil)
    {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.preTokenizer = preTokenizer
        self.normalizer = normalizer
        self.minFrequency = minFrequency
        self.maxTokenLength = maxTokenLength
    }

    /// Progress of `train`: merges done so far and the most that can be done.
    public struct Progress: Sendable {
        public var merges: Int
        public var maxMerges: Int
    }

    /// Trains on `corpus` (one document per element). `progress` is called now and then.
    public func train(_ corpus: [String], progress: ((Progress) -> Void)? = nil) throws -> Tokenizer {
        guard preTokenizer.isByteLevel else {
            throw TokenizerError.invalidArgument("BPETrainer: the pre-tokenizer must contain a ByteLevel step (got \(preTokenizer))")
        }
        let pre = try PreTokenizerPipeline(preTokenizer)
        let norm = try normalizer.map { try NormalizerPipeline($0) }

        // 1. Vocabulary: special tokens, then the byte alphabet.
        var spellings: [String] = []
        var bytesOf: [[UInt8]] = []
        var idOfSpelling: [TokenBytes: Int32] = [:]
        func addToken(_ spelling: String, _ bytes: [UInt8]) -> Int32 {
            if let id = idOfSpelling[TokenBytes(spelling)] { return id }
            let id = Int32(spellings.count)
            spellings.append(spelling)
            bytesOf.append(bytes)
            idOfSpelling[TokenBytes(spelling)] = id
            return id
        }
        var specialIDs: [Int] = []
        for token in specialTokens { specialIDs.append(Int(addToken(token, Array(token.utf8)))) }
        var byteID = [Int32](repeating: 0, count: 256)
        for byte in (0 ..< 256).sorted(by: { ByteLevel.scalars[$0].value < ByteLevel.scalars[$1].value }) {
            byteID[byte] = addToken(String(Character(ByteLevel.scalars[byte])), [UInt8(byte)])
        }
        let minimum = spellings.count
        guard vocabularySize >= minimum else {
            throw TokenizerError.invalidArgument("BPETrainer: vocabularySize \(vocabularySize) is below the \(minimum) special and byte tokens")
        }

        // 2. Count words.
        let wordCounts = countWords(corpus, pre: pre, norm: norm)
        // Sort for determinism of everything downstream (the result does not depend on it).
        let sortedWords = wordCounts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        var words: [[Symbol]] = sortedWords.map { word in word.map { Symbol(id: byteID[Int($0)], length: 1) } }
        let counts: [Int] = sortedWords.map { wordCounts[$0]! }

        // 3. Pair counts and where each pair occurs.
        var pairCounts: [UInt64: Int] = [:]
        var whereToUpdate: [UInt64: Set<Int32>] = [:]
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0 ..< word.count - 1 {
                let pair = BPETrainer.pair(word[i].id, word[i + 1].id)
                pairCounts[pair, default: 0] += counts[w]
                whereToUpdate[pair, default: []].insert(Int32(w))
            }
        }
        var queue = PairQueue()
        for (pair, positions) in whereToUpdate {
            let count = pairCounts[pair] ?? 0
            if count > 0 { queue.push(PairQueue.Entry(count: count, pair: pair, positions: positions)) }
        }
        whereToUpdate.removeAll()

        // 4. Merge.
        let maxLength = maxTokenLength ?? Int.max
        var merges: [BPEModel.Merge] = []
        let maxMerges = vocabularySize - minimum
        while spellings.count < vocabularySize, var top = queue.pop() {
            let current = pairCounts[top.pair] ?? 0
            if top.count != current {
                top.count = current
                queue.push(top)
                continue
            }
            if top.count < 1 || minFrequency > top.count { break }
            let left = Int32(truncatingIfNeeded: top.pair >> 32)
            let right = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let newID = addToken(spellings[Int(left)] + spellings[Int(right)], bytesOf[Int(left)] + bytesOf[Int(right)])
            merges.append(BPEModel.Merge(left: Int(left), right: Int(right), result: Int(newID)))

            for w in top.positions.sorted() {
                let changes = BPETrainer.merge(&words[Int(w)], left, right, newID, maxLength: maxLength)
                for (pair, change) in changes {
                    pairCounts[pair, default: 0] += change * counts[Int(w)]
                    if change > 0 { whereToUpdate[pair, default: []].insert(w) }
                }
            }
            for (pair, positions) in whereToUpdate.sorted(by: { $0.key < $1.key }) {
                let count = pairCounts[pair] ?? 0
                if count > 0 { queue.push(PairQueue.Entry(count: count, pair: pair, positions: positions)) }
            }
            whereToUpdate.removeAll(keepingCapacity: true)
            if let progress, merges.count % 100 == 0 { progress(Progress(merges: merges.count, maxMerges: maxMerges)) }
        }
        progress?(Progress(merges: merges.count, maxMerges: maxMerges))

        // 5. The tokenizer.
        let model = BPEModel(tokenBytes: bytesOf, tokenStrings: spellings, merges: merges, isByteLevel: true,
                             unknownTokenID: nil, fuseUnknown: false, byteFallback: false, ignoreMerges: false)
        let added = zip(specialIDs, specialTokens).map { AddedToken(id: $0.0, content: $0.1, special: true, normalized: false) }
        return try Tokenizer(model: model, normalizer: normalizer, preTokenizer: preTokenizer, decoder: .byteLevel,
                             addedTokens: added)
    }

    struct Symbol {
        var id: Int32
        var length: Int32
    }

    @inline(__always)
    static func pair(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// Merges every (c1, c2) in `word`, left to right, returning the pair-count changes
    /// (`tokenizers`' `Word::merge`).
    static func merge(_ word: inout [Symbol], _ c1: Int32, _ c2: Int32, _ replacement: Int32, maxLength: Int) -> [(UInt64, Int)] {
        var changes: [(UInt64, Int)] = []
        var i = 0
        while i < word.count {
            if word[i].id == c1, i + 1 < word.count, word[i + 1].id == c2 {
                let first = word[i]
                let second = word[i + 1]
                let newLength = Int(first.length) + Int(second.length)
                if i > 0 {
                    changes.append((pair(word[i - 1].id, first.id), -1))
                    if Int(word[i - 1].length) + newLength < maxLength { changes.append((pair(word[i - 1].id, replacement), 1)) }
                }
                word[i] = Symbol(id: replacement, length: Int32(newLength))
                word.remove(at: i + 1)
                if i < word.count - 1 {
                    changes.append((pair(second.id, word[i + 1].id), -1))
                    if Int(word[i + 1].length) + newLength < maxLength { changes.append((pair(replacement, word[i + 1].id), 1)) }
                }
            }
            i += 1
        }
        return changes
    }

    /// Distinct pre-tokenised words (raw bytes) with their counts, counted in parallel chunks.
    private func countWords(_ corpus: [String], pre: PreTokenizerPipeline, norm: NormalizerPipeline?) -> [[UInt8]: Int] {
        let chunks = max(1, min(corpus.count, ProcessInfo.processInfo.activeProcessorCount * 4))
        let partial = ResultBox<[[UInt8]: Int]>(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var counts: [[UInt8]: Int] = [:]
            var index = chunk
            while index < corpus.count {
                let text = AlignedText(bytes: Array(corpus[index].utf8), base: 0)
                let normalized = norm?.run(text) ?? text
                for word in pre.run(normalized) { counts[word.bytes, default: 0] += 1 }
                index += chunks
            }
            partial.set(chunk, counts)
        }
        var total: [[UInt8]: Int] = [:]
        for counts in partial.values {
            for (word, count) in counts { total[word, default: 0] += count }
        }
        return total
    }
}

/// A max-heap of candidate pairs: highest count first, then the smallest (left, right) pair.
struct PairQueue {
    struct Entry {
        var count: Int
        var pair: UInt64
        var positions: Set<Int32>
    }

    private var entries: [Entry] = []

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !PairQueue.before(entries[child], entries[parent]) { break }
            entries.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            var best = left
            if left + 1 < count && PairQueue.before(entries[left + 1], entries[left]) { best = left + 1 }
            if !PairQueue.before(entries[best], entries[parent]) { break }
            entries.swapAt(parent, best)
            parent = best
        }
        return top
    }
}
