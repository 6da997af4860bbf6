// Conversions between the file's element types and Float32.
//
// safetensors stores elements little-endian (README, "Format", notes: "Endianness: Little-endian"),
// which is the byte order of every platform TokenAlign runs on, so elements are loaded as they lie.
// Tensors are not necessarily aligned to their element size (a file may mix dtypes, and not every
// writer pads the header to 8 bytes as the reference implementation does), hence unaligned loads.
//
// Each kernel is one tight loop over raw buffers; large tensors are split across cores with
// `Parallel.forRanges`, which calls the kernel once per chunk.
import TensorCore

enum FloatConversion {
    /// The fewest elements worth a thread of their own (1 MiB of Float32 output): smaller tensors
    /// convert faster than a thread can be woken.
    static let parallelGrain = 1 << 18

    /// Converts `count` elements of `dtype` (F32, F16 or BF16) at `source` into `destination`.
    static func toFloat32(_ dtype: SafeTensorsDType, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void
        switch dtype {
        case .f32: kernel = copyF32
        case .f16: kernel = widenF16
        case .bf16: kernel = widenBF16
        default: assertionFailure("toFloat32 called for \(dtype)"); return
        }
        let buffers = UnsafeSendableBox((source, destination))
        Parallel.forRanges(count, grain: parallelGrain) { range in
            let (source, destination) = buffers.value
            let elementSize = dtype.bitWidth / 8
            kernel(source + range.lowerBound * elementSize, destination + range.lowerBound, range.count)
        }
    }

    static func copyF32(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
    }

    /// bfloat16 is the upper half of a Float32, so widening is a shift.
    static func widenBF16(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0 ..< count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// IEEE binary16 to binary32, exactly (every half value is representable as a float). Written
    /// with selects rather than branches so that the loop vectorizes: the exponent is re-biased
    /// (15 → 127) for normal numbers, moved to the all-ones exponent for inf/NaN (keeping the NaN
    /// payload), and subnormals (mantissa × 2⁻²⁴) go through an exact integer-to-float conversion.
    static func widenF16(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0 ..< count {
            let h = UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            let sign = (h & 0x8000) << 16
            let magnitude = h & 0x7FFF
            let shifted = magnitude << 13
            let normal = shifted &+ (112 << 23)          // exponent + (127 - 15)
            let special = shifted &+ (224 << 23)         // exponent 31 → 255
            let subnormal = Float(magnitude) * 0x1p-24   // exact: magnitude < 2^10
            let bits = magnitude >= 0x7C00 ? special : (magnitude < 0x0400 ? subnormal.bitPattern : normal)
            destination[i] = Float(bitPattern: bits | sign)
        }
    }

    /// Float32 to bfloat16 with round-to-nearest, ties to even (what PyTorch's `.to(torch.bfloat16)`
    /// does), rather than truncation, which would bias every weight toward zero. NaNs stay NaNs
    /// (quiet, sign kept); values beyond the largest bfloat16 round to infinity.
    @inline(__always)
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let lsb = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
    }

    static func narrowBF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, _ count: Int) {
        for i in 0 ..< count { destination[i] = bfloat16Bits(source[i]).littleEndian }
    }
}
