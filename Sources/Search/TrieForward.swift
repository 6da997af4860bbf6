// One forward pass that yields the next-token logits of B token sequences, with or without a trie KV
// cache (Saffron-1, arXiv 2506.06444). Saffron's search asks this of the policy and of the
// multifurcation reward model at every depth, for nodes that each extend a stored parent by one token.
//
// Layout: the standard left-padded batch of width W = the longest sequence. Without a trie the whole
// batch runs (B·W positions). With one, row b has r_b = min(stored, len_b − 1) positions stored; the
// pass runs only the last T = max_b (len_b − r_b) columns, on a cache gathered from the trie that holds
// the first W − T columns, so each row reuses max(0, len_b − T) ≤ r_b stored positions and the layout
// stays left padding only (no holes). It runs B·T positions and saves B·(W − T); the new positions are
// stored for the next pass.
import Autograd
import Models
import TensorCore

public struct ForwardWork: Sendable, Equatable {
    /// Positions the model computed (padding included).
    public var positions: Int
    /// Positions a forward without the trie would have computed on top (B·W − positions).
    public var saved: Int

    public init(positions: Int, saved: Int) {
        self.positions = positions
        self.saved = saved
    }
}

public enum TrieForward {
    /// Logits [B, V] at the last position of every sequence (each non-empty), and the work done.
    public static func lastLogits(_ model: any LanguageModel, _ sequences: [[Int]], padID: Int, trie: TrieKVCache?) -> (logits: Tensor, work: ForwardWork) {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty }, "TrieForward: empty sequence")
        let B = sequences.count
        let W = sequences.map(\.count).max()!
        let offsets = sequences.map { W - $0.count }
        let T = trie.map { t in sequences.map { $0.count - min(t.matchedLength($0), $0.count - 1) }.max()! } ?? W
        let L = W - T
        let reuse = sequences.map { max(0, $0.count - T) }
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: padID), count: B * T)
        var mask = [Float](repeating: 0, count: B * W)
        for (b, s) in sequences.enumerated() {
            for q in offsets[b] ..< W {
                mask[b * W + q] = 1
                if q >= L { ids[b * T + q - L] = Int32(truncatingIfNeeded: s[q - offsets[b]]) }
            }
        }
        let needsMask = offsets.contains { $0 > 0 }
        let cache = trie.map { $0.gather(sequences, reuse: reuse, length: L, capacity: W) }
        let logits: Tensor = withoutGradients {
            let h = model.hiddenStates(IndexTensor(shape: [B, T], data: ids), attentionMask: needsMask ? Tensor(shape: [B, W], data: mask) : nil,
                                       cache: cache).value
            return SharedPrefixDecoding.lastLogits(model, h)
        }
        if let trie, let cache { trie.insert(sequences, from: cache, offsets: offsets, counts: sequences.map(\.count)) }
        return (logits, ForwardWork(positions: B * T, saved: B * (W - T)))
    }
}
