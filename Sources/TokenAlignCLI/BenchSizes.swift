// Model sizes shared with the PyTorch baseline of BENCHMARKS.md (docs/design/README.md, "Benchmarks").

public struct BenchSize: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var dModel: Int
    public var heads: Int
    public var vocab: Int
    public var context: Int

    public static let tiny = BenchSize(name: "tiny", layers: 4, dModel: 256, heads: 4, vocab: 4096, context: 128)
    public static let small = BenchSize(name: "small", layers: 6, dModel: 384, heads: 6, vocab: 8192, context: 256)
    public static let gpt2 = BenchSize(name: "gpt2", layers: 12, dModel: 768, heads: 12, vocab: 50257, context: 256)
    public static let all = [tiny, small, gpt2]

    public static func named(_ s: String) -> BenchSize? { all.first { $0.name == s } }
}
