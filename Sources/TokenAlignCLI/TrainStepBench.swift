// `tokenalign bench sft-step` and `tokenalign bench dpo-step`: one training step of a GPT-2-style
// model at the `BenchSize` sizes, the shapes of the PyTorch baseline's `sft` and `dpo`
// cases (batch 8 × full context, float32, AdamW lr 3e-4, betas (0.9, 0.95), weight decay 0.1).
//   sft: forward + token-mean cross-entropy + backward + AdamW. Under `mpirun -np N` every rank
//        runs its own batch and the gradients are summed over ranks before AdamW (data
//        parallelism, docs/design/distributed.md §4): throughput counts all ranks' tokens, and the
//        all-reduce is timed on its own in the same run.
//   dpo: reference forward (no graph) + policy forward/backward on 4 chosen + 4 rejected rows that
//        share their first half (the prompt), loss mask on the second half, DPO sigmoid (β = 0.1)
//        on summed masked log-probs, AdamW.
import ArgumentParser
import Autograd
import Distributed
import Foundation
import Models
import NN
import Objectives
import Optim
import TensorCore
import Training

struct TrainStepBenchArguments: ParsableArguments {
    @Option(name: .customLong("size"), parsing: .upToNextOption, help: "tiny, small or gpt2 (random GPT-2-style weights).")
    var sizes: [String] = ["tiny", "small"]
    @Option(help: "Rows per step (dpo: half chosen, half rejected).") var batch: Int = 8
    @Option(help: "Sequence length (default: the size's full context).") var context: Int?
    @OptionGroup var options: BenchOptions

    func validate() throws {
        for s in sizes where BenchSize.named(s) == nil { throw ValidationError("unknown size '\(s)'") }
        guard batch >= 2, batch % 2 == 0 else { throw ValidationError("--batch must be even and ≥ 2") }
    }

    /// The model, its inputs [B, T], predicted tokens [B, T] and T.
    func setup(_ s: BenchSize, sharedPrompt: Bool) -> (model: GPT2LMHeadModel, x: IndexTensor, y: IndexTensor, T: Int) {
        let T = context ?? s.context
        let config = GPT2Configuration(vocabSize: s.vocab, nPositions: max(s.context, T), nEmbd: s.dModel, nLayer: s.layers, nHead: s.heads)
        let model = GPT2LMHeadModel(config, seed: 0)
        var rng = RandomGenerator(seed: 1)
        var seq = (0 ..< batch).map { _ in (0 ..< T + 1).map { _ in Int32(rng.next() % UInt64(s.vocab)) } }
        if sharedPrompt {
            for r in batch / 2 ..< batch { for t in 0 ..< T / 2 { seq[r][t] = seq[r - batch / 2][t] } }
        }
        let x = IndexTensor(shape: [batch, T], data: seq.flatMap { $0[0 ..< T] })
        let y = IndexTensor(shape: [batch, T], data: seq.flatMap { $0[1 ... T] })
        return (model, x, y, T)
    }
}

