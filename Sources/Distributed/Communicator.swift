// The collective operations data-parallel training needs, behind one protocol so that a plain
// process and an MPI job run the same code: a single process is a world of size 1 whose
// collectives are identities (docs/design/distributed.md §1).
import Foundation

/// A group of cooperating processes (ranks 0 ..< size). Collectives must be called by every rank in
/// the same order with the same counts; only the main thread calls them.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index in 0 ..< size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces every element with its sum over all ranks (in place).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces every element with its sum over all ranks (in place).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Copies `root`'s bytes into every other rank's buffer (the same count everywhere).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Every rank's `count`-byte block, concatenated in rank order (`count` equal on every rank).
    func allGather(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws
    /// Returns when every rank has called it.
    func barrier() throws
    /// Ends every process of the job with `code` (MPI_Abort); never returns.
    func abort(code: Int32) -> Never
    /// Ends the world after a successful run (MPI_Finalize); idempotent.
    func finalize()
}

/// A collective that could not be carried out (an MPI call returned an error, or ranks disagree).
public struct DistributedError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Communicator {
    /// True for a world of one process, where every collective is the identity.
    public var isSingle: Bool { size == 1 }

    /// Sums an array over all ranks in place.
    public func allReduceSum(_ values: inout [Float]) throws {
        guard size > 1, !values.isEmpty else { return }
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// Sums an array over all ranks in place.
    public func allReduceSum(_ values: inout [Double]) throws {
        guard size > 1, !values.isEmpty else { return }
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// Every rank's byte string (lengths may differ), in rank order: the lengths are gathered first,
    /// then every block padded to the longest.
    public func allGatherVariable(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard size > 1 else { return [bytes] }
        let count = [UInt64(bytes.count)]
        var counts = [UInt64](repeating: 0, count: size)
        try count.withUnsafeBytes { s in try counts.withUnsafeMutableBytes { try allGather(s, into: $0) } }
        let longest = Int(counts.max() ?? 0)
        guard longest > 0 else { return Array(repeating: [], count: size) }
        let padded = bytes + [UInt8](repeating: 0, count: longest - bytes.count)
        var all = [UInt8](repeating: 0, count: longest * size)
        try padded.withUnsafeBytes { p in try all.withUnsafeMutableBytes { try allGather(p, into: $0) } }
        return (0 ..< size).map { r in Array(all[r * longest ..< r * longest + Int(counts[r])]) }
    }

    /// Root's bytes on every rank (the length is broadcast first).
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        var n = [UInt64(bytes.count)]
        try n.withUnsafeMutableBytes { try broadcast($0, root: root) }
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(n[0]))
        if n[0] > 0 { try out.withUnsafeMutableBytes { try broadcast($0, root: root) } }
        return out
    }

    /// Named sums over all ranks: the union of the ranks' keys (a key a rank lacks counts 0 there).
    public func allReduceSum(_ values: [String: Double]) throws -> [String: Double] {
        guard size > 1 else { return values }
        var keys = Set<String>()
        for block in try allGatherVariable(Array(values.keys.sorted().joined(separator: "\n").utf8)) where !block.isEmpty {
            for k in String(decoding: block, as: UTF8.self).split(separator: "\n") { keys.insert(String(k)) }
        }
        let sorted = keys.sorted()
        var v = sorted.map { values[$0] ?? 0 }
        try allReduceSum(&v)
        return Dictionary(uniqueKeysWithValues: zip(sorted, v))
    }

    /// True when `flag` is true on any rank.
    public func any(_ flag: Bool) throws -> Bool {
        guard size > 1 else { return flag }
        var v: [Double] = [flag ? 1 : 0]
        try allReduceSum(&v)
        return v[0] > 0
    }

    /// Throws unless every rank passes the same value (e.g. the number of training rows), naming
    /// the ranks that differ.
    public func requireEqual(_ value: Int, _ what: String) throws {
        guard size > 1 else { return }
        let mine = [UInt64(bitPattern: Int64(value))]
        var all = [UInt64](repeating: 0, count: size)
        try mine.withUnsafeBytes { s in try all.withUnsafeMutableBytes { try allGather(s, into: $0) } }
        let values = all.map { Int(Int64(bitPattern: $0)) }
        guard Set(values).count == 1 else {
            let list = values.enumerated().map { "rank \($0.offset): \($0.element)" }.joined(separator: ", ")
            throw DistributedError("the ranks disagree on \(what) (\(list)); every rank must read the same inputs")
        }
    }
}

extension Communicator {
    /// Runs a collective where the caller cannot throw (evaluation, caches): on failure the job is
    /// ended with the message and the rank, as MPI's default error handler would.
    public func orAbort<T>(_ what: String, _ body: () throws -> T) -> T {
        do { return try body() } catch {
            FileHandle.standardError.write(Data("Error: rank \(rank) of \(size): \(what): \(error)\n".utf8))
            abort(code: 1)
        }
    }
}
