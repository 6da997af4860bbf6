// Malformed safetensors files: each defect is reported as its own `CheckpointError` case, whose
// description names the file and, where one is involved, the tensor. Nothing traps.
import Foundation
import Support
import Testing
import TensorCore
@testable import Checkpoints

/// One malformed file and the error it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    /// The tensor the error must name (in `tensorName` and in the description).
    var tensor: String?
    var matches: @Sendable (CheckpointError) -> Bool

    var testDescription: String { label }
    var fileName: String { "malformed-\(label.replacingOccurrences(of: " ", with: "-")).safetensors" }

    init(_ label: String, _ bytes: [UInt8], tensor: String? = nil, _ matches: @escaping @Sendable (CheckpointError) -> Bool) {
        self.label = label
        self.bytes = bytes
        self.tensor = tensor
        self.matches = matches
    }

    init(_ label: String, header: String, data: [UInt8] = [], tensor: String? = nil,
         _ matches: @escaping @Sendable (CheckpointError) -> Bool) {
        self.init(label, rawSafeTensors(header: header, data: data), tensor: tensor, matches)
    }

    static let all: [MalformedCase] = [
        // Framing.
        MalformedCase("empty file", []) { if case .fileTooShort(_, 0) = $0 { true } else { false } },
        MalformedCase("too short", [16, 0, 0, 0, 0]) { if case .fileTooShort(_, 5) = $0 { true } else { false } },
        MalformedCase("header length beyond file", rawSafeTensors(header: "{}", headerLength: 1000)) {
            if case .headerLengthExceedsFile(_, 1000, 16) = $0 { true } else { false }
        },
        MalformedCase("header length beyond limit", rawSafeTensors(header: "{}", headerLength: 1 << 40)) {
            if case .headerTooLarge(_, 1 << 40, _) = $0 { true } else { false }
        },
        MalformedCase("header length near UInt64 max", rawSafeTensors(header: "{}", headerLength: .max)) {
            if case .headerTooLarge = $0 { true } else { false }
        },

        // Header JSON.
        MalformedCase("bad JSON", header: #"{"w": {"dtype": "#) { if case .invalidJSON = $0 { true } else { false } },
        MalformedCase("trailing comma", header: #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},}"#, data: [0, 0, 0, 0]) {
            if case .invalidJSON = $0 { true } else { false }
        },
        MalformedCase("duplicate key", header: #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,
                      data: [0, 0, 0, 0]) {
            if case .invalidJSON(_, let reason) = $0 { reason.contains("duplicate") } else { false }
        },
        MalformedCase("invalid UTF-8", rawSafeTensors(header: "{\"w\u{E9}\":null}").map { $0 == 0xC3 ? 0xFF : $0 }) {
            if case .invalidJSON(_, let reason) = $0 { reason.contains("UTF-8") } else { false }
        },
        MalformedCase("unterminated string", header: #"{"w"#) { if case .invalidJSON = $0 { true } else { false } },
        MalformedCase("deep nesting", header: String(repeating: "[", count: 100_000)) {
            if case .invalidJSON(_, let reason) = $0 { reason.contains("nested") } else { false }
        },
        MalformedCase("leading whitespace", header: " {}") { if case .invalidJSON = $0 { true } else { false } },
        MalformedCase("header is an array", header: "[1, 2]") { if case .headerNotAnObject = $0 { true } else { false } },
        MalformedCase("header is a string", header: #""F32""#) { if case .headerNotAnObject = $0 { true } else { false } },
        MalformedCase("metadata value not a string", header: #"{"__metadata__":{"step":12}}"#) {
            if case .invalidMetadata = $0 { true } else { false }
        },
        MalformedCase("metadata not an object", header: #"{"__metadata__":"v"}"#) {
            if case .invalidMetadata = $0 { true } else { false }
        },

        // Tensor entries.
        MalformedCase("entry not an object", header: #"{"w":3}"#, tensor: "w") {
            if case .invalidTensorEntry = $0 { true } else { false }
        },
        MalformedCase("missing dtype", header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .missingField(_, _, "dtype") = $0 { true } else { false }
        },
        MalformedCase("missing shape", header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .missingField(_, _, "shape") = $0 { true } else { false }
        },
        MalformedCase("missing data_offsets", header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .missingField(_, _, "data_offsets") = $0 { true } else { false }
        },
        MalformedCase("dtype not a string", header: #"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .wrongFieldType(_, _, "dtype", _, _) = $0 { true } else { false }
        },
        MalformedCase("shape not an array", header: #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .wrongFieldType(_, _, "shape", _, _) = $0 { true } else { false }
        },
        MalformedCase("shape holds a bool", header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .wrongFieldType(_, _, "shape", _, _) = $0 { true } else { false }
        },
        MalformedCase("one data offset", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .wrongFieldType(_, _, "data_offsets", _, _) = $0 { true } else { false }
        },
        MalformedCase("string data offsets", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .wrongFieldType(_, _, "data_offsets", _, _) = $0 { true } else { false }
        },
        MalformedCase("negative data offset", header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[-4,0]}}"#, tensor: "w") {
            if case .wrongFieldType(_, _, "data_offsets", _, _) = $0 { true } else { false }
        },
        MalformedCase("unknown dtype", header: #"{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .unknownDType(_, _, "F17") = $0 { true } else { false }
        },
        MalformedCase("lowercase dtype", header: #"{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .unknownDType(_, _, "f32") = $0 { true } else { false }
        },
        MalformedCase("negative dimension", header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .invalidShape(_, _, let reason) = $0 { reason.contains("-1") } else { false }
        },
        MalformedCase("fractional dimension", header: #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8), tensor: "w") {
            if case .invalidShape(_, _, let reason) = $0 { reason.contains("2.5") } else { false }
        },
        MalformedCase("exponent dimension", header: #"{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .invalidShape = $0 { true } else { false }
        },
        MalformedCase("huge dimension", header: #"{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .invalidShape = $0 { true } else { false }
        },
        MalformedCase("element count overflow", header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .invalidShape = $0 { true } else { false }
        },
        MalformedCase("overflow before a zero extent", header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4,0],"data_offsets":[0,0]}}"#, tensor: "w") {
            if case .invalidShape = $0 { true } else { false }
        },
        MalformedCase("partial byte", header: #"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0], tensor: "w") {
            if case .invalidShape = $0 { true } else { false }
        },
        MalformedCase("reversed data offsets", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: [UInt8](repeating: 0, count: 8), tensor: "w") {
            if case .dataOffsetsOutOfRange(_, _, 8, 4, 8) = $0 { true } else { false }
        },
        MalformedCase("data offsets past the data", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}}"#,
                      data: [UInt8](repeating: 0, count: 8), tensor: "b") {
            if case .dataOffsetsOutOfRange(_, _, 100, 104, 8) = $0 { true } else { false }
        },
        MalformedCase("byte length mismatch", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], tensor: "w") {
            if case .byteLengthMismatch(_, _, .f32, [2], 8, 4) = $0 { true } else { false }
        },

        // Layout of the data section.
        MalformedCase("overlapping tensors", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                      data: [UInt8](repeating: 0, count: 16), tensor: "a") {
            if case .overlappingTensors(_, "a", "b") = $0 { true } else { false }
        },
        MalformedCase("aliased tensors", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                      data: [UInt8](repeating: 0, count: 16), tensor: "a") {
            if case .overlappingTensors(_, "a", "b") = $0 { true } else { false }
        },
        MalformedCase("truncated data", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                      data: [UInt8](repeating: 0, count: 12)) {
            if case .truncated(_, 12, 16) = $0 { true } else { false }
        },
        MalformedCase("hole between tensors", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                      data: [UInt8](repeating: 0, count: 12)) {
            if case .unindexedBytes(_, 4 ..< 8) = $0 { true } else { false }
        },
        MalformedCase("trailing bytes", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 6)) {
            if case .unindexedBytes(_, 4 ..< 6) = $0 { true } else { false }
        },
    ]
}

