// Reading and writing safetensors: round trips, dtype conversion, metadata, atomic writes, and
// interchange with Python's safetensors through committed fixtures.
import Foundation
import Support
import Testing
import TensorCore
@testable import Checkpoints

@Suite("SafeTensors read/write")
struct SafeTensorsTests {
    /// Tensors with awkward shapes (scalar, empty) and one large enough that reading it is split
    /// across threads.
    static func sampleTensors() -> [String: Tensor] {
        var rng = SplitMix64(seed: 42)
        func random(_ shape: [Int]) -> Tensor {
            let n = shape.reduce(1, *)
            return Tensor(shape: shape, data: (0 ..< n).map { _ in Float.random(in: -3 ... 3, using: &rng) })
        }
        return [
            "layers.0.weight": random([3, 5]),
            "layers.0.bias": random([5]),
            "big": random([600, 1000]),
            "step": Tensor(shape: [], data: [7]),
            "empty": Tensor(shape: [0, 4], data: []),
            "zz.last": random([2, 2, 2]),
        ]
    }

    @Test func float32RoundTripIsExact() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            let tensors = Self.sampleTensors()
            try SafeTensors.write(tensors, to: url)

            let file = try SafeTensorsFile(url: url)
            #expect(file.tensorNames == tensors.keys.sorted())
            #expect(file.metadata.isEmpty)
            let loaded = try file.loadAll()
            for (name, tensor) in tensors {
                let info = try #require(file.info(name))
                #expect(info.dtype == .f32)
                #expect(info.shape == tensor.shape)
                #expect(info.byteCount == tensor.count * 4)
                let back = try #require(loaded[name])
                #expect(back.shape == tensor.shape)
                #expect(back.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(name)")
            }
        }
    }

    @Test func bfloat16RoundTripMatchesCorrectRounding() throws {
        var rng = SplitMix64(seed: 7)
        // Random bit patterns cover every exponent (subnormals, NaNs, infinities); the explicit
        // values are ties (1 + 2^-8, 1 + 3·2^-8), just-above-ties, overflow to infinity, zeros.
        var values = (0 ..< 20_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        values += [1 + 0x1p-8, 1 + 3 * 0x1p-8, -(1 + 0x1p-8), 1 + 0x1p-8 + 0x1p-23, .greatestFiniteMagnitude,
                   -.greatestFiniteMagnitude, Float(bitPattern: 0x7F7F_7FFF), Float(bitPattern: 0x7F7F_8000),
                   0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, Float(bitPattern: 0x0001_8000)]
        values += (0 ..< 300_000).map { _ in Float.random(in: -1000 ... 1000, using: &rng) }  // parallel read path
        let tensor = Tensor(shape: [values.count], data: values)

        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("bf16.safetensors")
            try SafeTensors.write(["w": tensor], to: url, dtype: .bf16)
            let file = try SafeTensorsFile(url: url)
            #expect(file.info("w")?.dtype == .bf16)
            #expect(file.info("w")?.byteCount == values.count * 2)
            let back = try file.tensor("w").scalars
            var mismatches = 0
            for (x, y) in zip(values, back) where !sameFloat(referenceBFloat16(x), y) {
                if mismatches < 5 { Issue.record("\(x) (0x\(String(x.bitPattern, radix: 16))) → \(y), expected \(referenceBFloat16(x))") }
                mismatches += 1
            }
            #expect(mismatches == 0)
        }
        #expect(referenceBFloat16(1 + 0x1p-8) == 1)
        #expect(referenceBFloat16(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
        #expect(referenceBFloat16(.greatestFiniteMagnitude) == .infinity)
    }

    @Test func float16IsReadExactlyFromHandBuiltBytes() throws {
        let halfBits: [UInt16] = [0x0000, 0x8000, 0x3C00, 0xC000, 0x0001, 0x03FF, 0x8001, 0x0400, 0x7BFF,
                                  0x3555, 0x7C00, 0xFC00, 0x7E00, 0xFE01]
        let expected: [Float] = [0, -0.0, 1, -2, 0x1p-24, 1023 * 0x1p-24, -0x1p-24, 0x1p-14, 65504,
                                 0.333251953125, .infinity, -.infinity, .nan, -.nan]
        // The F32 tensor after an odd-length F16 one starts at a 2-byte boundary: loads must not
        // assume alignment.
        let header = """
            {"h":{"dtype":"F16","shape":[2,7],"data_offsets":[0,28]},\
            "odd":{"dtype":"F16","shape":[1],"data_offsets":[28,30]},\
            "w":{"dtype":"F32","shape":[2],"data_offsets":[30,38]}}
            """
        let data = bytes(ofUInt16: halfBits) + bytes(ofUInt16: [0x3800]) + bytes(ofFloats: [1.5, -0.25])
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("f16.safetensors")
            try Data(rawSafeTensors(header: header, data: data)).write(to: url)
            let file = try SafeTensorsFile(url: url)
            let h = try file.tensor("h")
            #expect(h.shape == [2, 7])
            for (got, want) in zip(h.scalars, expected) {
                #expect(sameFloat(got, want), "got \(got), want \(want)")
            }
            #expect(try file.tensor("odd").scalars == [0.5])
            #expect(try file.tensor("w").scalars == [1.5, -0.25])
        }
    }

    #if !(os(macOS) && arch(x86_64))  // Float16 is unavailable on Intel Macs
    @Test func float16ConversionAgreesWithFloat16ForEveryBitPattern() {
        let patterns = (0 ... UInt16.max).map { $0 }
        var widened = [Float](repeating: 0, count: patterns.count)
        patterns.withUnsafeBytes { source in
            widened.withUnsafeMutableBufferPointer { destination in
                FloatConversion.widenF16(source.baseAddress!, destination.baseAddress!, patterns.count)
            }
        }
        let wrong = zip(patterns, widened).filter { !sameFloat(Float(Float16(bitPattern: $0)), $1) }
        #expect(wrong.isEmpty, "first: \(wrong.prefix(3))")
    }
    #endif

    @Test func largeHalfPrecisionTensorsConvertAcrossThreads() throws {
        // 700k elements: several chunks, so a wrong per-chunk source offset would show.
        let count = 700_003
        let pattern = (0 ..< count).map { UInt16(truncatingIfNeeded: ($0 &* 0x9E37_79B9) >> 11) }
        let header = """
            {"b":{"dtype":"BF16","shape":[\(count)],"data_offsets":[0,\(2 * count)]},\
            "h":{"dtype":"F16","shape":[\(count)],"data_offsets":[\(2 * count),\(4 * count)]}}
            """
        let raw = bytes(ofUInt16: pattern)
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("big-half.safetensors")
            try Data(rawSafeTensors(header: header, data: raw + raw)).write(to: url)
            let file = try SafeTensorsFile(url: url)
            var single = [Float](repeating: 0, count: count)
            raw.withUnsafeBytes { source in
                single.withUnsafeMutableBufferPointer { FloatConversion.widenF16(source.baseAddress!, $0.baseAddress!, count) }
            }
            #expect(try file.tensor("h").scalars.map(\.bitPattern) == single.map(\.bitPattern))
            #expect(try file.tensor("b").scalars.map(\.bitPattern) == pattern.map { UInt32($0) << 16 })
        }
    }

    @Test func metadataRoundTrips() throws {
        let metadata = [
            "format": "pt",
            "step": "1200",
            "tricky \"key\"": "quotes \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é ✓ 😀",
            "": "empty key",
        ]
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("meta.safetensors")
            try SafeTensors.write(["x": Tensor([1, 2, 3])], to: url, dtype: .bf16, metadata: metadata)
            let file = try SafeTensorsFile(url: url)
            #expect(file.metadata == metadata)
            #expect(try file.tensor("x").scalars == [1, 2, 3])

            // No metadata: no `__metadata__` key at all, as Python's safetensors writes it.
            try SafeTensors.write(["x": Tensor([1])], to: url)
            let header = try Data(contentsOf: url)
            #expect(!String(decoding: header, as: UTF8.self).contains("__metadata__"))
            #expect(try SafeTensorsFile(url: url).metadata.isEmpty)
        }
    }

    @Test func writtenLayoutFollowsTheFormat() throws {
        let tensors = ["b": Tensor(shape: [3], repeating: 1), "a": Tensor(shape: [2, 2], repeating: 2),
                       "c": Tensor(shape: [0], data: []), "a.b": Tensor(3)]
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("layout.safetensors")
            for dtype in SafeTensorsDType.writable {
                try SafeTensors.write(tensors, to: url, dtype: dtype, metadata: ["k": "v"])
                let bytes = [UInt8](try Data(contentsOf: url))
                let headerLength = bytes[0 ..< 8].reversed().reduce(0) { $0 << 8 | Int($1) }
                let header = bytes[8 ..< 8 + headerLength]
                let unpadded = header.reversed().drop { $0 == UInt8(ascii: " ") }
                #expect(headerLength % 8 == 0, "header padded to a multiple of 8")
                #expect(header.first == UInt8(ascii: "{") && unpadded.first == UInt8(ascii: "}"))
                #expect(headerLength - unpadded.count < 8, "padding is spaces, fewer than 8")

                let file = try SafeTensorsFile(url: url)
                #expect(file.tensorNames == ["a", "a.b", "b", "c"])
                var offset = 0
                for name in file.tensorNames {  // name order, contiguous from 0
                    let info = try #require(file.info(name))
                    #expect(info.dataOffsets.lowerBound == offset, "\(name)")
                    #expect(info.dtype == dtype)
                    offset = info.dataOffsets.upperBound
                }
                #expect(8 + headerLength + offset == bytes.count)
            }
        }
    }

    @Test func integerTensorsAndUnsupportedDTypes() throws {
        let header = """
            {"ids":{"dtype":"I32","shape":[3],"data_offsets":[0,12]},\
            "pos":{"dtype":"I64","shape":[2],"data_offsets":[12,28]},\
            "mask":{"dtype":"BOOL","shape":[4],"data_offsets":[28,32]},\
            "w":{"dtype":"F32","shape":[],"data_offsets":[32,36]}}
            """
        var data: [UInt8] = []
        for v: Int32 in [7, -1, .max] { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        for v: Int64 in [1 << 40, -3] { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        data += [1, 0, 1, 1] + bytes(ofFloats: [2.5])
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("ints.safetensors")
            try Data(rawSafeTensors(header: header, data: data)).write(to: url)
            let file = try SafeTensorsFile(url: url)
            #expect(try file.integers("ids") == [7, -1, Int64(Int32.max)])
            #expect(try file.integers("pos") == [1 << 40, -3])
            #expect(try file.tensor("w").scalar == 2.5)

            for (name, read) in [("mask", { try file.tensor("mask") as Any }), ("ids", { try file.tensor("ids") as Any }),
                                 ("w", { try file.integers("w") as Any }), ("ids", { try file.loadAll() as Any })] {
                let error = #expect(throws: CheckpointError.self) { _ = try read() }
                guard case .unsupportedDType(_, let tensor, _, _)? = error else {
                    Issue.record("expected unsupportedDType, got \(String(describing: error))")
                    continue
                }
                #expect(tensor == name)
                #expect(error?.description.contains("ints.safetensors") == true)
                #expect(error?.description.contains("'\(name)'") == true)
            }
            let missing = #expect(throws: CheckpointError.self) { _ = try file.tensor("nope") }
            #expect(missing == .tensorNotFound(path: url.path(percentEncoded: false), tensor: "nope"))
        }
    }

    // MARK: - Atomic writes

    @Test func writeLeavesNoTemporaryFileBehind() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("ckpt.safetensors")
            try SafeTensors.write(Self.sampleTensors(), to: url, dtype: .bf16)
            try SafeTensors.write(Self.sampleTensors(), to: url)  // overwrite
            #expect(try contents(of: dir) == ["ckpt.safetensors"])
        }
    }

    @Test func overwritingKeepsOpenFilesValid() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("ckpt.safetensors")
            try SafeTensors.write(["w": Tensor([1, 2, 3])], to: url)
            let old = try SafeTensorsFile(url: url)
            // The new file replaces the old by rename, so the old mapping still sees the old bytes.
            try SafeTensors.write(["w": Tensor([4, 5, 6, 7])], to: url)
            #expect(try old.tensor("w").scalars == [1, 2, 3])
            #expect(try SafeTensorsFile(url: url).tensor("w").scalars == [4, 5, 6, 7])
        }
    }

    @Test func failedWritesLeaveTheDirectoryAsItWas() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("ckpt.safetensors")
            try SafeTensors.write(["w": Tensor([1, 2])], to: url)

            let dtypeError = #expect(throws: CheckpointError.self) {
                try SafeTensors.write(["w": Tensor([9])], to: url, dtype: .f16)
            }
            #expect(dtypeError == .unsupportedWriteDType(path: url.path(percentEncoded: false), dtype: .f16))

            let nameError = #expect(throws: CheckpointError.self) {
                try SafeTensors.write(["__metadata__": Tensor([9])], to: url)
            }
            guard case .invalidTensorName(_, "__metadata__", _)? = nameError else {
                Issue.record("expected invalidTensorName, got \(String(describing: nameError))")
                return
            }

            // The rename fails (the destination is a non-empty directory) after the data is
            // written: the temporary file must be cleaned up.
            let blocked = dir.appendingPathComponent("blocked.safetensors", isDirectory: true)
            try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
            try Data([1]).write(to: blocked.appendingPathComponent("occupant"))
            let renameError = #expect(throws: CheckpointError.self) {
                try SafeTensors.write(["w": Tensor([9])], to: blocked)
            }
            guard case .writeFailed? = renameError else {
                Issue.record("expected writeFailed, got \(String(describing: renameError))")
                return
            }
            #expect(renameError?.description.contains("blocked.safetensors") == true)

            let missingDirectory = dir.appendingPathComponent("no/such/dir/x.safetensors")
            let createError = #expect(throws: CheckpointError.self) {
                try SafeTensors.write(["w": Tensor([9])], to: missingDirectory)
            }
            #expect(createError?.description.contains("x.safetensors") == true)

            #expect(try contents(of: dir) == ["blocked.safetensors", "ckpt.safetensors"])
            #expect(try SafeTensorsFile(url: url).tensor("w").scalars == [1, 2])
        }
    }

    // MARK: - Interchange with Python's safetensors

    @Test func pythonWrittenFixtureLoads() throws {
        struct Expected: Decodable {
            struct Entry: Decodable {
                var dtype: String
                var shape: [Int]
                var f32_bits: [UInt32]?
                var integers: [Int64]?
            }
            var metadata: [String: String]
            var tensors: [String: Entry]
        }
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: fixturesDirectory.appendingPathComponent("python_written.expected.json")))
        let file = try SafeTensorsFile(url: fixturesDirectory.appendingPathComponent("python_written.safetensors"))

        #expect(file.metadata == expected.metadata)
        #expect(file.tensorNames == expected.tensors.keys.sorted())
        for (name, entry) in expected.tensors {
            let info = try #require(file.info(name), "\(name)")
            #expect(info.dtype.rawValue == entry.dtype)
            #expect(info.shape == entry.shape)
            if let bits = entry.f32_bits {
                let tensor = try file.tensor(name)
                #expect(tensor.shape == entry.shape)
                #expect(tensor.scalars.map(\.bitPattern) == bits, "\(name)")
            }
            if let integers = entry.integers {
                #expect(try file.integers(name) == integers, "\(name)")
            }
        }
        #expect(Set(expected.tensors.values.map(\.dtype)).isSuperset(of: ["F32", "F16", "BF16", "I32", "I64"]))
    }

    /// What `swift_written_{f32,bf16}.safetensors` hold; keep in sync with `SWIFT_WRITTEN` in
    /// Tests/Fixtures/generate_safetensors_fixture.py, which checks those files with Python.
    enum SwiftWrittenFixture {
        static let tensors: [String: Tensor] = [
            "a.weight": Tensor(shape: [2, 3], data: [0, 1, -2.5, 0.1, 1e-3, -65504]),
            "b.ties": Tensor(shape: [4], data: [1 + 0x1p-8, 1 + 3 * 0x1p-8, -(1 + 0x1p-8), 1 + 0x1p-8 + 0x1p-23]),
            "c.special": Tensor(shape: [5], data: [.infinity, -.infinity, .nan, -0.0, .greatestFiniteMagnitude]),
            "d.subnormal": Tensor(shape: [3], data: [Float(bitPattern: 0x0001_8000), Float(bitPattern: 0x0000_8000),
                                                     Float(bitPattern: 1)]),
            "e.step": Tensor(shape: [], data: [42]),
            "f.empty": Tensor(shape: [0, 3], data: []),
        ]
        static let metadata = [
            "producer": "TokenAlign",
            "escapes": "quote \" backslash \\ newline \n tab \t bell \u{7} accents é ✓",
        ]
    }

    /// The committed files written by `SafeTensors.write` are what it writes today, so the Python
    /// check recorded in `swift_written.python-check.txt` still applies. With
    /// `TOKENALIGN_REGENERATE_FIXTURES=1` the files are rewritten instead (then rerun the script).
    @Test func swiftWrittenFixturesAreCurrent() throws {
        let regenerate = ProcessInfo.processInfo.environment["TOKENALIGN_REGENERATE_FIXTURES"] == "1"
        try withTemporaryDirectory { dir in
            for dtype in SafeTensorsDType.writable {
                let name = "swift_written_\(dtype.rawValue.lowercased()).safetensors"
                let fresh = dir.appendingPathComponent(name)
                try SafeTensors.write(SwiftWrittenFixture.tensors, to: fresh, dtype: dtype, metadata: SwiftWrittenFixture.metadata)
                let committed = fixturesDirectory.appendingPathComponent(name)
                if regenerate {
                    try? FileManager.default.removeItem(at: committed)
                    try FileManager.default.copyItem(at: fresh, to: committed)
                }
                #expect(try Data(contentsOf: fresh) == Data(contentsOf: committed), "\(name) is stale")

                let file = try SafeTensorsFile(url: committed)
                #expect(file.metadata == SwiftWrittenFixture.metadata)
                for (tensorName, tensor) in SwiftWrittenFixture.tensors {
                    let expected = dtype == .bf16 ? tensor.scalars.map(referenceBFloat16) : tensor.scalars
                    let loaded = try file.tensor(tensorName).scalars
                    #expect(zip(loaded, expected).allSatisfy { sameFloat($0, $1) } && loaded.count == expected.count, "\(tensorName)")
                }
            }
        }
    }

    @Test func pythonCheckOfSwiftWrittenFilesPassed() throws {
        let report = try String(contentsOf: fixturesDirectory.appendingPathComponent("swift_written.python-check.txt"), encoding: .utf8)
        #expect(report.contains("all checks passed"))
        #expect(!report.contains("MISMATCH"))
    }
}
