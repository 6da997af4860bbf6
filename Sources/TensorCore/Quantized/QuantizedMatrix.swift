// A frozen weight matrix W [rows = out, columns = in] kept in a block format, with the product
// Y = X·Wᵀ computed on the blocks (docs/design/quantized.md). For the block types the activation
// row is quantised to 8 bits per block of 32 (scale max|x|/127, as llama.cpp's Q8_0 activations,
// arXiv:2208.07339 for the absmax scheme) so each block product is an exact integer dot product;
// bf16 rows are widened to float and multiplied with the float activations.
import CQuant

/// Inference-only weights: no gradient flows into them (they are not `Variable`s), and the products
/// run without a tape. The bytes are owned and immutable, so a matrix is safe to share across threads.
public final class QuantizedMatrix: @unchecked Sendable {
    public let type: QuantizedType
    /// Output features (rows of W).
    public let rows: Int
    /// Input features (columns of W).
    public let columns: Int
    /// Bytes of one row.
    public let rowBytes: Int
    private let storage: UnsafeMutableRawPointer

    /// Bytes held.
    public var byteCount: Int { rows * rowBytes }
    /// [rows, columns].
    public var shape: [Int] { [rows, columns] }
    /// The stored bytes, row after row.
    public var bytes: UnsafeRawPointer { UnsafeRawPointer(storage) }

