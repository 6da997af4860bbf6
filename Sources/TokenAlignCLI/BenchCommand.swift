// `tokenalign bench CASE`: throughput benchmarks in the one schema of docs/design/README.md
// ("Benchmarks"): best of ≥ 5 timed runs after warm-up, medians alongside; `--json`
// prints one JSON object per case.
import ArgumentParser
import Autograd
import CAllocationCounter
import Foundation
import Support
import NN
import TensorCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine: matmul GFLOP/s, transformer block forward+backward.",
        subcommands: [MatmulBench.self, MLPStepBench.self, AttentionStepBench.self, BlockStepBench.self, GenerateBench.self, SharedPrefixBench.self, TrieBench.self, SFTStepBench.self, DPOStepBench.self, RLStepBench.self, RMEvalBench.self]
    )
}

struct BenchOptions: ParsableArguments {
    @Option(help: "Timed repetitions (best and median reported; at least 5).")
    var repeats: Int = 10
    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 3
    @Flag(help: "Print one JSON object per case instead of a table.")
    var json = false

    func validate() throws {
        guard repeats >= 5 else { throw ValidationError("--repeats must be at least 5") }
        guard warmup >= 1 else { throw ValidationError("--warmup must be at least 1") }
    }
}

/// Wall-clock timings of `body` in seconds. Warm-up runs at least `warmup` times and at least
/// 0.3 s: OpenBLAS's idle pool thread busy-waits for ~0.1 s after the library starts and after each
/// multi-threaded call (its THREAD_TIMEOUT), taking a core from whatever runs then.
func measure(warmup: Int, repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
    let start = DispatchTime.now().uptimeNanoseconds
    var done = 0
    while done < warmup || DispatchTime.now().uptimeNanoseconds - start < 300_000_000 {
        try body()
        done += 1
    }
    var times: [Double] = []
    for _ in 0 ..< repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return times
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set size of this process in MiB (VmHWM), or 0 where unavailable.
func peakRSSMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

func emit(_ rows: [[String: Any]], json: Bool, columns: [String]) {
    if json {
        for var r in rows {
            // Which BLAS ran the products (TOKENALIGN_BLAS), so a row can never be credited to the other.
            if r["blas"] == nil { r["blas"] = BLAS.backend.rawValue }
            if let s = try? JSONValue(foundation: r).written(JSONWriteOptions(escapeSlashes: true)) { print(s) }
        }
        return
    }
    func fmt(_ v: Any?) -> String {
        switch v {
        case let d as Double: return d >= 100 ? String(format: "%.1f", d) : String(format: "%.3g", d)
        case let i as Int: return "\(i)"
        case let s as String: return s
        case nil: return "-"
        default: return "\(v!)"
        }
    }
    let cells = rows.map { r in columns.map { fmt(r[$0]) } }
    let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
    func line(_ xs: [String]) -> String {
        zip(xs, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }
    print(line(columns))
    print(line(widths.map { String(repeating: "-", count: $0) }))
    for c in cells { print(line(c)) }
}

struct MatmulBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul", abstract: "GFLOP/s of the engine's gemm path vs a direct cblas_sgemm call.")
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "Square sizes N (N×N·N×N).")
    var sizes: [Int] = [512, 1024]
    @OptionGroup var options: BenchOptions

    func run() throws {
        var rows: [[String: Any]] = []
        for n in sizes {
            var g = RandomGenerator(seed: 1)
            let a = Tensor.randomNormal([n, n], using: &g), b = Tensor.randomNormal([n, n], using: &g)
            let flops = 2.0 * Double(n * n * n)
            var sink: Float = 0
            let engine = measure(warmup: options.warmup, repeats: options.repeats) { sink += a.matmul(b)[flat: 0] }
            var c = Tensor(shape: [n, n])
            let cp = c.unsafeMutablePointer
            let direct = measure(warmup: options.warmup, repeats: options.repeats) {
                BLAS.directSgemm(M: n, N: n, K: n, A: a.unsafePointer, B: b.unsafePointer, C: cp, threads: Parallel.threadCount)
            }
            _ = c.withUnsafeMutableBufferPointer { $0[0] } + sink
            let e = flops / engine.min()! / 1e9, d = flops / direct.min()! / 1e9
            rows.append([
                "case": "matmul", "size": "\(n)", "n": n,
                "engine_gflops": e, "cblas_gflops": d, "ratio": e / d,
                "median_engine_gflops": flops / median(engine) / 1e9,
                "median_cblas_gflops": flops / median(direct) / 1e9,
                "threads": Parallel.threadCount,
            ])
        }
        emit(rows, json: options.json, columns: ["case", "n", "engine_gflops", "cblas_gflops", "ratio", "median_engine_gflops", "median_cblas_gflops"])
    }
}

