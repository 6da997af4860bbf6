// Reading GGUF: metadata of every type, dequantisation against hand-built blocks and against the
// Python `gguf` package (committed fixture), the real SmolLM2 checkpoint when it has been fetched,
// and a typed error (never a crash) for every kind of malformed file.
import Foundation
import Testing
import Support
import TensorCore
@testable import Checkpoints

/// Writes `bytes` to a fresh file and opens it.
private func openGGUF(_ bytes: [UInt8]) throws -> GGUFFile {
    try withTemporaryDirectory { dir in
        let url = dir.appendingPathComponent("test.gguf")
        try Data(bytes).write(to: url)
        return try GGUFFile(url: url)  // the mapping outlives the file's directory entry
    }
}

/// The error opening `bytes` as a GGUF file throws, or nil if it opens.
private func ggufOpeningError(_ bytes: [UInt8]) throws -> CheckpointError? {
    try withTemporaryDirectory { dir -> CheckpointError? in
        let url = dir.appendingPathComponent("test.gguf")
        try Data(bytes).write(to: url)
        do {
            _ = try GGUFFile(url: url)
            return nil
        } catch let error as CheckpointError {
            return error
        }
    }
}

/// The repository root (for `.assets/`), from this file's location.
private let repositoryRoot = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
private let smolLM2URL: URL = {
    if let dir = ProcessInfo.processInfo.environment["TOKENALIGN_ASSETS"] {
        return URL(fileURLWithPath: dir).appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
    }
    return repositoryRoot.appendingPathComponent(".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}()
private let smolLM2Available = FileManager.default.fileExists(atPath: smolLM2URL.path(percentEncoded: false))

/// F32 tensor data.
private func f32Data(_ values: [Float]) -> [UInt8] { bytes(ofFloats: values) }

@Suite("GGUF reading")
struct GGUFTests {
    // MARK: Metadata

    @Test func metadataOfEveryTypeRoundTrips() throws {
        var w = GGUFTestWriter()
        w.add("u8", .u8(255))
        w.add("i8", .i8(-128))
        w.add("u16", .u16(65535))
        w.add("i16", .i16(-32768))
        w.add("u32", .u32(.max))
        w.add("i32", .i32(.min))
        w.add("f32", .f32(-1.5))
        w.add("bool.true", .bool(true))
        w.add("bool.false", .bool(false))
        w.add("str.empty", .str(""))
        w.add("str.unicode", .str("Ġthe ✓ 日本 🙂"))
        w.add("u64", .u64(.max))
        w.add("i64", .i64(.min))
        w.add("f64", .f64(.pi))
        w.add("a.u8", .array(0, [.u8(0), .u8(255)]))
        w.add("a.i8", .array(1, [.i8(-128), .i8(127)]))
        w.add("a.u16", .array(2, [.u16(1), .u16(65535)]))
        w.add("a.i16", .array(3, [.i16(-32768), .i16(5)]))
        w.add("a.u32", .array(4, [.u32(7), .u32(.max)]))
        w.add("a.i32", .array(5, [.i32(-1), .i32(2), .i32(.max)]))
        w.add("a.f32", .array(6, [.f32(0.5), .f32(-0.0), .f32(.infinity)]))
        w.add("a.bool", .array(7, [.bool(true), .bool(false), .bool(true)]))
        w.add("a.str", .array(8, [.str("<|im_start|>"), .str(""), .str("ü")]))
        w.add("a.u64", .array(10, [.u64(.max), .u64(3)]))
        w.add("a.i64", .array(11, [.i64(.min), .i64(-3)]))
        w.add("a.f64", .array(12, [.f64(1e300), .f64(-2.25)]))
        w.add("a.empty", .array(5, []))
        // Inner arrays carry their own element types.
        w.add("a.nested", .array(9, [.array(5, [.i32(1), .i32(2)]), .array(8, [.str("x")]), .array(6, [])]))
        w.add("a.deep", .array(9, [.array(9, [.array(0, [.u8(42)])])]))
        let file = try openGGUF(w.bytes())

        let expected: [(String, GGUFValue)] = [
            ("u8", .uint8(255)), ("i8", .int8(-128)), ("u16", .uint16(65535)), ("i16", .int16(-32768)),
            ("u32", .uint32(.max)), ("i32", .int32(.min)), ("f32", .float32(-1.5)), ("bool.true", .bool(true)),
            ("bool.false", .bool(false)), ("str.empty", .string("")), ("str.unicode", .string("Ġthe ✓ 日本 🙂")),
            ("u64", .uint64(.max)), ("i64", .int64(.min)), ("f64", .float64(.pi)),
            ("a.u8", .array(.uint8([0, 255]))), ("a.i8", .array(.int8([-128, 127]))),
            ("a.u16", .array(.uint16([1, 65535]))), ("a.i16", .array(.int16([-32768, 5]))),
            ("a.u32", .array(.uint32([7, .max]))), ("a.i32", .array(.int32([-1, 2, .max]))),
            ("a.f32", .array(.float32([0.5, -0.0, .infinity]))), ("a.bool", .array(.bool([true, false, true]))),
            ("a.str", .array(.string(["<|im_start|>", "", "ü"]))), ("a.u64", .array(.uint64([.max, 3]))),
            ("a.i64", .array(.int64([.min, -3]))), ("a.f64", .array(.float64([1e300, -2.25]))),
            ("a.empty", .array(.int32([]))),
            ("a.nested", .array(.array([.int32([1, 2]), .string(["x"]), .float32([])]))),
            ("a.deep", .array(.array([.array([.uint8([42])])]))),
        ]
        #expect(file.version == 3)
        #expect(file.metadataKeys == expected.map(\.0))
        #expect(file.metadata.count == expected.count)
        for (key, value) in expected {
            #expect(file[key] == value, "\(key)")
            #expect(file[key]?.type == value.type, "\(key)")
        }
        #expect(file.tensorInfos.isEmpty)
        #expect(file.alignment == 32)

        // Accessors convert across types only where exact.
        #expect(file["u8"]?.int == 255)
        #expect(file["i8"]?.int == -128)
        #expect(file["u32"]?.int == Int(UInt32.max))
        #expect(file["i64"]?.int == Int(Int64.min))
        #expect(file["u64"]?.int == nil)  // above Int.max
        #expect(file["f32"]?.int == nil)
        #expect(file["f32"]?.float == -1.5)
        #expect(file["f64"]?.double == .pi)
        #expect(file["u16"]?.double == 65535)
        #expect(file["str.unicode"]?.string == "Ġthe ✓ 日本 🙂")
        #expect(file["u8"]?.string == nil)
        #expect(file["bool.true"]?.bool == true)
        #expect(file["bool.false"]?.bool == false)
        #expect(file["a.str"]?.stringArray == ["<|im_start|>", "", "ü"])
        #expect(file["a.u8"]?.intArray == [0, 255])
        #expect(file["a.i16"]?.intArray == [-32768, 5])
        #expect(file["a.u64"]?.intArray == nil)  // UInt64.max does not fit
        #expect(file["a.f64"]?.floatArray == [1e300 as Double].map { Float($0) } + [-2.25])
        #expect(file["a.f32"]?.doubleArray == [0.5, -0.0, .infinity])
        #expect(file["a.bool"]?.boolArray == [true, false, true])
        #expect(file["a.str"]?.floatArray == nil)
        #expect(file["a.nested"]?.array?.elementType == .array)
        #expect(file["a.nested"]?.array?.arrays?[1].strings == ["x"])
        #expect(file["a.nested"]?.array?.arrays?[2].elementType == .float32)
        #expect(file["a.empty"]?.array?.count == 0)
        #expect(file["a.i32"]?.array?.values == [.int32(-1), .int32(2), .int32(.max)])
    }

    @Test func version2IsReadLikeVersion3() throws {
        var w = GGUFTestWriter()
        w.version = 2
        w.add("general.architecture", .str("llama"))
        w.addTensor("w", dims: [2], type: 0, data: f32Data([1, -2]))
        let file = try openGGUF(w.bytes())
        #expect(file.version == 2)
        #expect(file.architecture == "llama")
        #expect(try file.tensor("w").scalars == [1, -2])
    }

    @Test func boolBytesOtherThanOneAreTrueAsInGGML() throws {
        var w = GGUFTestWriter()
        w.add("b", .raw(type: 7, payload: [2]))
        #expect(try openGGUF(w.bytes())["b"] == .bool(true))
    }

    // MARK: Unquantised tensors and shapes

    @Test func unquantisedTensorsLoadExactlyWithRowMajorShape() throws {
        var w = GGUFTestWriter()
        // GGUF dims [3, 2]: rows of 3, two rows → row-major [2, 3], elements in file order.
        w.addTensor("f32.matrix", dims: [3, 2], type: 0, data: f32Data([1, 2, 3, 4, 5, 6]))
        let halves: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x03FF, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x8000, 0x7E00, 0x3555, 0x0400]
        w.addTensor("f16", dims: [4, 3], type: 1, data: bytes(ofUInt16: halves))
        let bf16: [UInt16] = [0x3F80, 0xC049, 0x0001, 0x7F80, 0xFF80, 0x8000, 0x7FC0, 0x4049]
        w.addTensor("bf16", dims: [8], type: 30, data: bytes(ofUInt16: bf16))
        w.addTensor("cube", dims: [4, 3, 2], type: 0, data: f32Data((0 ..< 24).map { Float($0) - 11.5 }))
        w.addTensor("scalar", dims: [], type: 0, data: f32Data([42]))
        w.addTensor("empty", dims: [0, 3], type: 0, data: [])
        let file = try openGGUF(w.bytes())

        #expect(file.tensorNames == ["f32.matrix", "f16", "bf16", "cube", "scalar", "empty"])
        let matrix = try #require(file.info("f32.matrix"))
        #expect(matrix.ggufDimensions == [3, 2])
        #expect(matrix.shape == [2, 3])
        #expect(matrix.type == .f32)
        #expect(matrix.elementCount == 6)
        #expect(matrix.byteCount == 24)
        let m = try file.tensor("f32.matrix")
        #expect(m.shape == [2, 3])
        #expect(m.scalars == [1, 2, 3, 4, 5, 6])

        let h = try file.tensor("f16")
        #expect(h.shape == [3, 4])
        for (x, bits) in zip(h.scalars, halves) {
            #expect(sameFloat(x, halfValue(bits)), "f16 0x\(String(bits, radix: 16)) → \(x)")
        }
        let b = try file.tensor("bf16")
        for (x, bits) in zip(b.scalars, bf16) {
            #expect(sameFloat(x, Float(bitPattern: UInt32(bits) << 16)), "bf16 0x\(String(bits, radix: 16)) → \(x)")
        }
        let cube = try file.tensor("cube")
        #expect(cube.shape == [2, 3, 4])
        #expect(cube.scalars == (0 ..< 24).map { Float($0) - 11.5 })
        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.tensor("scalar").scalars == [42])
        let empty = try file.tensor("empty")
        #expect(empty.shape == [3, 0])
        #expect(empty.count == 0)
        #expect(file.info("empty")?.byteCount == 0)
    }

    // MARK: Quantised tensors, hand-built blocks

    @Test func q8_0BlocksDequantiseAsScaleTimesQuant() throws {
        let ramp = (0 ..< 32).map { Int8(truncatingIfNeeded: $0 * 9 - 128) }  // −128 … 151 wrapped
        let extremes: [Int8] = [-128, 127, 0, 1, -1] + [Int8](repeating: 127, count: 13) + [Int8](repeating: -128, count: 14)
        let blocks = [
            q8_0Block(scale: 0x3C00, extremes),  // d = 1
            q8_0Block(scale: 0xB800, extremes),  // d = −0.5
            q8_0Block(scale: 0x0001, ramp),      // d = 2⁻²⁴ (subnormal)
            q8_0Block(scale: 0x7BFF, extremes),  // d = 65504
        ]
        var w = GGUFTestWriter()
        w.addTensor("q8", dims: [64, 2], type: 8, data: blocks.flatMap { $0 })
        let file = try openGGUF(w.bytes())
        #expect(file.info("q8")?.type == .q8_0)
        #expect(file.info("q8")?.byteCount == 4 * 34)
        let x = try file.tensor("q8")
        #expect(x.shape == [2, 64])
        let values = x.scalars
        // Literal expectations for the first two blocks.
        #expect(Array(values[0 ..< 5]) == [-128, 127, 0, 1, -1])
        #expect(Array(values[32 ..< 37]) == [64, -63.5, 0, -0.5, 0.5])
        #expect(values[97] == 127 * 65504)
        #expect(values[96] == -128 * 65504)
        #expect(values.map(\.bitPattern) == referenceDequantize(type: 8, blocks.flatMap { $0 }).map(\.bitPattern))
    }

    @Test func q4_0LowNibblesAreTheFirstHalfOfTheBlock() throws {
        let lowZeroHighFifteen = [UInt8](repeating: 0, count: 16) + [UInt8](repeating: 15, count: 16)
        let mixed = (0 ..< 32).map { UInt8($0 % 16) }
        let blocks = [
            q4_0Block(scale: 0x3C00, lowZeroHighFifteen),  // d = 1 → −8 ×16, then 7 ×16
            q4_0Block(scale: 0xC000, mixed),               // d = −2
            q4_0Block(scale: 0x3555, mixed.reversed()),    // d ≈ 1/3
        ]
        var w = GGUFTestWriter()
        w.addTensor("q4", dims: [96], type: 2, data: blocks.flatMap { $0 })
        let file = try openGGUF(w.bytes())
        #expect(file.info("q4")?.byteCount == 3 * 18)
        let values = try file.tensor("q4").scalars
        #expect(Array(values[0 ..< 32]) == [Float](repeating: -8, count: 16) + [Float](repeating: 7, count: 16))
        // d = −2: element j is −2·((j mod 16) − 8), in both halves.
        let expectedSecond: [Float] = (0 ..< 32).map { (j: Int) -> Float in Float(-2 * (j % 16 - 8)) }
        #expect(Array(values[32 ..< 64]) == expectedSecond)
        #expect(values.map(\.bitPattern) == referenceDequantize(type: 2, blocks.flatMap { $0 }).map(\.bitPattern))
    }

    @Test func q4_1AddsTheMinimumAfterScaling() throws {
        let lowJ = (0 ..< 16).map { UInt8($0) } + (0 ..< 16).map { UInt8(15 - $0) }
        let blocks = [
            q4_1Block(scale: 0x4000, min: 0x3C00, lowJ),                                        // d = 2, m = 1
            q4_1Block(scale: 0xB400, min: 0x5640, [UInt8](repeating: 15, count: 32)),          // d = −0.25, m = 100
            q4_1Block(scale: 0x2E66, min: 0xC200, (0 ..< 32).map { UInt8(($0 * 7) % 16) }),    // d ≈ 0.1, m = −3
            q4_1Block(scale: 0x3C00, min: 0x0000, [UInt8](repeating: 0, count: 32)),           // all zero
        ]
        var w = GGUFTestWriter()
        w.addTensor("q41", dims: [32, 2, 2], type: 3, data: blocks.flatMap { $0 })
        let file = try openGGUF(w.bytes())
        let x = try file.tensor("q41")
        #expect(x.shape == [2, 2, 32])
        let values = x.scalars
        let low: [Float] = (0 ..< 16).map { (j: Int) -> Float in Float(2 * j + 1) }
        let high: [Float] = (0 ..< 16).map { (j: Int) -> Float in Float(2 * (15 - j) + 1) }
        #expect(Array(values[0 ..< 16]) == low)
        #expect(Array(values[16 ..< 32]) == high)
        #expect(Array(values[32 ..< 64]) == [Float](repeating: 96.25, count: 32))
        #expect(Array(values[96 ..< 128]) == [Float](repeating: 0, count: 32))
        #expect(values.map(\.bitPattern) == referenceDequantize(type: 3, blocks.flatMap { $0 }).map(\.bitPattern))
    }

    /// Tensors large enough to be split over threads, with random blocks: every element must match
    /// the reference, so chunk boundaries land on block boundaries.
    @Test(arguments: [(UInt32(8), 34), (UInt32(2), 18), (UInt32(3), 20)])
    func largeQuantisedTensorsMatchTheReference(type: UInt32, blockBytes: Int) throws {
        var rng = SplitMix64(seed: UInt64(type) * 1000 + 7)
        let rows = 601, columns = 1024  // 615 424 elements: several parallel chunks, odd row count
        let blockCount = rows * columns / 32
        var data = [UInt8](repeating: 0, count: blockCount * blockBytes)
        for i in data.indices { data[i] = UInt8(truncatingIfNeeded: rng.next()) }
        // Finite scales (exponent below 31) so that the comparison is about arithmetic, not NaNs.
        for b in 0 ..< blockCount {
            for half in 0 ..< (type == 3 ? 2 : 1) {
                let at = b * blockBytes + 2 * half
                let bits = UInt16(truncatingIfNeeded: rng.next()) & 0xBBFF  // clears exponent bits 10 and 14
                data[at] = UInt8(bits & 0xFF)
                data[at + 1] = UInt8(bits >> 8)
            }
        }
        var w = GGUFTestWriter()
        w.addTensor("big", dims: [UInt64(columns), UInt64(rows)], type: type, data: data)
        let file = try openGGUF(w.bytes())
        let x = try file.tensor("big")
        #expect(x.shape == [rows, columns])
        let expected = referenceDequantize(type: type, data)
        var mismatches = 0
        for (i, (a, b)) in zip(x.scalars, expected).enumerated() where a.bitPattern != b.bitPattern {
            if mismatches < 5 { Issue.record("element \(i): \(a), expected \(b)") }
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    // MARK: Alignment

    @Test func generalAlignmentPlacesTheDataSection() throws {
        for alignment in [32, 64, 1, 256] {
            var w = GGUFTestWriter()
            w.alignment = alignment
            if alignment != 32 { w.add("general.alignment", .u32(UInt32(alignment))) }
            w.add("pad", .str("x"))
            w.addTensor("a", dims: [3], type: 0, data: f32Data([1, 2, 3]))
            w.addTensor("b", dims: [2], type: 0, data: f32Data([4, 5]))
            let file = try openGGUF(w.bytes())
            #expect(file.alignment == alignment)
            let headerLength = w.headerBytes().count
            #expect(file.dataOffset == (headerLength + alignment - 1) / alignment * alignment)
            #expect(file.dataOffset % alignment == 0)
            #expect(file.info("b")?.offset == w.layoutOffsets[1])
            #expect(try file.tensor("a").scalars == [1, 2, 3], "alignment \(alignment)")
            #expect(try file.tensor("b").scalars == [4, 5], "alignment \(alignment)")
        }
    }

    @Test func rawBytesAreTheStoredBlocks() throws {
        let block = q4_1Block(scale: 0x3C00, min: 0x3800, (0 ..< 32).map { UInt8($0 % 16) })
        var w = GGUFTestWriter()
        w.addTensor("q", dims: [32], type: 3, data: block)
        let file = try openGGUF(w.bytes())
        #expect(try file.withRawBytes(of: "q") { Array($0) } == block)
    }

    // MARK: Unsupported types and lookups

    @Test func unsupportedAndUnknownTypesOpenButDoNotDequantise() throws {
        var w = GGUFTestWriter()
        w.addTensor("k.weight", dims: [256], type: 13, data: [UInt8](repeating: 0, count: 176))  // Q5_K
        w.addTensor("future.weight", dims: [8], type: 99, data: [UInt8](repeating: 0, count: 64))
        w.addTensor("ok", dims: [1], type: 0, data: f32Data([3]))
        let file = try openGGUF(w.bytes())
        #expect(try file.tensor("ok").scalars == [3])

        let q5k = try #require(file.info("k.weight"))
        #expect(q5k.type == .q5_K)
        #expect(q5k.type.name == "Q5_K")
        #expect(q5k.byteCount == 176)
        #expect(throws: CheckpointError.unsupportedGGMLType(path: file.url.path(percentEncoded: false), tensor: "k.weight", type: .q5_K)) {
            try file.tensor("k.weight")
        }
        let message = "\(CheckpointError.unsupportedGGMLType(path: "m.gguf", tensor: "k.weight", type: .q5_K))"
        #expect(message.contains("Q5_K") && message.contains("13") && message.contains("k.weight") && message.contains("m.gguf"))

        let future = try #require(file.info("future.weight"))
        #expect(future.type.name == nil)
        #expect(future.byteCount == nil)
        #expect(throws: CheckpointError.self) { try file.tensor("future.weight") }
        #expect("\(future.type)" == "unknown GGML type 99")
        #expect(throws: CheckpointError.self) { try file.loadAll() }
        #expect(throws: CheckpointError.tensorNotFound(path: file.url.path(percentEncoded: false), tensor: "nope")) {
            try file.tensor("nope")
        }
    }

    // MARK: Python gguf package fixture

    @Test func pythonWrittenFileMatchesTheGGUFPackage() throws {
        let file = try GGUFFile(url: fixturesDirectory.appendingPathComponent("python_written.gguf"))
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: fixturesDirectory.appendingPathComponent("python_written.gguf.expected.json"))) as? [String: Any])
        #expect(file.version == UInt32(json["version"] as? Int ?? -1))
        #expect(file.alignment == json["alignment"] as? Int)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.metadataKeys == json["metadata_keys"] as? [String])

        let metadata = try #require(json["metadata"] as? [String: [String: Any]])
        for key in file.metadataKeys {
            let entry = try #require(metadata[key], "\(key)")
            let expected = try expectedValue(type: entry["type"] as? String ?? "", entry["value"] as Any)
            #expect(file[key] == expected, "\(key)")
        }
        #expect(file["test.nested"]?.array?.arrays?.map { $0.ints ?? [] } == [[1, 2], [3], [4, 5, 6]])

        #expect(file.tensorNames == json["tensor_names"] as? [String])
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(Set(file.tensorNames) == Set(tensors.keys))
        for (name, entry) in tensors {
            let info = try #require(file.info(name))
            #expect(info.type.name == entry["type"] as? String, "\(name)")
            #expect(info.type.rawValue == UInt32(entry["type_id"] as? Int ?? -1))
            #expect(info.ggufDimensions == entry["gguf_dimensions"] as? [Int], "\(name)")
            #expect(info.shape == entry["shape"] as? [Int], "\(name)")
            let bits = try #require(entry["f32_bits"] as? [NSNumber]).map { $0.uint32Value }
            let tensor = try file.tensor(name)
            #expect(tensor.shape == info.shape)
            #expect(tensor.scalars.map(\.bitPattern) == bits, "\(name)")
        }
    }

    /// The library value a fixture entry describes ({"type", "value"}; floats as bit patterns,
    /// 64-bit values as decimal strings).
    private func expectedValue(type: String, _ value: Any) throws -> GGUFValue {
        func int(_ v: Any) -> Int { (v as? NSNumber)?.intValue ?? 0 }
        switch type {
        case "uint8": return .uint8(UInt8(int(value)))
        case "int8": return .int8(Int8(int(value)))
        case "uint16": return .uint16(UInt16(int(value)))
        case "int16": return .int16(Int16(int(value)))
        case "uint32": return .uint32(UInt32(int(value)))
        case "int32": return .int32(Int32(int(value)))
        case "float32": return .float32(Float(bitPattern: UInt32(int(value))))
        case "bool": return .bool(value as? Bool ?? false)
        case "string": return .string(value as? String ?? "")
        case "uint64": return .uint64(UInt64(value as? String ?? "") ?? 0)
        case "int64": return .int64(Int64(value as? String ?? "") ?? 0)
        case "float64": return .float64(Double(bitPattern: UInt64(value as? String ?? "") ?? 0))
        case "array": return .array(try expectedArray(value))
        default: throw CheckpointError.invalidMetadata(path: "fixture", reason: "unknown type \(type)")
        }
    }

    private func expectedArray(_ value: Any) throws -> GGUFArray {
        let entry = try #require(value as? [String: Any])
        let type = entry["element_type"] as? String ?? ""
        let elements = entry["elements"] as? [Any] ?? []
        let values = try elements.map { try expectedValue(type: type, $0) }
        func all<T>(_ extract: (GGUFValue) -> T?) -> [T] { values.compactMap(extract) }
        switch type {
        case "uint8": return .uint8(all { if case .uint8(let v) = $0 { v } else { nil } })
        case "int8": return .int8(all { if case .int8(let v) = $0 { v } else { nil } })
        case "uint16": return .uint16(all { if case .uint16(let v) = $0 { v } else { nil } })
        case "int16": return .int16(all { if case .int16(let v) = $0 { v } else { nil } })
        case "uint32": return .uint32(all { if case .uint32(let v) = $0 { v } else { nil } })
        case "int32": return .int32(all { if case .int32(let v) = $0 { v } else { nil } })
        case "float32": return .float32(all { if case .float32(let v) = $0 { v } else { nil } })
        case "bool": return .bool(all(\.bool))
        case "string": return .string(all(\.string))
        case "uint64": return .uint64(all { if case .uint64(let v) = $0 { v } else { nil } })
        case "int64": return .int64(all { if case .int64(let v) = $0 { v } else { nil } })
        case "float64": return .float64(all { if case .float64(let v) = $0 { v } else { nil } })
        case "array": return .array(all(\.array))
        default: throw CheckpointError.invalidMetadata(path: "fixture", reason: "unknown element type \(type)")
        }
    }

    // MARK: The real SmolLM2-135M-Instruct checkpoint

    @Test(.enabled(if: smolLM2Available, """
        SmolLM2 GGUF not found at .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf: run scripts/fetch-assets.sh \
        (see docs/design/README.md, "External assets") to enable this test
        """))
    func smolLM2MetadataAndDequantisationMatchTheGGUFPackage() throws {
        let file = try GGUFFile(url: smolLM2URL)
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: fixturesDirectory.appendingPathComponent("smollm2_expected.json"))) as? [String: Any])
        let size = try FileManager.default.attributesOfItem(atPath: smolLM2URL.path(percentEncoded: false))[.size] as? Int
        try #require(size == json["file_size"] as? Int, "a different SmolLM2 file than the one the fixture describes")

        // Metadata.
        #expect(file.version == 3)
        #expect(file.metadata.count == 33)
        #expect(file.metadata.count == json["metadata_count"] as? Int)
        #expect(file.architecture == "llama")
        #expect(file["llama.block_count"]?.int == 30)
        #expect(file["llama.embedding_length"]?.int == 576)
        #expect(file["llama.feed_forward_length"]?.int == 1536)
        #expect(file["llama.attention.head_count"]?.int == 9)
        #expect(file["llama.attention.head_count_kv"]?.int == 3)
        #expect(file["llama.rope.freq_base"]?.float == 100_000)
        #expect(file["llama.rope.freq_base"]?.float?.bitPattern == UInt32(json["rope_freq_base_bits"] as? Int ?? 0))
        #expect(file["llama.attention.layer_norm_rms_epsilon"]?.float == 1e-5)
        #expect(file["tokenizer.ggml.model"]?.string == "gpt2")
        #expect(file["tokenizer.ggml.pre"]?.string == "smollm")
        let tokens = try #require(file["tokenizer.ggml.tokens"]?.stringArray)
        #expect(tokens.count == 49152)
        #expect(Array(tokens.prefix(3)) == json["first_tokens"] as? [String])
        #expect(tokens[1] == "<|im_start|>" && tokens[2] == "<|im_end|>")
        #expect(file["tokenizer.ggml.merges"]?.stringArray?.count == 48900)
        #expect(file["tokenizer.ggml.token_type"]?.intArray?.count == 49152)
        #expect(file["tokenizer.ggml.bos_token_id"]?.int == 1)
        #expect(file["tokenizer.ggml.eos_token_id"]?.int == 2)
        let template = try #require(file["tokenizer.chat_template"]?.string)
        #expect(template.contains("<|im_start|>"))

        // Tensors.
        #expect(file.tensorInfos.count == 272)
        #expect(file.tensorInfos.count == json["tensor_count"] as? Int)
        var typeCounts: [String: Int] = [:]
        for info in file.tensorInfos { typeCounts[info.type.name ?? "?", default: 0] += 1 }
        #expect(typeCounts == json["type_counts"] as? [String: Int])
        #expect(typeCounts == ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        let embedding = try #require(file.info("token_embd.weight"))
        #expect(embedding.type == .q8_0)
        #expect(embedding.shape == [49152, 576])
        #expect(embedding.ggufDimensions == [576, 49152])
        #expect(file.info("blk.0.attn_q.weight")?.type == .q4_1)
        #expect(file.info("blk.0.attn_q.weight")?.shape == [576, 576])
        #expect(file.info("blk.0.attn_k.weight")?.shape == [192, 576])
        #expect(file.info("blk.0.ffn_down.weight")?.shape == [576, 1536])
        #expect(file.info("output.weight") == nil)  // tied embeddings
        for info in file.tensorInfos where info.name.hasSuffix("norm.weight") {
            #expect(info.type == .f32, "\(info.name)")
        }
        #expect(file.tensorInfos.filter { $0.name.hasSuffix("norm.weight") }.count == 61)

        // Dequantised values against gguf's `dequantize`: sampled rows bit for bit, whole-tensor sums.
        let samples = try #require(json["samples"] as? [String: [String: Any]])
        for (name, entry) in samples.sorted(by: { $0.key < $1.key }) {
            let tensor = try file.tensor(name)
            #expect(tensor.shape == entry["shape"] as? [Int], "\(name)")
            let columns = tensor.shape.last ?? 1
            let values = tensor.scalars
            for (row, expectedBits) in try #require(entry["rows"] as? [String: [NSNumber]]) {
                let r = try #require(Int(row))
                let got = values[r * columns ..< r * columns + expectedBits.count].map(\.bitPattern)
                #expect(got == expectedBits.map(\.uint32Value), "\(name) row \(r)")
            }
            var sum = 0.0, sumOfSquares = 0.0, sumOfMagnitudes = 0.0
            for v in values {
                sum += Double(v)
                sumOfSquares += Double(v) * Double(v)
                sumOfMagnitudes += Double(abs(v))
            }
            let expectedSum = try #require(Double(entry["sum"] as? String ?? ""))
            let expectedSquares = try #require(Double(entry["sum_of_squares"] as? String ?? ""))
            #expect(abs(sum - expectedSum) <= 1e-9 * max(1, sumOfMagnitudes), "\(name): sum \(sum) vs \(expectedSum)")
            #expect(abs(sumOfSquares - expectedSquares) <= 1e-9 * max(1, expectedSquares), "\(name)")
        }
    }

    // MARK: Malformed files

    @Test(arguments: MalformedGGUF.cases)
    func malformedFileIsRejected(_ testCase: MalformedGGUF) throws {
        let error = try #require(try ggufOpeningError(testCase.bytes), "\(testCase.name) opened")
        #expect(testCase.expect(error), "\(testCase.name): got \(error)")
        #expect(error.path.hasSuffix("test.gguf"))
        #expect("\(error)".contains("test.gguf"))
    }

    /// Every strict prefix of a valid file is rejected with a typed error.
    @Test func everyTruncationIsRejected() throws {
        let full = MalformedGGUF.validFile().bytes()
        _ = try openGGUF(full)
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("test.gguf")
            var opened: [Int] = []
            for length in 0 ..< full.count {
                try Data(full[0 ..< length]).write(to: url)
                do {
                    _ = try GGUFFile(url: url)
                    opened.append(length)
                } catch {
                    // Any CheckpointError will do; what matters is that it is one, not a crash.
                }
            }
            #expect(opened.isEmpty, "prefixes that opened: \(opened.prefix(10))")
        }
    }

    /// Random corruption never crashes: the file either opens (and every tensor then reads or throws)
    /// or is rejected with a typed error.
    @Test func randomCorruptionNeverCrashes() throws {
        let valid = MalformedGGUF.validFile().bytes()
        var rng = SplitMix64(seed: 99)
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("fuzz.gguf")
            var opened = 0
            for _ in 0 ..< 1000 {
                var bytes = valid
                for _ in 0 ..< 1 + Int(rng.next() % 4) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] = rng.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 5 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
                try Data(bytes).write(to: url)
                guard let file = try? GGUFFile(url: url) else { continue }
                opened += 1
                for name in file.tensorNames { _ = try? file.tensor(name) }
            }
            #expect(opened > 0)
        }
    }

    @Test func errorsNameTheFileAndTheTensor() {
        let error = CheckpointError.ggufTensorDataOutOfRange(path: "/m/model.gguf", tensor: "blk.0.attn_q.weight",
                                                            offset: 64, byteCount: 128, dataSize: 100)
        #expect(error.path == "/m/model.gguf")
        #expect(error.tensorName == "blk.0.attn_q.weight")
        #expect("\(error)".hasPrefix("/m/model.gguf: tensor 'blk.0.attn_q.weight'"))
        #expect(CheckpointError.ggufDuplicateKey(path: "p", key: "k").tensorName == nil)
        #expect("\(CheckpointError.ggufUnsupportedVersion(path: "p", version: 0x0300_0000))".contains("big-endian"))
        #expect("\(CheckpointError.ggufBadMagic(path: "p", found: [0x47, 0x47, 0x4D, 0x4C]))".contains("GGML"))
    }
}

