// One entry per fuzzed input format: bytes in, parsed (or refused with a typed error) out. The
// libFuzzer executables (`scripts/fuzz.sh`, `make fuzz`) call these on mutated inputs under
// AddressSanitizer; the normal test suite replays every committed corpus file through the same
// functions without the sanitizer (Tests/FuzzHarnessTests). A crash, a sanitizer report or a hang
// in here is a bug; a thrown error is the expected answer to bad input.
import Checkpoints
import Datasets
import Foundation
import Models
import Tokenizers
import Training

public enum FuzzHarness {
    /// What an input did: parsed, or refused with this message.
    public enum Outcome: Equatable, Sendable {
        case accepted
        case refused(String)
    }

    /// The targets by name (the folder names under Tests/Fuzz/corpus/).
    public static let targets: [String: @Sendable (Data) -> Outcome] = [
        "safetensors": safetensors, "gguf": gguf, "config": configuration,
        "tokenizer": tokenizer, "jsonl": jsonl, "yaml": yaml, "template": template,
        "rlprompts": rlprompts, "rollouts": rollouts, "credit": credit, "rewardbench": rewardbench,
    ]

    /// Runs `body`, mapping a thrown error to `.refused` with its description.
    static func outcome(_ body: () throws -> Void) -> Outcome {
        do { try body(); return .accepted } catch { return .refused("\(error)") }
    }

    /// The input as a file of a per-process scratch folder (the parsers read files: mmap, paths
    /// in messages). /dev/shm when there is one, so fuzzing does not wear a disk.
    static func file(_ data: Data, _ name: String) -> URL {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = URL(fileURLWithPath: base).appendingPathComponent("tokenalign-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try? data.write(to: url)
        return url
    }

    /// safetensors: header, offsets, every float tensor converted to Float32 and every integer
    /// tensor read (other dtypes are parsed but have no reader).
    @Sendable public static func safetensors(_ data: Data) -> Outcome {
        outcome {
            let f = try SafeTensorsFile(url: file(data, "model.safetensors"))
            for name in f.tensorNames {
                if let info = f.info(name), SafeTensorsDType.integerReadable.contains(info.dtype) {
                    _ = try f.integers(name)
                } else if let info = f.info(name), [.f32, .f16, .bf16].contains(info.dtype) {
                    _ = try f.tensor(name)
                }
            }
        }
    }

    /// GGUF: header, metadata, tensor infos, every tensor dequantised, the model configuration
    /// and its pre-allocation checks, and the tokenizer the metadata describes.
    @Sendable public static func gguf(_ data: Data) -> Outcome {
        outcome {
            let g = try GGUFFile(url: file(data, "model.gguf"))
            for info in g.tensorInfos { _ = try g.tensor(info.name) }
            if g.metadata["tokenizer.ggml.tokens"] != nil {
                let t = try Tokenizer(gguf: try PretrainedModel.ggufTokenizerMetadata(g), file: "model.gguf")
                _ = t.decode(t.encode("Hello, wörld 123!"))
            }
            _ = try ModelRegistry.checkedSpecification(gguf: g)
        }
    }

    /// config.json → a validated model configuration and its parameter count (nothing built).
    @Sendable public static func configuration(_ data: Data) -> Outcome {
        outcome {
            let (spec, _) = try ModelRegistry.specification(configurationData: data, path: "config.json")
            _ = spec.footprint
        }
    }

    /// tokenizer.json loading, then encoding and decoding a fixed text (with special tokens and
    /// multi-byte characters) and a text made from the input itself.
    @Sendable public static func tokenizer(_ data: Data) -> Outcome {
        outcome {
            let t = try Tokenizer(tokenizerJSONData: data)
            let probe = "Hello, wörld! 12345 \u{1F600}  tabs\tand\nnewlines <|endoftext|>"
            _ = t.decode(t.encode(probe, addSpecialTokens: true))
            _ = t.encode(String(decoding: data.prefix(256), as: UTF8.self))
        }
    }

    /// The fixture tokenizer the JSONL target encodes with (a small byte-level BPE).
    static let fixtureTokenizer: Tokenizer? = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/datasets/tokenizer")
        return try? Tokenizer(directory: folder)
    }()

    /// Builds the process-lifetime fixtures now (the fuzz driver does so with LeakSanitizer off).
    public static func prepareFixtures() { _ = fixtureTokenizer }

    /// JSONL rows read as every TRL format (preference, sequence, unpaired) and as our credit
    /// annotations; a row that fits none is refused by each.
    @Sendable public static func jsonl(_ data: Data) -> Outcome {
        guard let tok = fixtureTokenizer else { return .refused("fixture tokenizer missing") }
        let url = file(data, "data.jsonl")
        let encoder = DatasetEncoder(tokenizer: tok, options: EncodingOptions(maxLength: 64, maxPromptLength: 32, allowTruncation: true))
        var accepted = false
        var messages: [String] = []
        for read in [
            { _ = try DatasetLoader.preferences(url.path, encoder: encoder) },
            { _ = try DatasetLoader.sequences(url.path, encoder: encoder) },
            { _ = try DatasetLoader.unpaired(url.path, encoder: encoder) },
            { _ = try CreditAnnotations.read(url.path, tokenizer: tok) },
        ] as [() throws -> Void] {
            switch outcome(read) {
            case .accepted: accepted = true
            case .refused(let m): messages.append(m)
            }
        }
        return accepted ? .accepted : .refused(messages.joined(separator: " | "))
    }

    /// A run configuration YAML (`--config`): bounded, parsed, validated.
    @Sendable public static func yaml(_ data: Data) -> Outcome {
        outcome { _ = try RunFolder.readConfiguration(file(data, "run.yaml").path) }
    }
}
