// MPI_COMM_WORLD of an Open MPI job, reached through `dlopen` at run time instead of headers at
// build time: the package builds, and a single process runs, on machines without MPI. The Open MPI
// ABI makes this small: a handle (communicator, datatype, operation) is the address of an exported
// global (`ompi_mpi_comm_world`, `ompi_mpi_float`, `ompi_mpi_op_sum` …), found with `dlsym`, and
// MPI_IN_PLACE is the address 1 (Open MPI's mpi.h). MPICH-family libraries use integer handles and
// are refused with a message (docs/design/distributed.md §1).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public final class MPICommunicator: Communicator, @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThread = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias Flag = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    typealias CommInt = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias AllGather = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias CommOnly = @convention(c) (Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias Void0 = @convention(c) () -> Int32

    public let rank: Int
    public let size: Int
    /// The library that was loaded (for messages and the design doc's checks).
    public let libraryPath: String
    private let world: Handle, float: Handle, double: Handle, byte: Handle, sum: Handle
    private let allReduce: AllReduce, bcast: Bcast, allGatherFn: AllGather, barrierFn: CommOnly, abortFn: Abort
    private let finalizeFn: Void0, finalizedFn: Flag
    /// Largest count per MPI call (counts are C ints).
    static let chunk = 1 << 28

    /// Loads the library (`TOKENALIGN_MPI_LIBRARY`, else `libmpi.so.40`, `libmpi.so`, `libmpi.dylib`) and
    /// initialises MPI with MPI_THREAD_FUNNELED (only the main thread communicates; the worker pool computes).
    public init(library: String? = nil) throws {
        let env = ProcessInfo.processInfo.environment
        let candidates = [library ?? env["TOKENALIGN_MPI_LIBRARY"]].compactMap { $0 } + ["libmpi.so.40", "libmpi.so", "libmpi.dylib", "libmpi.40.dylib"]
        var handle: UnsafeMutableRawPointer?
        var loaded = ""
        var failures: [String] = []
        for name in candidates {
            // RTLD_GLOBAL: Open MPI's components (dlopened by libmpi) resolve libmpi's symbols.
            if let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { handle = h; loaded = name; break }
            failures.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let lib = handle else {
            throw DistributedError("a launcher started this process (mpirun/srun) but no MPI library could be loaded: \(failures.joined(separator: "; ")). Install Open MPI (apt: openmpi-bin) or set TOKENALIGN_MPI_LIBRARY")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(lib, name) else {
                throw DistributedError("\(loaded) has no symbol \(name): TokenAlign speaks the Open MPI ABI (MPICH-family libraries are not supported)")
            }
            return p
        }
        func fn<T>(_ name: String, _ type: T.Type) throws -> T { unsafeBitCast(try symbol(name), to: type) }
        libraryPath = loaded
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        byte = try symbol("ompi_mpi_byte")
        sum = try symbol("ompi_mpi_op_sum")
        allReduce = try fn("MPI_Allreduce", AllReduce.self)
        bcast = try fn("MPI_Bcast", Bcast.self)
        allGatherFn = try fn("MPI_Allgather", AllGather.self)
        barrierFn = try fn("MPI_Barrier", CommOnly.self)
        abortFn = try fn("MPI_Abort", Abort.self)
        finalizeFn = try fn("MPI_Finalize", Void0.self)
        finalizedFn = try fn("MPI_Finalized", Flag.self)
        let initialized = try fn("MPI_Initialized", Flag.self)
        var flag: Int32 = 0
        _ = initialized(&flag)
        if flag == 0 {
            var provided: Int32 = 0
            let rc = try fn("MPI_Init_thread", InitThread.self)(nil, nil, 1 /* MPI_THREAD_FUNNELED */, &provided)
            guard rc == 0 else { throw DistributedError("MPI_Init_thread failed with code \(rc)") }
        }
        var r: Int32 = 0, s: Int32 = 0
        _ = try fn("MPI_Comm_rank", CommInt.self)(world, &r)
        _ = try fn("MPI_Comm_size", CommInt.self)(world, &s)
        rank = Int(r)
        size = Int(s)
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc == 0 else { throw DistributedError("rank \(rank): \(what) failed with MPI error code \(rc)") }
    }

    /// MPI_IN_PLACE in Open MPI's ABI.
    private static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = buffer.baseAddress else { return }
        for lo in stride(from: 0, to: buffer.count, by: Self.chunk) {
            let n = min(Self.chunk, buffer.count - lo)
            try check(allReduce(Self.inPlace, base + lo, Int32(n), float, sum, world), "MPI_Allreduce")
        }
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        guard let base = buffer.baseAddress else { return }
        for lo in stride(from: 0, to: buffer.count, by: Self.chunk) {
            let n = min(Self.chunk, buffer.count - lo)
            try check(allReduce(Self.inPlace, base + lo, Int32(n), double, sum, world), "MPI_Allreduce")
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let base = buffer.baseAddress else { return }
        for lo in stride(from: 0, to: buffer.count, by: Self.chunk) {
            let n = min(Self.chunk, buffer.count - lo)
            try check(bcast(base + lo, Int32(n), byte, Int32(root), world), "MPI_Bcast")
        }
    }

    public func allGather(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws {
        guard out.count == bytes.count * size else {
            throw DistributedError("rank \(rank): allGather of \(bytes.count) bytes into \(out.count) (needs \(bytes.count * size))")
        }
        guard bytes.count > 0 else { return }
        guard bytes.count <= Int(Int32.max) else { throw DistributedError("rank \(rank): allGather block of \(bytes.count) bytes exceeds a C int") }
        try check(allGatherFn(bytes.baseAddress, Int32(bytes.count), byte, out.baseAddress, Int32(bytes.count), byte, world), "MPI_Allgather")
    }

    public func barrier() throws { try check(barrierFn(world), "MPI_Barrier") }

    public func abort(code: Int32) -> Never {
        _ = abortFn(world, code)
        exit(code)
    }

    public func finalize() {
        var done: Int32 = 0
        _ = finalizedFn(&done)
        if done == 0 { _ = finalizeFn() }
    }
}