/// Which part of a transformer block a step benchmark runs.
enum BlockPart: String { case mlp, attention, block }

/// Forward + backward of (part of) one pre-LN transformer block at batch 8 × context.
func blockStepRow(part: BlockPart, size: BenchSize, batch: Int, options: BenchOptions) -> [String: Any] {
    var rng = RandomGenerator(seed: 0)
    let C = size.dModel, T = size.context, B = batch
    let block = TransformerBlock(dimensions: C, heads: size.heads, rng: &rng)
    let x = Variable(Tensor.randomNormal([B, T, C], using: &rng), requiresGrad: true)
    let seed = Tensor.randomNormal([B, T, C], using: &rng)
    func step() {
        block.zeroGrad()
        x.grad = nil
        let y: Variable
        switch part {
        case .mlp: y = x + block.mlp(block.ln2(x))
        case .attention: y = x + block.attn(block.ln1(x))
        case .block: y = block(x)
        }
        y.backward(seed: seed)
    }
    // Warm-up, then count fresh buffer allocations over one more step.
    for _ in 0 ..< options.warmup { step() }
    BufferPool.shared.resetStatistics()
    let mallocsBefore = ta_allocation_count()
    step()
    let mallocs = ta_allocation_count() - mallocsBefore
    let allocs = BufferPool.shared.statistics.freshAllocations
    let times = measure(warmup: 0, repeats: options.repeats, step)
    let best = times.min()!
    return [
        "case": "\(part.rawValue)-step", "size": size.name, "batch": B, "context": T,
        "ms_per_step": best * 1000, "median_ms_per_step": median(times) * 1000,
        "tokens_per_s": Double(B * T) / best, "median_tokens_per_s": Double(B * T) / median(times),
        "peak_rss_mib": peakRSSMiB(), "buffer_allocations_per_step": allocs,
        "heap_allocations_per_step": mallocsBefore < 0 ? -1 : Int(mallocs),
    ]
}

struct StepBenchOptions: ParsableArguments {
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny, small or gpt2 (the PyTorch baseline's sizes).")
    var sizes: [String] = ["tiny", "small"]
    @Option(help: "Batch size (the PyTorch baseline uses 8).")
    var batch: Int = 8

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil {
            throw ValidationError("unknown size '\(s)'; expected one of \(BenchSize.all.map(\.name).joined(separator: ", "))")
        }
    }
}

let stepColumns = ["case", "size", "ms_per_step", "median_ms_per_step", "tokens_per_s", "peak_rss_mib",
                   "buffer_allocations_per_step", "heap_allocations_per_step"]

/// The three block-part step benchmarks differ only in the part they time.
protocol BlockPartStepBench: ParsableCommand {
    static var part: BlockPart { get }
    var step: StepBenchOptions { get }
    var options: BenchOptions { get }
}

extension BlockPartStepBench {
    func run() throws {
        emit(step.sizes.compactMap(BenchSize.named).map { blockStepRow(part: Self.part, size: $0, batch: step.batch, options: options) },
             json: options.json, columns: stepColumns)
    }
}

struct MLPStepBench: BlockPartStepBench {
    static let configuration = CommandConfiguration(commandName: "mlp-step",
        abstract: "Forward+backward of x + MLP(LN(x)) at batch × context.")
    static let part = BlockPart.mlp
    @OptionGroup var step: StepBenchOptions
    @OptionGroup var options: BenchOptions
}

struct AttentionStepBench: BlockPartStepBench {
    static let configuration = CommandConfiguration(commandName: "attention-step",
        abstract: "Forward+backward of x + Attention(LN(x)) at batch × context.")
    static let part = BlockPart.attention
    @OptionGroup var step: StepBenchOptions
    @OptionGroup var options: BenchOptions
}

struct BlockStepBench: BlockPartStepBench {
    static let configuration = CommandConfiguration(commandName: "block-step",
        abstract: "Forward+backward of one whole pre-LN transformer block at batch × context.")
    static let part = BlockPart.block
    @OptionGroup var step: StepBenchOptions
    @OptionGroup var options: BenchOptions
}
