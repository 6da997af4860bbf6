// The keys and values of every searched prefix, stored once in a prefix trie: Saffron-1's trie-based
// KV caching (Qiu et al. 2025, arXiv 2506.06444). In a tree search many branches share a prefix (the
// prompt, then their common ancestors); a batched `KVCache` holds one copy per row, and a search that
// re-prefills its contexts recomputes them at every step. Here node n of the trie is one position of
// one token sequence, and it holds that position's keys and values for every layer. A position's keys
// and values depend only on the tokens up to it (causal attention, positions counted from the first
// real token), so every sequence that passes through the node can reuse them.
//
// A forward over B sequences asks the trie how much of each is stored (`matchedLength`), copies the
// stored positions into a fresh left-padded `KVCache` (`gather`), runs the model only on the positions
// that were not stored, and stores the new positions (`insert`). The searchers' side (which positions
// to reuse, what it saves) is `Search/TrieForward.swift`.
import TensorCore

public final class TrieKVCache {
    /// Children of each node by token id; node 0 is the empty root (no position).
    private var children: [[Int: Int]] = [[:]]
    /// Node n's block starts at (n − 1)·stride: for each layer, keys (Hkv·D) then values (Hkv·D).
    private var blocks: [Float] = []
    public let layers: Int
    /// Hkv·D floats per position per layer for keys (and as many for values).
    public let width: Int
    private let kvHeads: Int, headDimension: Int
    private var stride: Int { 2 * layers * width }

    public init(layers: Int, kvHeads: Int, headDimension: Int) {
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDimension = headDimension
        width = kvHeads * headDimension
    }

    /// An empty trie shaped like `model`'s cache.
    public convenience init(model: any LanguageModel) {
        let probe = model.makeCache(batch: 1, capacity: 1)
        self.init(layers: probe.keys.count, kvHeads: probe.keys.first?.shape[2] ?? 1, headDimension: probe.keys.first?.shape[3] ?? 1)
    }

    /// Positions stored (one per trie node); each is kept once however many sequences share it.
    public var storedPositions: Int { children.count - 1 }

    /// Forgets every stored position.
    public func removeAll() {
        children = [[:]]
        blocks.removeAll(keepingCapacity: true)
    }

    /// How many leading positions of `ids` are stored.
    public func matchedLength(_ ids: [Int]) -> Int {
        var node = 0, n = 0
        for t in ids {
            guard let next = children[node][t] else { break }
            node = next
            n += 1
        }
        return n
    }

    /// A cache of `rows.count` rows, `length` positions filled, room for `capacity`: row b holds the
    /// stored positions of `rows[b][0 ..< reuse[b]]` right-aligned at `length − reuse[b] ..< length`;
    /// the positions before them are left padding (zeros, masked by the caller).
    public func gather(_ rows: [[Int]], reuse: [Int], length: Int, capacity: Int) -> KVCache {
        precondition(rows.count == reuse.count && length <= capacity, "TrieKVCache.gather: bad layout")
        let cache = KVCache(layers: layers, batch: rows.count, capacity: capacity, kvHeads: kvHeads, headDimension: headDimension)
        cache.length = length
        let pointers = (0 ..< layers).map { l in (cache.keys[l].unsafeMutablePointer, cache.values[l].unsafeMutablePointer) }
        blocks.withUnsafeBufferPointer { store in
            for (b, ids) in rows.enumerated() {
                precondition(reuse[b] <= length, "TrieKVCache.gather: row \(b) reuses \(reuse[b]) of \(length) positions")
                var node = 0
                for j in 0 ..< reuse[b] {
                    guard let next = children[node][ids[j]] else { preconditionFailure("TrieKVCache.gather: position \(j) of row \(b) is not stored") }
                    node = next
                    let block = store.baseAddress! + (node - 1) * stride
                    let position = b * capacity + length - reuse[b] + j
                    for l in 0 ..< layers {
                        (pointers[l].0 + position * width).update(from: block + 2 * l * width, count: width)
                        (pointers[l].1 + position * width).update(from: block + (2 * l + 1) * width, count: width)
                    }
                }
            }
        }
        return cache
    }

    /// Stores the first `counts[b]` positions of `rows[b]`, which `cache` holds in row b starting at
    /// position `offsets[b]`; positions already stored are left as they are.
    public func insert(_ rows: [[Int]], from cache: KVCache, offsets: [Int], counts: [Int]) {
        precondition(rows.count == cache.batch && offsets.count == rows.count && counts.count == rows.count, "TrieKVCache.insert: bad layout")
        let pointers = (0 ..< layers).map { l in (cache.keys[l].unsafePointer, cache.values[l].unsafePointer) }
        for (b, ids) in rows.enumerated() {
            precondition(offsets[b] + counts[b] <= cache.length && counts[b] <= ids.count, "TrieKVCache.insert: row \(b) beyond the cache")
            var node = 0
            for j in 0 ..< counts[b] {
                if let next = children[node][ids[j]] {
                    node = next
                    continue
                }
                children.append([:])
                let created = children.count - 1
                children[node][ids[j]] = created
                node = created
                let position = b * cache.capacity + offsets[b] + j
                for l in 0 ..< layers {
                    blocks.append(contentsOf: UnsafeBufferPointer(start: pointers[l].0 + position * width, count: width))
                    blocks.append(contentsOf: UnsafeBufferPointer(start: pointers[l].1 + position * width, count: width))
                }
            }
        }
    }
}
