// Key/value cache for incremental decoding: per layer, keys and values of every position seen so
// far, preallocated to `capacity` so decoding a token appends in place instead of concatenating.
import TensorCore

public final class KVCache {
    /// Most positions the cache can hold.
    public let capacity: Int
    /// Positions written so far (same for every layer once a forward pass finishes).
    public internal(set) var length: Int = 0
    public let batch: Int
    /// Per layer [B, capacity, Hkv, D].
    var keys: [Tensor]
    var values: [Tensor]

    public init(layers: Int, batch: Int, capacity: Int, kvHeads: Int, headDimension: Int) {
        self.capacity = capacity
        self.batch = batch
        keys = (0 ..< layers).map { _ in Tensor(shape: [batch, capacity, kvHeads, headDimension]) }
        values = keys.map { _ in Tensor(shape: [batch, capacity, kvHeads, headDimension]) }
    }

    /// Writes k, v [B, T, Hkv, D] for `layer` at positions length ..< length + T.
    func write(layer: Int, k: Tensor, v: Tensor) {
        let B = k.shape[0], T = k.shape[1], row = k.shape[2] * k.shape[3]
        precondition(B == batch && length + T <= capacity, "KVCache: writing \(T) positions at \(length) of \(capacity) (batch \(B) vs \(batch))")
        keys[layer].makeUnique()
        values[layer].makeUnique()
        let kd = keys[layer].unsafeMutablePointer, vd = values[layer].unsafeMutablePointer
        let ks = k.unsafePointer, vs = v.unsafePointer
        for b in 0 ..< B {
            (kd + (b * capacity + length) * row).update(from: ks + b * T * row, count: T * row)
            (vd + (b * capacity + length) * row).update(from: vs + b * T * row, count: T * row)
        }
    }

    /// Forgets everything (the buffers are kept).
    public func reset() { length = 0 }

    /// Forgets every position from `newLength` on (speculative decoding's rollback of rejected draft
    /// tokens): the next write lands at `newLength`, and positions count from there.
    public func truncate(to newLength: Int) {
        precondition((0 ... length).contains(newLength), "KVCache.truncate: \(newLength) is not within 0…\(length)")
        length = newLength
    }

    /// Keeps only the batch rows in `rows` (in that order), e.g. after some sequences finished.
    public func selectRows(_ rows: [Int]) -> KVCache {
        let out = KVCache(layers: keys.count, batch: rows.count, capacity: capacity,
                          kvHeads: keys.first?.shape[2] ?? 1, headDimension: keys.first?.shape[3] ?? 1)
        out.length = length
        for l in 0 ..< keys.count {
            out.keys[l] = Tensor.concatenate(rows.map { keys[l].rows($0 ..< $0 + 1) }, axis: 0)
            out.values[l] = Tensor.concatenate(rows.map { values[l].rows($0 ..< $0 + 1) }, axis: 0)
        }
        return out
    }
}

/// Absolute positions of `count` new tokens starting at `start`: shared 0-based positions when there
/// is no mask; with an attention mask [B, start + count] (1 = token, 0 = padding), each row counts only
/// its real tokens (position = cumulative mask − 1, clamped at 0), as transformers' generate does, so a
/// left-padded row sees the same positions as the unpadded sequence.
public func tokenPositions(start: Int, count: Int, batch: Int, attentionMask: Tensor?) -> [Int] {
    guard let mask = attentionMask else { return Array(start ..< start + count) }
    let total = mask.shape[1]
    precondition(mask.shape == [batch, start + count], "attention mask \(mask.shape), expected [\(batch), \(start + count)]")
    var out = [Int](repeating: 0, count: batch * count)
    let m = mask.unsafePointer
    for b in 0 ..< batch {
        var seen = 0
        for j in 0 ..< total {
            if m[b * total + j] != 0 { seen += 1 }
            if j >= start { out[b * count + (j - start)] = max(seen - 1, 0) }
        }
    }
    return out
}