    private init(type: QuantizedType, rows: Int, columns: Int) throws(QuantizationError) {
        guard columns % type.blockElements == 0 else { throw .columnsNotBlockMultiple(type: type, columns: columns) }
        self.type = type
        self.rows = rows
        self.columns = columns
        rowBytes = type.rowBytes(columns: columns)
        storage = .allocate(byteCount: Swift.max(rows * rowBytes, 1), alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Copies rows stored as `type` blocks: row `r` of the result is row `rowOrder?[r] ?? r` of
    /// `source` (GGUF loading uses the order to undo llama.cpp's RoPE row permutation).
    public convenience init(type: QuantizedType, rows: Int, columns: Int, copying source: UnsafeRawBufferPointer,
                            rowOrder: [Int]? = nil) throws(QuantizationError) {
        try self.init(type: type, rows: rows, columns: columns)
        guard source.count == rows * rowBytes, let base = source.baseAddress else {
            throw .byteCount(expected: rows * rowBytes, got: source.count)
        }
        for r in 0 ..< rows {
            let from = rowOrder?[r] ?? r
            (storage + r * rowBytes).copyMemory(from: base + from * rowBytes, byteCount: rowBytes)
        }
    }

    /// Quantises a float matrix [out, in]: Q8_0 with ggml's reference rounding (scale max|x|/127
    /// stored as f16, values rounded half away from zero with the float scale), or bf16 (nearest, ties
    /// to even).
    public static func quantize(_ weight: Tensor, to type: QuantizedType) throws(QuantizationError) -> QuantizedMatrix {
        guard weight.rank == 2 else { throw .notAMatrix(shape: weight.shape) }
        let m = try QuantizedMatrix(type: type, rows: weight.shape[0], columns: weight.shape[1])
        switch type {
        case .q8_0: tq_quantize_q8_0(weight.unsafePointer, weight.count, m.storage)
        case .bf16: tq_quantize_bf16(weight.unsafePointer, weight.count, m.storage.assumingMemoryBound(to: UInt16.self))
        case .q4_0, .q4_1: throw .cannotQuantize(to: type)
        }
        return m
    }

    /// The weights as float32 (exactly the values the block formulas define).
    public func dequantized() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        tq_dequantize(type.code, storage, rows * columns, out.unsafeMutablePointer)
        return out
    }

    /// Expands `count` elements of `type` blocks at `source` into floats (ggml's dequantize_row_*:
    /// the product d·q rounded before Q4_1's m is added, so results match ggml bit for bit).
    public static func dequantize(_ type: QuantizedType, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        tq_dequantize(type.code, source, count, destination)
    }

    /// Rows `ids` as float32 [ids.shape..., columns]: an embedding lookup on a quantised table.
    public func gatherRows(_ ids: IndexTensor) -> Tensor {
        let out = Tensor(uninitializedShape: ids.shape + [columns])
        let dst = out.unsafeMutablePointer
        for i in 0 ..< ids.count {
            let id = Int(ids.data[i])
            precondition(id >= 0 && id < rows, "QuantizedMatrix.gatherRows: id \(id) outside 0..<\(rows)")
            tq_dequantize(type.code, storage + id * rowBytes, columns, dst + i * columns)
        }
        return out
    }

    /// X [..., columns] · Wᵀ → [..., rows].
    public func product(_ x: Tensor, path: QuantizedKernelPath = .best) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == columns,
                     "QuantizedMatrix.product: input \(x.shape), expected [..., \(columns)]")
        let y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [rows])
        multiply(x.unsafePointer, rowCount: x.count / Swift.max(columns, 1), into: y.unsafeMutablePointer, path: path)
        return y
    }

    /// Work per thread below which splitting the rows costs more than it saves (multiply-adds).
    static let parallelGrain = 1 << 15
    /// Calls with more rows than this (prefill, teacher-forced scoring) multiply dequantised panels
    /// of weight rows with BLAS; up to this many (decoding) use the integer block kernels.
    public static let blockKernelRowLimit = 32
    /// Weight rows per dequantised panel (≤ 64 · 1536 floats = 384 KB, within L2).
    static let panelRows = 64

    /// y [m, rows] = x [m, columns] · Wᵀ.
    ///
    /// Up to `blockKernelRowLimit` rows: the activation rows are quantised into a per-thread scratch
    /// buffer (no allocation once it has grown) and the integer block kernels run over the weight
    /// rows, split over the cores. More rows: each thread dequantises panels of `panelRows` weight
    /// rows into its scratch and multiplies them with BLAS — the weights still stream from their
    /// blocks once per call, and the float32 product has no activation rounding.
    public func multiply(_ x: UnsafePointer<Float>, rowCount m: Int, into y: UnsafeMutablePointer<Float>,
                         path: QuantizedKernelPath = .best) {
        if m == 0 || rows == 0 { return }
        if m > Self.blockKernelRowLimit {
            multiplyByPanels(x, rowCount: m, into: y)
            return
        }
        var activations: UnsafeMutableRawPointer?
        if type != .bf16 {
            let bytes = tq_activation_bytes(Int32(m), Int32(columns))
            guard let scratch = tq_thread_scratch(0, bytes) else {
                fatalError("QuantizedMatrix: cannot allocate \(bytes) bytes of quantised activations")
            }
            activations = scratch
            tq_quantize_activations(x, Int32(m), Int32(columns), Int32(columns), scratch)
        }
        let box = UnsafeSendableBox((UnsafeRawPointer(storage), UnsafeRawPointer(activations), x, y))
        let grain = Swift.max(1, Self.parallelGrain / Swift.max(columns * m, 1))
        let (code, rowBytes, columns, rows) = (type.code, rowBytes, Int32(columns), Int32(rows))
        Parallel.forRanges(Int(rows), grain: grain) { r in
            let (w, a, x, y) = box.value
            tq_matmul(path.rawValue, code, w, rowBytes, columns, a, x, columns, Int32(m), y, rows,
                      Int32(r.lowerBound), Int32(r.upperBound))
        }
    }

    private func multiplyByPanels(_ x: UnsafePointer<Float>, rowCount m: Int, into y: UnsafeMutablePointer<Float>) {
        let panel = Self.panelRows, panels = (rows + panel - 1) / panel
        let box = UnsafeSendableBox((UnsafeRawPointer(storage), x, y))
        let (code, rowBytes, columns, rows) = (type.code, rowBytes, columns, rows)
        Parallel.forRanges(panels, grain: 1) { range in
            let (w, x, y) = box.value
            guard let raw = tq_thread_scratch(1, panel * columns * MemoryLayout<Float>.stride) else {
                fatalError("QuantizedMatrix: cannot allocate a \(panel)×\(columns) panel")
            }
            let scratch = raw.assumingMemoryBound(to: Float.self)
            for p in range {
                let n0 = p * panel, n = Swift.min(panel, rows - n0)
                tq_dequantize(code, w + n0 * rowBytes, n * columns, scratch)
                BLAS.gemm(transA: false, transB: true, M: m, N: n, K: columns, A: x, lda: columns, B: scratch, ldb: columns,
                          C: y + n0, ldc: rows, parallel: false)
            }
        }
    }
}
