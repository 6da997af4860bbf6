// Data parallelism for the trainers (docs/design/distributed.md §2): every rank holds the whole
// model, trains on its shard of each optimizer batch, and the gradients are summed over ranks before
// clipping and the optimizer step, so every rank applies the same update. The objectives divide by
// the *global* counts of the optimizer batch (`Normalizer`, summed over ranks here), hence a sum of
// the ranks' gradients, not a mean, is the gradient of the global-batch loss.
import Autograd
import Distributed
import NN
import Objectives
import Optim
import TensorCore

/// Sums gradients over ranks in buckets: small tensors (norms, biases) share one MPI call, so the
/// per-call latency is paid once per bucket rather than once per parameter; a tensor larger than a
/// bucket is reduced in place. The bucket buffer is allocated once and reused every step.
public final class GradientAllReducer {
    public let communicator: any Communicator
    /// Floats per bucket (4 MiB by default).
    public let bucketCapacity: Int
    private var bucket: [Float]
    private var members: [Variable] = []

    public init(communicator: any Communicator, bucketCapacity: Int = 1 << 20) {
        self.communicator = communicator
        self.bucketCapacity = bucketCapacity
        bucket = []
        bucket.reserveCapacity(bucketCapacity)
    }

    /// Sums the gradients of `module`'s trainable parameters over all ranks, in place. A parameter
    /// without a gradient on some rank (that rank had no micro-batch reaching it) takes part with
    /// zeros; one without a gradient on every rank keeps none, as in a single process.
    public func allReduce(_ module: Module) throws {
        let c = communicator
        guard c.size > 1 else { return }
        let params = module.trainableParameters().map(\.parameter)
        var has = params.map { $0.grad == nil ? 0.0 : 1.0 }
        try c.allReduceSum(&has)
        for (p, h) in zip(params, has) where h > 0 {
            if p.grad == nil { p.grad = Tensor(shape: p.value.shape) }
            let n = p.grad!.count
            if n >= bucketCapacity {
                try p.grad!.withUnsafeMutableBufferPointer { try c.allReduceSum($0) }
                continue
            }
            if bucket.count + n > bucketCapacity { try flush() }
            p.grad!.withUnsafeBufferPointer { bucket.append(contentsOf: $0) }
            members.append(p)
        }
        try flush()
    }

    private func flush() throws {
        guard !bucket.isEmpty else { return }
        try bucket.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
        var at = 0
        for p in members {
            let n = p.grad!.count
            p.grad!.withUnsafeMutableBufferPointer { g in
                bucket.withUnsafeBufferPointer { b in g.baseAddress!.update(from: b.baseAddress! + at, count: n) }
            }
            at += n
        }
        bucket.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
    }
}

public enum DataParallel {
    /// Copies rank 0's parameters (every parameter, frozen ones too) to every rank, so that ranks
    /// start from the same weights even if their files differ.
    public static func broadcastParameters(_ module: Module, _ c: any Communicator) throws {
        guard c.size > 1 else { return }
        for (_, p) in module.namedParameters() {
            try p.value.withUnsafeMutableBufferPointer { try c.broadcast(UnsafeMutableRawBufferPointer($0), root: 0) }
        }
    }

    /// Copies rank 0's AdamW state (moments, step count, learning rate) to every rank: after a resume
    /// every rank has read the checkpoint, and this makes sure they continue from rank 0's copy.
    public static func broadcastOptimizer(_ optimizer: AdamW, _ c: any Communicator) throws {
        guard c.size > 1 else { return }
        let state = optimizer.stateDict()
        let keys = state.tensors.keys.sorted()
        let header = keys.map { "\($0):\(state.tensors[$0]!.count)" }.joined(separator: "\n")
        let root = try c.broadcast(Array(header.utf8))
        guard String(decoding: root, as: UTF8.self) == header else {
            throw DistributedError("rank \(c.rank): its optimizer state has other tensors than rank 0's (resumed from another checkpoint?)")
        }
        var tensors = state.tensors
        for k in keys {
            try tensors[k]!.withUnsafeMutableBufferPointer { try c.broadcast(UnsafeMutableRawBufferPointer($0), root: 0) }
        }
        var scalars = state.scalars.keys.sorted().map { state.scalars[$0]! }
        try scalars.withUnsafeMutableBytes { try c.broadcast($0, root: 0) }
        try optimizer.load(OptimizerState(tensors: tensors, scalars: Dictionary(uniqueKeysWithValues: zip(state.scalars.keys.sorted(), scalars))))
    }

    /// The optimizer batch's counts summed over ranks (each rank passes those of its micro-batches).
    public static func allReduce(_ n: Normalizer, _ c: any Communicator) throws -> Normalizer {
        guard c.size > 1 else { return n }
        let fields: [Float?] = [n.tokens, n.sequences, n.items, n.chosenTokens]
        var v = fields.map { Double($0 ?? 0) }
        try c.allReduceSum(&v)
        func back(_ i: Int) -> Float? { fields[i] == nil ? nil : Float(v[i]) }
        return Normalizer(tokens: back(0), sequences: back(1), items: back(2), chosenTokens: back(3))
    }

    /// Rank `rank`'s share of an optimizer batch's micro-batches: consecutive blocks of
    /// `perRank` (the gradient accumulation), so the two-process run computes the very micro-batches
    /// (same rows, same padding) the one-process run with `perRank × size` accumulation does.
    public static func shard<T>(_ microBatches: [T], perRank: Int, rank: Int) -> [T] {
        let lo = min(rank * perRank, microBatches.count), hi = min(lo + perRank, microBatches.count)
        return Array(microBatches[lo ..< hi])
    }

    /// Whether any rank wants to stop: the loop must stop on every rank at the same step.
    public static func agreeToStop(_ stop: Bool, _ c: any Communicator) throws -> Bool { try c.any(stop) }

    /// The start of a data-parallel run, for the offline and online trainers alike: every rank must
    /// hold the same number of rows (`rowsName` says which) and start from the same step; then rank
    /// 0's weights, and past step 0 its optimizer state, go to every rank.
    public static func startTogether(rows: Int, _ rowsName: String, step: Int, parameters: Module, optimizer: AdamW,
                                     _ c: any Communicator) throws {
        guard !c.isSingle else { return }
        try c.requireEqual(rows, rowsName)
        try c.requireEqual(step, "the step to start from (resume every rank from the same checkpoint)")
        try broadcastParameters(parameters, c)
        if step > 0 { try broadcastOptimizer(optimizer, c) }
    }
}
