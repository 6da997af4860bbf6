// A persistent pool of worker threads for `Parallel.forRanges`.
//
// Why not DispatchQueue.concurrentPerform: on Linux it often ran both halves of a ~0.5 ms product on
// the calling thread (the idle worker did not wake before the caller had taken every chunk), so a
// 512² gemm ran at one core's speed in about half the calls (median 103 vs best 206 GFLOP/s). Here
// the workers spin briefly on an atomic before sleeping, so a parallel region that follows another
// one starts on all cores at once.
//
// Protocol: the caller publishes a job (a closure over chunk indices) and a packed state word
// `generation << 16 | chunkCount << 8 | nextChunk`; every participant claims chunks by
// compare-and-swap on that word, so a thread that arrives late (or for an older generation) can never
// run a chunk of a job it did not observe. The caller runs chunks too and returns when `remaining`
// reaches zero. A nested or concurrent call (from inside a chunk, or from another thread while the
// pool is busy) runs serially on its own thread instead of waiting.
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.threadCount - 1)

    private let state = Atomic<UInt64>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// Workers that have entered their loop (the pool waits for all of them before its first job:
    /// thread start-up took tens of milliseconds here, and jobs posted before a worker runs are done
    /// by the caller alone).
    private let ready = Atomic<Int>(0)
    private let sleepLock = NSCondition()
    /// The current job; written only by the caller that holds `busy`, before publishing `state`.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    private let workerCount: Int
    /// Spin iterations before a worker sleeps (~50–100 µs).
    private let spinLimit = 20_000

    init(workers: Int) {
        workerCount = max(0, workers)
        for i in 0 ..< workerCount {
            let t = Thread { [unowned self] in self.workerLoop() }
            t.name = "tokenalign-worker-\(i)"
            t.start()
        }
        while ready.load(ordering: .acquiring) < workerCount { sched_yield() }
    }

    private static func pack(generation: UInt64, chunks: Int, next: Int) -> UInt64 {
        (generation << 16) | (UInt64(chunks) << 8) | UInt64(next)
    }

    /// Runs `body(c)` for c in 0..<chunks across the pool and the calling thread. Returns false (having
    /// run nothing) when the pool is busy or has no workers; the caller then runs the chunks itself.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard workerCount > 0, chunks > 1, chunks < 256 else { return false }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { b in
            job = b
            remaining.store(chunks, ordering: .relaxed)
            let generation = (state.load(ordering: .relaxed) >> 16) &+ 1
            state.store(Self.pack(generation: generation, chunks: chunks, next: 0), ordering: .releasing)
            sleepLock.lock()
            sleepLock.broadcast()
            sleepLock.unlock()
            work(generation: generation)
            while remaining.load(ordering: .acquiring) > 0 { spinPause() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of `generation` until none are left.
    private func work(generation: UInt64) {
        while true {
            var current = state.load(ordering: .acquiring)
            var claimed = -1
            while true {
                guard current >> 16 == generation else { return }
                let chunks = Int((current >> 8) & 0xFF), next = Int(current & 0xFF)
                if next >= chunks { return }
                let (exchanged, original) = state.compareExchange(
                    expected: current, desired: Self.pack(generation: generation, chunks: chunks, next: next + 1),
                    ordering: .acquiringAndReleasing)
                if exchanged { claimed = next; break }
                current = original
            }
            job?(claimed)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func workerLoop() {
        var seen = state.load(ordering: .acquiring) >> 16
        ready.add(1, ordering: .releasing)
        while true {
            var spins = 0
            var generation = state.load(ordering: .acquiring) >> 16
            while generation == seen {
                spins += 1
                if spins < spinLimit {
                    spinPause()
                } else {
                    sleepLock.lock()
                    while state.load(ordering: .acquiring) >> 16 == seen { sleepLock.wait() }
                    sleepLock.unlock()
                    spins = 0
                }
                generation = state.load(ordering: .acquiring) >> 16
            }
            seen = generation
            work(generation: generation)
        }
    }
}

/// One iteration of a busy-wait (a plain re-check: Swift has no portable `pause` intrinsic).
@inline(__always)
func spinPause() {}
