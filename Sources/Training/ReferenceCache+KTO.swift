// `--precompute-ref` for KTO (TRL `KTOConfig.precompute_ref_log_probs`): the reference's per-token
// log-probs of every unpaired row, and the reference sums Σ_t m ℓ^ref of KTO's mismatched-completion
// rows (the KL baseline z₀, Ethayarajh et al. 2024, arXiv:2402.01306; TRL `reference_KL_logps`).
//
// Our KL rows pair prompt i with the completion of the row before it *in the same micro-batch*
// (`TrainingExamples.mismatchedCollate`), so which (prompt, completion) pairs occur depends on the
// data order. That order is a pure function of (seed, step) (`microBatches(forStep:)`), so the pairs
// of the whole run are known up front: the cache holds one sum per pair, keyed by
// (split, prompt row, completion row), computed from the same micro-batches the run will build.
// Pairs the plan did not foresee (a longer run after a resume, hand-picked batches) are computed
// from the reference when first needed and added to the cache.
//
// File: `ref_logps_kto.safetensors` in the run folder, per split S ∈ {train, eval}: `S.values` holds
// each row's per-token values (T_i = length − 1), metadata `S.lengths` their lengths (checked
// against the data on load) and `S.rows` the row count; `S.kl_values` the KL sums with metadata
// `S.kl_pairs`, the JSON list of [prompt row, completion row].
import Autograd
import Checkpoints
import Foundation
import Support
import Models
import Objectives
import TensorCore

/// KTO's cached reference values.
struct KTOReferenceCache {
    /// Per-token reference log-probs of each row, by "split#row" (length − 1 values each).
    var rows: [String: [Float]] = [:]
    /// Σ_t m ℓ^ref of a mismatched row, by "split#prompt>completion".
    var klSums: [String: Float] = [:]

    static func rowKey(_ set: String, _ i: Int) -> String { "\(set)#\(i)" }
    static func klKey(_ set: String, prompt: Int, completion: Int) -> String { "\(set)#\(prompt)>\(completion)" }

    /// The (prompt, completion) rows of the KL batch of `indices` (completion of the previous row, cyclically).
    static func klPairs(_ indices: [Int]) -> [(prompt: Int, completion: Int)] {
        indices.indices.map { k in (indices[k], indices[(k + indices.count - 1) % indices.count]) }
    }
}

extension Trainer {
    static let ktoReferenceCacheFile = "ref_logps_kto.safetensors"

    /// Whether the KTO loss needs the mismatched-completion KL baseline.
    var ktoNeedsKL: Bool {
        if case .unpaired(let kto) = mode { return kto.lossType == .kto }
        return false
    }

    /// The reference's per-token log-probs [B, T] of a collated batch (no graph).
    func referenceTokenLogps(_ b: BatchTensors) -> Tensor {
        guard let reference else { preconditionFailure("Trainer: no reference model") }
        return TokenBatch.tokenLogps(logits: Forward.frozenLogits(reference, b.ids), labels: b.labels, mask: b.mask)
    }

    /// Σ_t m ℓ^ref [B] of a collated KL batch.
    func referenceSequenceSums(_ k: BatchTensors) -> Tensor {
        (referenceTokenLogps(k) * k.mask).sum(axis: 1)
    }

    /// Every batch whose reference values the run will read: the training micro-batches of every
    /// step, and the evaluation batches (in order, as `evaluate()` builds them).
    func ktoReferencePlan() -> [(set: String, data: TrainingExamples, indices: [Int])] {
        var plan: [(set: String, data: TrainingExamples, indices: [Int])] = []
        for s in 0 ..< totalSteps {
            for indices in microBatches(forStep: s) { plan.append(("train", train, indices)) }
        }
        let data = eval ?? train, set = eval == nil ? "train" : "eval"
        for lo in stride(from: 0, to: data.count, by: configuration.batchSize) {
            plan.append((set, data, Array(lo ..< min(lo + configuration.batchSize, data.count))))
        }
        return plan
    }

    /// Fills the cache for the whole run (reading the run folder's file first) and writes it back
    /// when anything was added.
    func precomputeKTOReference() {
        guard reference != nil else { return }
        if ktoReferenceCache.rows.isEmpty, let dir = outputDirectory { _ = loadKTOReferenceCache(from: dir) }
        var added = false
        for (set, data, indices) in ktoReferencePlan() {
            added = fillKTOReference(set: set, data: data, indices: indices) || added
        }
        if added, writes, let dir = outputDirectory { try? writeKTOReferenceCache(to: dir) }
    }

