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
// with `Parallel.forRanges`; the block loops are TensorCore's (Sources/CQuant), shared with the
// quantized-weight products. F32/F16/BF16 reuse the safetensors conversions.
import TensorCore

enum GGUFDequantize {
    /// Blocks of 32 per thread, at least: the same 1 MiB of output per thread as `FloatConversion`.
    static let parallelGrainBlocks = FloatConversion.parallelGrain / 32

    /// Converts `count` elements of `type` at `source` into `destination`. `type` must be one of
    /// `GGMLType.dequantizable`, and `count` a multiple of its block size. The block formulas run in
    /// TensorCore's quantized-weight kernels (`QuantizedMatrix.dequantize`), shared with inference
    /// on kept blocks.
    static func toFloat32(_ type: GGMLType, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let blockType: QuantizedType
        switch type {
        case .f32: FloatConversion.toFloat32(.f32, from: source, to: destination, count: count); return
        case .f16: FloatConversion.toFloat32(.f16, from: source, to: destination, count: count); return
        case .bf16: FloatConversion.toFloat32(.bf16, from: source, to: destination, count: count); return
        case .q8_0: blockType = .q8_0
        case .q4_0: blockType = .q4_0
        case .q4_1: blockType = .q4_1
        default: assertionFailure("GGUFDequantize.toFloat32 called for \(type)"); return
        }
        let blockBytes = blockType.blockBytes
        let buffers = UnsafeSendableBox((source, destination))
        Parallel.forRanges(count / 32, grain: parallelGrainBlocks) { blocks in
            let (source, destination) = buffers.value
            QuantizedMatrix.dequantize(blockType, from: source + blocks.lowerBound * blockBytes,
                                       to: destination + blocks.lowerBound * 32, count: blocks.count * 32)
        }
    }
}
