// Products on weights kept in GGML blocks (QuantizedMatrix): worked examples by hand, the stated
// error bound against the dequantised float32 product, every kernel path equal to the scalar one
// bit for bit, ggml's Q8_0 rounding, and refusals.
import CQuant
import Foundation
import TensorCore
import Testing
import TestSupport

/// Little-endian bytes of an f16 value.
private func f16Bytes(_ x: Float) -> [UInt8] {
    let bits = Float16(x).bitPattern
    return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
}

/// Random blocks of `type` for a [rows, columns] matrix: f16 scales around `scale`, random codes.
private func randomBlocks(_ type: QuantizedType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
    var g = RandomGenerator(seed: seed)
    var bytes: [UInt8] = []
    for _ in 0 ..< rows * columns / 32 {
        let d = Float(g.next() % 1000 + 1) * 1e-4
        bytes += f16Bytes(d)
        if type == .q4_1 { bytes += f16Bytes(-Float(g.next() % 1000) * 1e-4) }
        let codes = type == .q8_0 ? 32 : 16
        for _ in 0 ..< codes { bytes.append(UInt8(truncatingIfNeeded: g.next())) }
    }
    return bytes
}

private func matrix(_ type: QuantizedType, rows: Int, columns: Int, seed: UInt64) throws -> QuantizedMatrix {
    if type == .q8_0 || type == .bf16 {
        return try QuantizedMatrix.quantize(randomTensor([rows, columns], seed: seed, scale: 0.05), to: type)
    }
    let bytes = randomBlocks(type, rows: rows, columns: columns, seed: seed)
    return try bytes.withUnsafeBytes { try QuantizedMatrix(type: type, rows: rows, columns: columns, copying: $0) }
}

@Suite struct QuantizedMatrixTests {
    /// x = [127, 1, 1, …, 1]: max |x| = 127, so the activation scale is exactly 1 and its codes are x
    /// itself; every product below is exact in float.
    static let x = Tensor(shape: [1, 32], data: [127] + [Float](repeating: 1, count: 31))

