// Dequantisation of GGML tensor data to Float32.
//
// Block layouts and formulas are ggml's (`ggml-common.h` for the structs, `ggml-quants.c`
// `dequantize_row_q8_0/q4_0/q4_1` for the arithmetic); each block covers 32 consecutive elements of
// a row and starts with little-endian IEEE half-precision scales:
//   Q8_0, 34 bytes: d (f16), qs[32] (int8);            x[j] = d · qs[j]
//   Q4_0, 18 bytes: d (f16), qs[16] (two nibbles each); x[j] = d · ((qs[j] & 0xF) − 8),
//                                                        x[j + 16] = d · ((qs[j] >> 4) − 8)
//   Q4_1, 20 bytes: d (f16), m (f16), qs[16];          x[j] = d · (qs[j] & 0xF) + m,
//                                                        x[j + 16] = d · (qs[j] >> 4) + m
// so the low nibbles hold the first half of the block and the high nibbles the second, not
// interleaved pairs. Products are rounded to Float before `m` is added (no fused multiply-add), as in
// ggml's scalar code and the Python `gguf` package, so the results match both bit for bit.
//
// Blocks never straddle rows (rows hold whole blocks; the header checks it), so a tensor's data is
// one run of blocks in row-major element order. Large tensors are split over the cores by blocks
// with `Parallel.forRanges`; each kernel is one tight loop over raw bytes. F32/F16/BF16 reuse the
// safetensors conversions.
import TensorCore

enum GGUFDequantize {
    /// Blocks of 32 per thread, at least: the same 1 MiB of output per thread as `FloatConversion`.
    static let parallelGrainBlocks = FloatConversion.parallelGrain / 32

    /// Converts `count` elements of `type` at `source` into `destination`. `type` must be one of
    /// `GGMLType.dequantizable`, and `count` a multiple of its block size.
    static func toFloat32(_ type: GGMLType, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void
        let blockBytes: Int
        switch type {
        case .f32: FloatConversion.toFloat32(.f32, from: source, to: destination, count: count); return
        case .f16: FloatConversion.toFloat32(.f16, from: source, to: destination, count: count); return
        case .bf16: FloatConversion.toFloat32(.bf16, from: source, to: destination, count: count); return
        case .q8_0: (kernel, blockBytes) = (q8_0, 34)
        case .q4_0: (kernel, blockBytes) = (q4_0, 18)
        case .q4_1: (kernel, blockBytes) = (q4_1, 20)
        default: assertionFailure("GGUFDequantize.toFloat32 called for \(type)"); return
        }
        let buffers = UnsafeSendableBox((source, destination))
        Parallel.forRanges(count / 32, grain: parallelGrainBlocks) { blocks in
            let (source, destination) = buffers.value
            kernel(source + blocks.lowerBound * blockBytes, destination + blocks.lowerBound * 32, blocks.count)
        }
    }

    /// IEEE binary16 bits to Float, exactly: the same select-based widening as
    /// `FloatConversion.widenF16`, for the one scale per block.
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let h = UInt32(h)
        let sign = (h & 0x8000) << 16
        let magnitude = h & 0x7FFF
        let shifted = magnitude << 13
        let normal = shifted &+ (112 << 23)
        let special = shifted &+ (224 << 23)
        let subnormal = Float(magnitude) * 0x1p-24
        let bits = magnitude >= 0x7C00 ? special : (magnitude < 0x0400 ? subnormal.bitPattern : normal)
        return Float(bitPattern: bits | sign)
    }

    @inline(__always)
    private static func half(_ block: UnsafeRawPointer, at offset: Int) -> Float {
        halfToFloat(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    static func q8_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ blockCount: Int) {
        for b in 0 ..< blockCount {
            let block = source + 34 * b
            let out = destination + 32 * b
            let d = half(block, at: 0)
            for j in 0 ..< 32 { out[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
        }
    }

    static func q4_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ blockCount: Int) {
        for b in 0 ..< blockCount {
            let block = source + 18 * b
            let out = destination + 32 * b
            let d = half(block, at: 0)
            for j in 0 ..< 16 {
                let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                out[j] = Float(Int32(q & 0x0F) - 8) * d
                out[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    static func q4_1(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ blockCount: Int) {
        for b in 0 ..< blockCount {
            let block = source + 20 * b
            let out = destination + 32 * b
            let d = half(block, at: 0)
            let m = half(block, at: 2)
            for j in 0 ..< 16 {
                let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                out[j] = Float(q & 0x0F) * d + m
                out[j + 16] = Float(q >> 4) * d + m
            }
        }
    }
}
