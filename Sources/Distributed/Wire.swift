// A flat little-endian byte encoding for sending structured values between ranks (rollout samples,
// metric names): fixed-width integers and the bit patterns of floats, so values arrive bit for bit.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func int(_ v: Int) { withUnsafeBytes(of: UInt64(bitPattern: Int64(v)).littleEndian) { bytes += $0 } }
    public mutating func float(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func ints(_ v: [Int]) { int(v.count); for x in v { int(x) } }
    public mutating func floats(_ v: [Float]) { int(v.count); for x in v { float(x) } }
    public mutating func string(_ v: String) { let u = Array(v.utf8); int(u.count); bytes += u }
    public mutating func optionalFloats(_ v: [Float]?) { bool(v != nil); if let v { floats(v) } }
    public mutating func optionalFloat(_ v: Float?) { bool(v != nil); if let v { float(v) } }
}

public struct WireReader {
    let bytes: [UInt8]
    var at = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var atEnd: Bool { at >= bytes.count }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, at + n <= bytes.count else { throw DistributedError("a message from another rank ends early (\(bytes.count) bytes, needed \(at + n))") }
        defer { at += n }
        return bytes[at ..< at + n]
    }
    public mutating func int() throws -> Int {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return Int(Int64(bitPattern: v))
    }
    public mutating func float() throws -> Float {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return Float(bitPattern: v)
    }
    public mutating func bool() throws -> Bool { try take(1).first! != 0 }
    public mutating func ints() throws -> [Int] { let n = try count(8); return try (0 ..< n).map { _ in try int() } }
    public mutating func floats() throws -> [Float] { let n = try count(4); return try (0 ..< n).map { _ in try float() } }
    public mutating func string() throws -> String { let n = try count(1); return String(decoding: try take(n), as: UTF8.self) }
    public mutating func optionalFloats() throws -> [Float]? { try bool() ? try floats() : nil }
    public mutating func optionalFloat() throws -> Float? { try bool() ? try float() : nil }
    /// A length prefix, checked against the bytes left (`width` bytes per element).
    mutating func count(_ width: Int) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (bytes.count - at) / width else { throw DistributedError("a message from another rank has a bad length \(n)") }
        return n
    }
}