    /// Q8_0, d = 0.5, q_j = j − 16: Σ q·x = −16·127 + Σ_{j=1…31}(j − 16) = −2032 + 0, y = 0.5·(−2032) = −1016.
    @Test func q8_0WorkedExample() throws {
        let block = f16Bytes(0.5) + (0 ..< 32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let w = try block.withUnsafeBytes { try QuantizedMatrix(type: .q8_0, rows: 1, columns: 32, copying: $0) }
        for path in QuantizedKernelPath.allCases where path.isSupported {
            #expect(w.product(Self.x, path: path)[0, 0] == -1016, "\(path)")
        }
    }

    /// Q4_0, d = 0.25, every byte 0x9A: elements 0…15 are (10 − 8)·0.25 = 0.5, elements 16…31 are
    /// (9 − 8)·0.25 = 0.25, so y = 0.5·(127 + 15) + 0.25·16 = 75.
    @Test func q4_0WorkedExample() throws {
        let block = f16Bytes(0.25) + [UInt8](repeating: 0x9A, count: 16)
        let w = try block.withUnsafeBytes { try QuantizedMatrix(type: .q4_0, rows: 1, columns: 32, copying: $0) }
        #expect(w.dequantized()[0, 0] == 0.5 && w.dequantized()[0, 31] == 0.25)
        for path in QuantizedKernelPath.allCases where path.isSupported {
            #expect(w.product(Self.x, path: path)[0, 0] == 75, "\(path)")
        }
    }

    /// Q4_1, d = 0.5, m = −1, every byte 0x31: elements 0…15 are 0.5·1 − 1 = −0.5, elements 16…31
    /// are 0.5·3 − 1 = 0.5, so y = −0.5·(127 + 15) + 0.5·16 = −63 (the kernel: d·Σq·x + m·Σx =
    /// 0.5·190 − 158).
    @Test func q4_1WorkedExample() throws {
        let block = f16Bytes(0.5) + f16Bytes(-1) + [UInt8](repeating: 0x31, count: 16)
        let w = try block.withUnsafeBytes { try QuantizedMatrix(type: .q4_1, rows: 1, columns: 32, copying: $0) }
        for path in QuantizedKernelPath.allCases where path.isSupported {
            #expect(w.product(Self.x, path: path)[0, 0] == -63, "\(path)")
        }
    }

    /// bf16 keeps the top 16 bits: 1 + 2⁻⁸ rounds to 1 (tie, to even), 1 + 3·2⁻⁸ to 1 + 2⁻⁶ (tie, to
    /// even), 3 stays 3; with x = (2, 4, 8, …) the product is 2·1 + 4·(1 + 2⁻⁶) + 8·3 = 30.0625.
    @Test func bf16WorkedExample() throws {
        let w = try QuantizedMatrix.quantize(Tensor(shape: [1, 3], data: [1 + 0x1p-8, 1 + 3 * 0x1p-8, 3]), to: .bf16)
        #expect(w.dequantized().scalars == [1, 1 + 0x1p-6, 3])
        #expect(w.product(Tensor(shape: [1, 3], data: [2, 4, 8]))[0, 0] == 30.0625)
    }

    /// ggml's Q8_0 rounding: d = max|x|/127 stored as f16 (ties to even), codes rounded half away
    /// from zero with the float d. With max|x| = 127, d = 1: 2.5 → 3, −2.5 → −3, 0.5 → 1, 1.5 → 2.
    @Test func q8_0QuantizerRoundsAsGGML() throws {
        var values = [Float](repeating: 0, count: 32)
        values[0] = 127; values[1] = 2.5; values[2] = -2.5; values[3] = 0.5; values[4] = 1.5; values[5] = -126.5
        let q = try QuantizedMatrix.quantize(Tensor(shape: [1, 32], data: values), to: .q8_0)
        let bytes = Array(UnsafeRawBufferPointer(start: q.bytes, count: q.byteCount))
        #expect(bytes[0] == 0x00 && bytes[1] == 0x3C)  // f16 1.0
        #expect(bytes[2 ..< 8].map { Int8(bitPattern: $0) } == [127, 3, -3, 1, 2, -127])
        // d = 1 + 2⁻¹¹ lies halfway between f16 1 and 1 + 2⁻¹⁰: even mantissa, 1.0 (0x3C00);
        // d = 1 + 3·2⁻¹¹ lies halfway between 1 + 2⁻¹⁰ and 1 + 2⁻⁹: even, 0x3C02.
        for (amax, bits) in [(Float(127) * (1 + 0x1p-11), UInt16(0x3C00)), (Float(127) * (1 + 3 * 0x1p-11), UInt16(0x3C02))] {
            var v = [Float](repeating: 0, count: 32)
            v[7] = -amax
            let m = try QuantizedMatrix.quantize(Tensor(shape: [1, 32], data: v), to: .q8_0)
            let b = Array(UnsafeRawBufferPointer(start: m.bytes, count: 34))
            #expect(UInt16(b[0]) | UInt16(b[1]) << 8 == bits, "max |x| \(amax)")
            #expect(Int8(bitPattern: b[9]) == -127)
        }
    }

    /// |y_q − y| ≤ Σ_b max|x_b|/254 · Σ_{j∈b} |w̃_j| + 2⁻¹²·Σ_j |w̃_j·x_j| + 10⁻⁶, where y = x·w̃ᵀ
    /// in double over the dequantised weights w̃. The first term is the activation rounding: each
    /// code is off by at most half a step, d/2 = max|x_b|/254, and the integer block sums are exact;
    /// the second covers float accumulation (K ≤ 2¹⁰ terms, relative 2⁻²⁴ each, with slack). Calls of
    /// more than 32 rows multiply dequantised panels in float32 (no activation rounding), so only the
    /// second term applies to them.
    @Test(arguments: QuantizedType.allCases)
    func productWithinBoundOfDequantisedFloat(_ type: QuantizedType) throws {
        for (N, K) in [(37, 96), (5, 32), (129, 320)] {
            let w = try matrix(type, rows: N, columns: K, seed: UInt64(N * K))
            let wf = w.dequantized()
            for M in [1, 3, 4, 5, 8, 13, 32, 33, 70] {
                let x = randomTensor([M, K], seed: UInt64(M + K), scale: 2)
                let y = w.product(x)
                var worst = 0.0
                for m in 0 ..< M {
                    for n in 0 ..< N {
                        var exact = 0.0, magnitude = 0.0, quantisation = 0.0
                        for b in 0 ..< K / 32 {
                            var amax = 0.0, wsum = 0.0
                            for j in 32 * b ..< 32 * b + 32 {
                                let xv = Double(x[m, j]), wv = Double(wf[n, j])
                                exact += xv * wv
                                magnitude += abs(xv * wv)
                                amax = max(amax, abs(xv))
                                wsum += abs(wv)
                            }
                            quantisation += amax / 254 * wsum
                        }
                        let rounded = type != .bf16 && M <= QuantizedMatrix.blockKernelRowLimit
                        let bound = (rounded ? quantisation : 0) + magnitude * 0x1p-12 + 1e-6
                        let error = abs(Double(y[m, n]) - exact)
                        #expect(error <= bound, "\(type) N=\(N) K=\(K) M=\(M) [\(m), \(n)]: |Δ| \(error) > \(bound)")
                        worst = max(worst, error / bound)
                    }
                }
                // The bound is not vacuous: the activation rounding shows (bf16 uses float activations).
                if type != .bf16 && M >= 3 && M <= QuantizedMatrix.blockKernelRowLimit { #expect(worst > 1e-3, "\(type) N=\(N) K=\(K) M=\(M): worst error/bound \(worst)") }
            }
        }
    }

    /// Every supported SIMD path gives the scalar path's bits: same integer lane sums, same float order.
    @Test(arguments: QuantizedType.allCases)
    func simdPathsEqualScalar(_ type: QuantizedType) throws {
        let K = 160, N = 67
        let w = try matrix(type, rows: N, columns: K, seed: 7)
        for M in [1, 2, 4, 7, 8, 9, 12, 13, 32] {
            let x = randomTensor([M, K], seed: UInt64(100 + M))
            let scalar = w.product(x, path: .scalar)
            for path in QuantizedKernelPath.allCases where path != .scalar && path.isSupported {
                let got = w.product(x, path: path)
                #expect(got.scalars == scalar.scalars, "\(type) \(path) M=\(M)")
            }
        }
    }

    /// The vectorised activation quantiser writes the portable one's bytes: codes (round half away
    /// from zero, clamped to ±127), scales and sums, for an odd number of blocks and for the values
    /// where its rounding is rebuilt by hand (exact halves), zero blocks, infinities and NaN.
    @Test func vectorisedActivationQuantiserEqualsPortable() throws {
        let k = 5 * 32, rows = 3
        var x = randomTensor([rows, k], seed: 21, scale: 3).scalars
        // Block 0 of row 0: max |x| = 127 (scale exactly 1), so these values are exact halves.
        let halves: [Float] = [127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0.49999997, -0.49999997, 3.5000002]
        for (j, v) in halves.enumerated() { x[j] = v }
        for j in 32 ..< 64 { x[j] = 0 }                       // a zero block: d = 0
        x[k + 40] = .infinity                                  // row 1, block 1
        x[2 * k + 70] = .nan                                   // row 2, block 2
        x[2 * k + 100] = -.infinity                            // row 2, block 3
        let bytes = tq_activation_bytes(Int32(rows), Int32(k))
        var fast = [UInt8](repeating: 0xAA, count: bytes), portable = [UInt8](repeating: 0x55, count: bytes)
        x.withUnsafeBufferPointer { xs in
            fast.withUnsafeMutableBytes { tq_quantize_activations(xs.baseAddress, Int32(rows), Int32(k), Int32(k), $0.baseAddress) }
            portable.withUnsafeMutableBytes {
                tq_quantize_activations_scalar(xs.baseAddress, Int32(rows), Int32(k), Int32(k), $0.baseAddress)
            }
        }
        #expect(fast == portable)
        // The first block's codes are the rounded values in offset binary (code ^ 0x80).
        let codes = (0 ..< halves.count).map { Int(Int8(bitPattern: portable[$0] ^ 0x80)) }
        #expect(codes == [127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 0, 4])
    }

    /// A row's result does not depend on the rows beside it (activations are quantised per row), so
    /// batch size never changes a sequence's numbers.
    @Test func rowsAreIndependentOfTheBatch() throws {
        let w = try matrix(.q4_1, rows: 45, columns: 64, seed: 3)
        let x = randomTensor([9, 64], seed: 4)
        let all = w.product(x)
        for m in 0 ..< 9 {
            let one = w.product(x.rows(m ..< m + 1))
            #expect(one.scalars == all.rows(m ..< m + 1).scalars)
        }
    }

    @Test func gatherRowsDequantisesTheRequestedRows() throws {
        let w = try matrix(.q4_0, rows: 10, columns: 64, seed: 11)
        let full = w.dequantized()
        let got = w.gatherRows(IndexTensor(shape: [2, 2], data: [3, 0, 9, 3]))
        #expect(got.shape == [2, 2, 64])
        #expect(got.reshaped([4, 64]).scalars == [3, 0, 9, 3].flatMap { full.rows($0 ..< $0 + 1).scalars })
    }

    @Test func badRequestsAreRefused() throws {
        #expect(throws: QuantizationError.columnsNotBlockMultiple(type: .q8_0, columns: 40)) {
            try QuantizedMatrix.quantize(Tensor(shape: [2, 40]), to: .q8_0)
        }
        #expect(throws: QuantizationError.cannotQuantize(to: .q4_1)) { try QuantizedMatrix.quantize(Tensor(shape: [2, 32]), to: .q4_1) }
        #expect(throws: QuantizationError.notAMatrix(shape: [64])) { try QuantizedMatrix.quantize(Tensor(shape: [64]), to: .q8_0) }
        let short = [UInt8](repeating: 0, count: 33)
        #expect(throws: QuantizationError.byteCount(expected: 34, got: 33)) {
            try short.withUnsafeBytes { try QuantizedMatrix(type: .q8_0, rows: 1, columns: 32, copying: $0) }
        }
        #expect(QuantizationError.cannotQuantize(to: .q4_0).description.contains("q8_0 and bf16"))
    }
}