/// A malformed GGUF file and the error it must produce.
struct MalformedGGUF: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expect: @Sendable (CheckpointError) -> Bool

    var testDescription: String { name }

    /// A small valid file: a few metadata entries and two tensors.
    static func validFile() -> GGUFTestWriter {
        var w = GGUFTestWriter()
        w.add("general.architecture", .str("llama"))
        w.add("tokens", .array(8, [.str("a"), .str("bc")]))
        w.add("n", .u32(3))
        w.addTensor("w", dims: [32, 2], type: 8, data: q8_0Block(scale: 0x3C00, [Int8](repeating: 3, count: 32))
            + q8_0Block(scale: 0x3800, [Int8](repeating: -3, count: 32)))
        w.addTensor("norm", dims: [4], type: 0, data: f32Data([1, 2, 3, 4]))
        return w
    }

    static var cases: [MalformedGGUF] {
        var cases: [MalformedGGUF] = []
        func add(_ name: String, _ bytes: [UInt8], _ expect: @escaping @Sendable (CheckpointError) -> Bool) {
            cases.append(MalformedGGUF(name: name, bytes: bytes, expect: expect))
        }
        func add(_ name: String, _ edit: (inout GGUFTestWriter) -> Void, _ expect: @escaping @Sendable (CheckpointError) -> Bool) {
            var w = validFile()
            edit(&w)
            add(name, w.bytes(), expect)
        }
        let header = Array("GGUF".utf8) + le(UInt32(3))

        // Framing.
        add("empty file", []) { if case .ggufTruncated(_, let what, 0, 4, 0) = $0 { what.contains("magic") } else { false } }
        add("three bytes", Array("GGU".utf8)) { if case .ggufTruncated(_, _, 0, 4, 3) = $0 { true } else { false } }
        add("bad magic", Array("GGML".utf8) + [UInt8](repeating: 0, count: 20)) {
            $0 == .ggufBadMagic(path: $0.path, found: Array("GGML".utf8))
        }
        add("version 1", { $0.version = 1 }) { $0 == .ggufUnsupportedVersion(path: $0.path, version: 1) }
        add("version 4", { $0.version = 4 }) { $0 == .ggufUnsupportedVersion(path: $0.path, version: 4) }
        add("big-endian version", { $0.version = 0x0300_0000 }) { $0 == .ggufUnsupportedVersion(path: $0.path, version: 0x0300_0000) }
        add("no counts", header) { if case .ggufTruncated(_, let what, 8, 8, 0) = $0 { what == "the tensor count" } else { false } }
        add("tensor count cut off", header + le(UInt64(0)) + [1, 2]) {
            if case .ggufTruncated(_, let what, 16, 8, 2) = $0 { what == "the metadata count" } else { false }
        }
        add("huge tensor count", { $0.tensorCountOverride = 1 << 62 }) {
            if case .ggufCountTooLarge(_, _, let count, _) = $0 { count == 1 << 62 } else { false }
        }
        // The third "tensor info" is read from the zero padding and the data: an empty name, no
        // dimensions, type F32 (0), then an offset made of Q8_0 bytes.
        add("tensor count one too many", { $0.tensorCountOverride = 3 }) {
            if case .ggufMisalignedTensor(_, "", _, 32) = $0 { true } else { false }
        }
        add("huge metadata count", { $0.kvCountOverride = .max }) {
            if case .ggufCountTooLarge(_, _, UInt64.max, _) = $0 { true } else { false }
        }

        // Metadata.
        add("key length past end", header + le(UInt64(0)) + le(UInt64(1)) + le(UInt64(1000)) + Array("abcdefgh".utf8)) {
            if case .ggufTruncated(_, let what, 32, 1000, 8) = $0 { what.contains("key of metadata entry 0") } else { false }
        }
        add("key length UInt64.max", header + le(UInt64(0)) + le(UInt64(1)) + le(UInt64.max) + [UInt8](repeating: 0x41, count: 16)) {
            if case .ggufTruncated(_, _, _, UInt64.max, _) = $0 { true } else { false }
        }
        add("empty key", { $0.metadata.insert(("", .u8(1)), at: 0) }) {
            if case .ggufInvalidMetadata(_, "", let reason) = $0 { reason.contains("empty key") } else { false }
        }
        add("duplicate key", { $0.add("n", .u32(4)) }) { $0 == .ggufDuplicateKey(path: $0.path, key: "n") }
        add("unknown value type", { $0.add("x", .raw(type: 13, payload: [0, 0, 0, 0])) }) {
            $0 == .ggufUnknownValueType(path: $0.path, key: "x", type: 13)
        }
        add("unknown array element type", { $0.add("x", .array(42, [])) }) {
            $0 == .ggufUnknownValueType(path: $0.path, key: "x", type: 42)
        }
        add("nested array of unknown type", { $0.add("x", .array(9, [.array(77, [])])) }) {
            $0 == .ggufUnknownValueType(path: $0.path, key: "x[0]", type: 77)
        }
        add("huge array count", { $0.add("x", .raw(type: 9, payload: le(UInt32(4)) + le(UInt64(1) << 62))) }) {
            if case .ggufCountTooLarge(_, let what, _, _) = $0 { what.contains("'x'") } else { false }
        }
        add("array elements past end", header + le(UInt64(0)) + le(UInt64(1)) + ggufString(Array("x".utf8))
            + le(UInt32(9)) + le(UInt32(10)) + le(UInt64(10)) + [UInt8](repeating: 0, count: 16)) {
            if case .ggufCountTooLarge(_, _, 10, 16) = $0 { true } else { false }
        }
        add("string element length past end", header + le(UInt64(0)) + le(UInt64(1)) + ggufString(Array("x".utf8))
            + le(UInt32(9)) + le(UInt32(8)) + le(UInt64(1)) + le(UInt64(50)) + Array("short".utf8)) {
            if case .ggufTruncated(_, let what, _, 50, 5) = $0 { what.contains("element 0 of 'x'") } else { false }
        }
        add("scalar value cut off", header + le(UInt64(0)) + le(UInt64(1)) + ggufString(Array("x".utf8)) + le(UInt32(10)) + [1, 2, 3]) {
            if case .ggufTruncated(_, let what, _, 8, 3) = $0 { what.contains("'x'") } else { false }
        }
        add("invalid UTF-8 value", { $0.add("bad", .rawString([0x61, 0xC3, 0x28])) }) {
            if case .ggufInvalidString(_, let what, _) = $0 { what.contains("'bad'") } else { false }
        }
        add("invalid UTF-8 key", header + le(UInt64(0)) + le(UInt64(1)) + ggufString([0xFF, 0xFE]) + le(UInt32(0)) + [1]) {
            if case .ggufInvalidString = $0 { true } else { false }
        }
        add("arrays nested too deep", { w in
            var value = TestGGUFValue.array(0, [.u8(1)])
            for _ in 0 ..< 9 { value = .array(9, [value]) }
            w.add("deep", value)
        }) { if case .ggufInvalidMetadata(_, let key, let reason) = $0 { key.hasPrefix("deep") && reason.contains("nested") } else { false } }

        // Alignment.
        add("alignment not u32", { $0.add("general.alignment", .u64(32)) }) {
            if case .ggufInvalidAlignment(_, let reason) = $0 { reason.contains("u32") } else { false }
        }
        add("alignment zero", { $0.add("general.alignment", .u32(0)) }) { if case .ggufInvalidAlignment = $0 { true } else { false } }
        add("alignment 48", { $0.add("general.alignment", .u32(48)) }) {
            if case .ggufInvalidAlignment(_, let reason) = $0 { reason.contains("48") } else { false }
        }

        // Tensor infos.
        add("duplicate tensor", { $0.addTensor("w", dims: [1], type: 0, data: f32Data([0])) }) {
            $0 == .ggufDuplicateTensor(path: $0.path, tensor: "w")
        }
        add("invalid UTF-8 tensor name", { $0.tensors[1].rawName = [0x6E, 0x80] }) {
            if case .ggufInvalidString(_, let what, _) = $0 { what.contains("tensor 1") } else { false }
        }
        add("five dimensions", { $0.tensors[1].dims = [1, 1, 1, 4, 1] }) {
            if case .ggufInvalidTensorInfo(_, "norm", let reason) = $0 { reason.contains("5 dimensions") } else { false }
        }
        add("dimension beyond Int", { $0.tensors[1].dims = [UInt64(1) << 63] }) {
            if case .ggufInvalidTensorInfo(_, "norm", let reason) = $0 { reason.contains("too large") } else { false }
        }
        add("element count overflow", { $0.tensors[1].dims = [1 << 32, 1 << 32] }) {
            if case .ggufInvalidTensorInfo(_, "norm", let reason) = $0 { reason.contains("too many elements") } else { false }
        }
        add("byte count overflow", { $0.tensors[1].dims = [1 << 62] }) {
            if case .ggufInvalidTensorInfo(_, "norm", let reason) = $0 { reason.contains("bytes") } else { false }
        }
        add("Q8_0 row not whole blocks", { $0.tensors[0].dims = [48, 2] }) {
            if case .ggufInvalidTensorInfo(_, "w", let reason) = $0 { reason.contains("Q8_0") } else { false }
        }
        do {
            let full = validFile().headerBytes()
            add("tensor info cut off", Array(full.dropLast(5))) {
                if case .ggufTruncated(_, let what, _, 8, 3) = $0 { what.contains("data offset of tensor 'norm'") } else { false }
            }
        }

        // Data section.
        add("data section missing", { w in w.tensors = w.tensors.map { var t = $0; t.data = []; return t } }) {
            if case .ggufTruncated = $0 { true } else if case .ggufTensorDataOutOfRange = $0 { true } else { false }
        }
        do {
            let w = validFile()
            add("last tensor cut off", Array(w.bytes().dropLast(4))) {
                if case .ggufTensorDataOutOfRange(_, "norm", 96, 16, let size) = $0 { size == 108 } else { false }
            }
        }
        add("offset far past end", { $0.tensors[1].offsetOverride = 1 << 40 }) {
            if case .ggufTensorDataOutOfRange(_, "norm", 1 << 40, 16, _) = $0 { true } else { false }
        }
        add("offset near UInt64.max", { $0.tensors[1].offsetOverride = UInt64.max - 31 }) {
            if case .ggufTensorDataOutOfRange(_, "norm", UInt64.max - 31, 16, _) = $0 { true } else { false }
        }
        add("misaligned offset", { $0.tensors[1].offsetOverride = 100 }) {
            $0 == .ggufMisalignedTensor(path: $0.path, tensor: "norm", offset: 100, alignment: 32)
        }
        add("overlapping tensors", { $0.tensors[1].offsetOverride = 32 }) {
            $0 == .overlappingTensors(path: $0.path, first: "w", second: "norm")
        }
        return cases
    }
}