@Suite("SafeTensors header validation")
struct SafeTensorsValidationTests {
    @Test(arguments: MalformedCase.all)
    func malformedFileIsRejected(_ malformed: MalformedCase) throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent(malformed.fileName)
            try Data(malformed.bytes).write(to: url)
            let error = try #require(openingError(url), "\(malformed.label) opened without error")
            #expect(malformed.matches(error), "\(malformed.label): got \(error)")
            #expect(error.path == url.path(percentEncoded: false))
            #expect(error.description.contains(malformed.fileName), "\(error)")
            if let tensor = malformed.tensor {
                #expect(error.tensorName == tensor)
                #expect(error.description.contains("'\(tensor)'"), "\(error)")
            }
        }
    }

    @Test func validEdgeCasesAreAccepted() throws {
        let cases: [(String, [UInt8])] = [
            ("empty header", rawSafeTensors(header: "{}")),
            ("unpadded header", rawSafeTensors(header: "{}", pad: false)),
            ("null metadata only", rawSafeTensors(header: #"{"__metadata__":null}"#)),
            ("whitespace and escapes", rawSafeTensors(header: "{ \"w\\u00e9\\n\\ud83d\\ude00\" : {\"shape\":[ ],\"data_offsets\":[0,4],\"dtype\":\"F32\",\"extra\":1}\n}\t",
                                                      data: bytes(ofFloats: [3]))),
            ("zero-size tensors anywhere", rawSafeTensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"BF16","shape":[0,9],"data_offsets":[4,4]},"z":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}"#,
                                                          data: bytes(ofFloats: [1]))),
            ("sub-byte dtype", rawSafeTensors(header: #"{"q":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#, data: [0x12, 0x34])),
        ]
        try withTemporaryDirectory { dir in
            for (label, bytes) in cases {
                let url = dir.appendingPathComponent("valid.safetensors")
                try Data(bytes).write(to: url)
                #expect(openingError(url) == nil, "\(label): \(String(describing: openingError(url)))")
                let file = try SafeTensorsFile(url: url)
                for name in file.tensorNames where file.info(name).map({ SafeTensorsDType.floatReadable.contains($0.dtype) }) == true {
                    _ = try file.tensor(name)
                }
            }
            let url = dir.appendingPathComponent("valid.safetensors")
            try Data(cases[3].1).write(to: url)
            #expect(try SafeTensorsFile(url: url).tensor("wé\n😀").scalars == [3])
        }
    }

    @Test func missingFileAndDirectoryAreReported() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("absent.safetensors")
            guard case .cannotOpen? = openingError(missing) else {
                Issue.record("expected cannotOpen")
                return
            }
            #expect(openingError(missing)?.description.contains("absent.safetensors") == true)
            guard case .cannotOpen? = openingError(dir) else {
                Issue.record("expected cannotOpen for a directory")
                return
            }
        }
    }

    /// Every prefix of a valid file is invalid and reports an error instead of trapping.
    @Test func everyTruncationOfAValidFileIsRejected() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("whole.safetensors")
            try SafeTensors.write(["a": Tensor([1, 2, 3]), "b": Tensor(shape: [2, 2], repeating: 5)], to: url,
                                  dtype: .bf16, metadata: ["k": "v"])
            let whole = [UInt8](try Data(contentsOf: url))
            // Shrinking one file step by step (rather than rewriting it per length) keeps the
            // filesystem from flushing each rewrite to disk.
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            for length in (0 ..< whole.count).reversed() {
                try handle.truncate(atOffset: UInt64(length))
                #expect(openingError(url) != nil, "prefix of \(length) bytes opened")
                if length == whole.count - 3 {  // cut into the data section: reported as truncation
                    guard case .truncated(_, let have, let need)? = openingError(url) else {
                        Issue.record("expected truncated, got \(String(describing: openingError(url)))")
                        return
                    }
                    #expect(need - have == 3)
                }
            }
        }
    }

    /// Random corruption of the header never traps; whatever opens can be read.
    @Test func corruptedHeadersNeverTrap() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("fuzz.safetensors")
            try SafeTensors.write(["alpha": Tensor([1, 2, 3]), "beta": Tensor(shape: [2, 1], repeating: 5)], to: url,
                                  metadata: ["k": "v"])
            let original = [UInt8](try Data(contentsOf: url))
            let headerEnd = 8 + original[0 ..< 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            var rng = SplitMix64(seed: 2024)
            let alphabet = Array(#"{}[]",:0123456789-.eE"\ tuF32BI6"#.utf8)
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            var opened = 0
            for _ in 0 ..< 2000 {
                var bytes = original
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                    let i = Int.random(in: 0 ..< headerEnd, using: &rng)
                    bytes[i] = Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0 ... 255, using: &rng)
                }
                // Same length, so overwrite in place: truncating and rewriting a file makes the
                // filesystem flush it, which makes the loop disk-bound.
                try handle.seek(toOffset: 0)
                try handle.write(contentsOf: bytes)
                guard let file = try? SafeTensorsFile(url: url) else { continue }
                opened += 1
                for name in file.tensorNames { _ = try? file.tensor(name) }
            }
            #expect(opened > 0 && opened < 2000, "\(opened) of 2000 corrupted files opened")
        }
    }
}
