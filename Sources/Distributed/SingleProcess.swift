// The world of one process: what runs without a launcher. Every collective is the identity, so a
// single process takes exactly the code path of rank 0 of an MPI job and needs no MPI library.
import Foundation

public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func allGather(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws {
        precondition(out.count == bytes.count, "SingleProcess.allGather: output of \(out.count) bytes for \(bytes.count)")
        out.copyMemory(from: bytes)
    }
    public func barrier() throws {}
    public func abort(code: Int32) -> Never { exit(code) }
    public func finalize() {}
}
