// Helpers shared by the Checkpoints tests: scratch directories, hand-built files, fixtures.
import Foundation
import Testing
@testable import Checkpoints

/// `Tests/Fixtures`, found relative to this source file so that tests never need the network or
/// the working directory.
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // CheckpointsTests
    .deletingLastPathComponent()  // Tests
    .appendingPathComponent("Fixtures", isDirectory: true)

/// Runs `body` with a fresh empty directory that is deleted afterwards.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("CheckpointsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// The names in `directory`, sorted.
func contents(of directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path(percentEncoded: false)).sorted()
}

/// A safetensors file assembled by hand: the 8-byte little-endian header length (`headerLength`
/// overrides it), the header (padded with spaces to a multiple of 8 unless `pad` is false), data.
func rawSafeTensors(header: String, data: [UInt8] = [], pad: Bool = true, headerLength: UInt64? = nil) -> [UInt8] {
    var json = Array(header.utf8)
    if pad { json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8) }
    let length = headerLength ?? UInt64(json.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + data
}

/// Little-endian bytes of 16-bit patterns.
func bytes(ofUInt16 values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

/// Little-endian bytes of floats.
func bytes(ofFloats values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// The error opening `url` throws, or nil if it opens.
func openingError(_ url: URL) -> CheckpointError? {
    do {
        _ = try SafeTensorsFile(url: url)
        return nil
    } catch {
        return error
    }
}

/// Float32 → bfloat16 (as the Float32 it widens back to) rounded to nearest, ties to even, computed
/// independently of the bit trick in `FloatConversion.bfloat16Bits`: the two bfloat16 neighbours of
/// `x` are compared by exact distance in Double.
func referenceBFloat16(_ x: Float) -> Float {
    if x.isNaN || x.isInfinite { return x }
    let bits = x.bitPattern
    let towardZero = bits & 0xFFFF_0000
    if towardZero == bits { return x }
    let awayFromZero = towardZero + 0x1_0000
    let low = Double(Float(bitPattern: towardZero))
    // Past the largest bfloat16 the next step is 2^128, which Float cannot hold but Double can.
    let high = (awayFromZero & 0x7FFF_FFFF) == 0x7F80_0000
        ? (x < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: awayFromZero))
    let value = Double(x)
    let (dLow, dHigh) = (abs(value - low), abs(high - value))
    let chooseLow = dLow < dHigh || (dLow == dHigh && (towardZero >> 16) & 1 == 0)
    return Float(bitPattern: chooseLow ? towardZero : awayFromZero)
}

/// Bitwise equality that treats any two NaNs of the same sign as equal.
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN && a.sign == b.sign }
    return a.bitPattern == b.bitPattern
}