    /// Computes what the cache lacks for one batch, on exactly the batch the run builds; true when
    /// something was added.
    @discardableResult
    func fillKTOReference(set: String, data: TrainingExamples, indices: [Int]) -> Bool {
        let rows = data.subset(indices)
        var added = false
        if indices.contains(where: { ktoReferenceCache.rows[KTOReferenceCache.rowKey(set, $0)] == nil }) {
            let b = BatchTensors(rows.collate(padID: padID))
            let lp = referenceTokenLogps(b).scalars
            let T = b.mask.shape[1], lengths = b.collated.lengths
            for (r, i) in indices.enumerated() {
                ktoReferenceCache.rows[KTOReferenceCache.rowKey(set, i)] = Array(lp[r * T ..< r * T + lengths[r] - 1])
            }
            added = true
        }
        let pairs = KTOReferenceCache.klPairs(indices)
        if ktoNeedsKL, pairs.contains(where: { ktoReferenceCache.klSums[KTOReferenceCache.klKey(set, prompt: $0.prompt, completion: $0.completion)] == nil }),
           let kl = rows.mismatchedCollate(padID: padID) {
            let sums = referenceSequenceSums(BatchTensors(kl)).scalars
            for (r, p) in pairs.enumerated() {
                ktoReferenceCache.klSums[KTOReferenceCache.klKey(set, prompt: p.prompt, completion: p.completion)] = sums[r]
            }
            added = true
        }
        return added
    }

    /// Cached reference values for a batch: per-token log-probs [B, T] (zero past each row's
    /// length) and, for KTO's KL baseline, the mismatched rows' sums [B].
    func cachedKTOReference(set: String, data: TrainingExamples, indices: [Int], shape: [Int]) -> (logps: Tensor, klSums: Tensor?) {
        fillKTOReference(set: set, data: data, indices: indices)
        let T = shape[1]
        var out = [Float](repeating: 0, count: indices.count * T)
        for (r, i) in indices.enumerated() {
            for (t, v) in (ktoReferenceCache.rows[KTOReferenceCache.rowKey(set, i)] ?? []).enumerated() { out[r * T + t] = v }
        }
        var kl: Tensor?
        if ktoNeedsKL {
            kl = Tensor(KTOReferenceCache.klPairs(indices).map {
                ktoReferenceCache.klSums[KTOReferenceCache.klKey(set, prompt: $0.prompt, completion: $0.completion)] ?? 0
            })
        }
        return (Tensor(shape: shape, data: out), kl)
    }

    // MARK: File

    /// Per-token lengths (length − 1) of the unpaired rows of a split.
    static func unpairedLengths(_ data: TrainingExamples) -> [Int] {
        guard case .unpaired(let u) = data else { return [] }
        return u.map { max($0.sequence.ids.count - 1, 0) }
    }

    func writeKTOReferenceCache(to dir: URL) throws {
        try writeSplitCache(Self.ktoReferenceCacheFile, to: dir, arrays: { set, rows in
            let arrays = (0 ..< rows).compactMap { ktoReferenceCache.rows[KTOReferenceCache.rowKey(set, $0)] }
            return arrays.count == rows ? arrays : nil  // a split not (yet) fully cached
        }, extra: { set, tensors, meta in
            let prefix = "\(set)#"
            let kl = ktoReferenceCache.klSums.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
            guard !kl.isEmpty else { return }
            let pairs = kl.map { e -> [Int] in e.key.dropFirst(prefix.count).split(separator: ">").compactMap { Int($0) } }
            tensors["\(set).kl_values"] = Tensor(shape: [kl.count], data: kl.map(\.value))
            meta["\(set).kl_pairs"] = try JSONValue(foundation: pairs).written(.line)
        })
    }

    /// Loads a cache written for the same data (row counts and every row's length must match);
    /// false when absent or for other data.
    @discardableResult
    func loadKTOReferenceCache(from dir: URL) -> Bool {
        let url = dir.appendingPathComponent(Self.ktoReferenceCacheFile)
        guard FileManager.default.fileExists(atPath: url.path), let file = try? SafeTensorsFile(url: url) else { return false }
        var loaded = KTOReferenceCache()
        for (set, data) in [("train", train), ("eval", eval)] {
            guard let data, data.count > 0, file.metadata["\(set).rows"] != nil else { continue }
            guard file.metadata["\(set).rows"] == String(data.count), let l = file.metadata["\(set).lengths"],
                  let lengths = (try? JSONValue.parse(l))?.foundationObject as? [Int],
                  lengths == Self.unpairedLengths(data),
                  let values = try? file.tensor("\(set).values").scalars, values.count == lengths.reduce(0, +) else { return false }
            var at = 0
            for (i, n) in lengths.enumerated() {
                loaded.rows[KTOReferenceCache.rowKey(set, i)] = Array(values[at ..< at + n])
                at += n
            }
            guard let p = file.metadata["\(set).kl_pairs"] else { continue }
            guard let pairs = (try? JSONValue.parse(p))?.foundationObject as? [[Int]],
                  let sums = try? file.tensor("\(set).kl_values").scalars, sums.count == pairs.count,
                  pairs.allSatisfy({ $0.count == 2 && (0 ..< data.count).contains($0[0]) && (0 ..< data.count).contains($0[1]) })
            else { return false }
            for (pair, s) in zip(pairs, sums) { loaded.klSums[KTOReferenceCache.klKey(set, prompt: pair[0], completion: pair[1])] = s }
        }
        guard !loaded.rows.isEmpty else { return false }
        ktoReferenceCache = loaded
        return true
    }
}
