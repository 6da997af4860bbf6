// Storage for tensors: one 64-byte-aligned Float32 buffer per tensor, recycled through a
// size-keyed pool so that a training step of fixed shape stops calling malloc after its first
// iteration (fresh large allocations also cost page faults, which dominate small steps).
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reference-counted owner of a Float32 buffer. Tensors share it copy-on-write.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let capacity: Int

    @usableFromInline init(capacity: Int) {
        self.capacity = capacity
        self.base = BufferPool.shared.take(count: capacity)
    }

    deinit { BufferPool.shared.give(base, count: capacity) }
}

/// Counters that make allocation behaviour visible to benchmarks (`tokenalign bench` reports them).
public struct BufferPoolStatistics: Sendable, Equatable {
    /// Buffers obtained from the system allocator.
    public var freshAllocations: Int = 0
    /// Buffers served from the pool without calling the allocator.
    public var reuses: Int = 0
    /// Bytes currently parked in the pool.
    public var pooledBytes: Int = 0
}

/// Size-keyed free lists of aligned buffers. Thread-safe.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    private struct State {
        var free: [Int: [UInt]] = [:]  // addresses (Sendable) of parked buffers, by element count
        var stats = BufferPoolStatistics()
    }
    private let state = Mutex(State())
    /// Upper bound on parked memory; beyond it buffers go back to the system.
    public let maxPooledBytes: Int = 3 << 30
    /// Buffers smaller than this are not pooled (malloc's own bins are fast for them).
    private let minPooledCount = 0

    public var statistics: BufferPoolStatistics { state.withLock { $0.stats } }

    public func resetStatistics() {
        state.withLock { s in
            let pooled = s.stats.pooledBytes
            s.stats = BufferPoolStatistics()
            s.stats.pooledBytes = pooled
        }
    }

    /// Returns every parked buffer to the system allocator.
    public func drain() {
        let all = state.withLock { s -> [UInt] in
            let all = s.free.values.flatMap { $0 }
            s.free.removeAll()
            s.stats.pooledBytes = 0
            return all
        }
        for a in all { free(UnsafeMutableRawPointer(bitPattern: a)) }
    }

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        let reused: UInt? = state.withLock { s in
            if var list = s.free[n], let p = list.popLast() {
                s.free[n] = list
                s.stats.reuses += 1
                s.stats.pooledBytes -= n * 4
                return p
            }
            s.stats.freshAllocations += 1
            return nil
        }
        if let a = reused, let p = UnsafeMutablePointer<Float>(bitPattern: a) { return p }
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride)
        precondition(rc == 0 && raw != nil, "TensorStorage: cannot allocate \(n) floats")
        return raw!.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        let address = UInt(bitPattern: p)
        let kept = state.withLock { s -> Bool in
            guard s.stats.pooledBytes + n * 4 <= maxPooledBytes else { return false }
            s.free[n, default: []].append(address)
            s.stats.pooledBytes += n * 4
            return true
        }
        if !kept { free(p) }
    }
}