struct SFTStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft-step",
        abstract: "SFT step: forward + cross-entropy + backward + AdamW, batch × full context.")
    @OptionGroup var args: TrainStepBenchArguments

    func run() throws {
        var rows: [[String: Any]] = []
        for name in args.sizes {
            let s = BenchSize.named(name)!
            let (model, x, y, T) = args.setup(s, sharedPrompt: false)
            let mask = Tensor(shape: [args.batch, T], repeating: 1)
            let opt = AdamW(learningRate: 3e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1)
            let sft = SFT(reduction: .tokenMean)
            model.train()
            let world = World.current
            let reducer = GradientAllReducer(communicator: world)
            var reduceSeconds: [Double] = [], waitSeconds: [Double] = []
            func step() throws {
                _ = try valueAndGrad(model) {
                    sft.compute(TokenBatch(policyLogits: model(x), labels: y, mask: mask), normalizer: .local).loss
                }
                if !world.isSingle {
                    // A barrier first, so the all-reduce time is the transfer, not the wait for a slower rank.
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    world.orAbort("barrier") { try world.barrier() }
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    world.orAbort("gradient all-reduce") { try reducer.allReduce(model) }
                    waitSeconds.append(Double(t1 - t0) * 1e-9)
                    reduceSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - t1) * 1e-9)
                }
                opt.step(model)
            }
            let times: [Double]
            if world.isSingle {
                times = try measure(warmup: args.options.warmup, repeats: args.options.repeats, step)
            } else {
                // Ranks must run the same number of steps (each holds an all-reduce): fixed counts,
                // not the single-process rule of "at least 0.3 s of warm-up".
                for _ in 0 ..< max(3, args.options.warmup) { try step() }
                reduceSeconds.removeAll()
                waitSeconds.removeAll()
                times = try (0 ..< max(5, args.options.repeats)).map { _ in
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try step()
                    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
                }
            }
            let tokens = Double(args.batch * T * world.size)
            var row: [String: Any] = [
                "case": "sft-step", "size": name, "batch": args.batch, "seq_len": T,
                "tokens_per_s": tokens / times.min()!, "median_tokens_per_s": tokens / median(times),
                "ms_per_step": times.min()! * 1000, "median_ms_per_step": median(times) * 1000, "peak_rss_mib": peakRSSMiB(),
            ]
            if !world.isSingle {
                row["processes"] = world.size
                row["allreduce_ms"] = median(reduceSeconds) * 1000
                row["wait_ms"] = median(waitSeconds) * 1000
                row["allreduce_mib"] = Double(model.parameterCount() * 4) / 1_048_576
            }
            rows.append(row)
        }
        // Every rank measured; rank 0 reports.
        guard World.current.rank == 0 else { return }
        emit(rows, json: args.options.json, columns: ["case", "size", "tokens_per_s", "ms_per_step", "median_tokens_per_s", "median_ms_per_step", "peak_rss_mib"]
             + (World.current.isSingle ? [] : ["processes", "allreduce_ms", "wait_ms"]))
    }
}

struct DPOStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dpo-step",
        abstract: "DPO step: reference forward + policy forward/backward on chosen + rejected, sigmoid loss, AdamW.")
    @OptionGroup var args: TrainStepBenchArguments

    func run() throws {
        var rows: [[String: Any]] = []
        for name in args.sizes {
            let s = BenchSize.named(name)!
            let (model, x, y, T) = args.setup(s, sharedPrompt: true)
            let reference = GPT2LMHeadModel(GPT2Configuration(vocabSize: s.vocab, nPositions: max(s.context, T), nEmbd: s.dModel,
                                                              nLayer: s.layers, nHead: s.heads), seed: 0)
            reference.eval()
            reference.freeze()
            // Loss mask on the response: targets at positions ≥ T/2 of the sequence.
            var m = [Float](repeating: 0, count: args.batch * T)
            for r in 0 ..< args.batch { for t in (T / 2 - 1) ..< T { m[r * T + t] = 1 } }
            let mask = Tensor(shape: [args.batch, T], data: m)
            let opt = AdamW(learningRate: 3e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1)
            let dpo = DPO(.sigmoid, beta: 0.1)
            model.train()
            let times = try measure(warmup: args.options.warmup, repeats: args.options.repeats) {
                let refLogps = withoutGradients { TokenBatch.tokenLogps(logits: reference(x).value, labels: y, mask: mask) }
                _ = try valueAndGrad(model) {
                    let batch = TokenBatch(policyLogits: model(x), labels: y, mask: mask, structure: .pairs, referenceLogps: refLogps)
                    return dpo.compute(batch, normalizer: .local).loss
                }
                opt.step(model)
            }
            let seqs = Double(args.batch)
            rows.append([
                "case": "dpo-step", "size": name, "batch": args.batch, "seq_len": T,
                "sequences_per_s": seqs / times.min()!, "median_sequences_per_s": seqs / median(times),
                "ms_per_step": times.min()! * 1000, "median_ms_per_step": median(times) * 1000, "peak_rss_mib": peakRSSMiB(),
            ])
        }
        emit(rows, json: args.options.json, columns: ["case", "size", "sequences_per_s", "ms_per_step", "median_sequences_per_s", "median_ms_per_step", "peak_rss_mib"])
    }
}
