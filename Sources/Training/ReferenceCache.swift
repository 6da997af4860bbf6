// `--precompute-ref` (TRL `precompute_ref_log_probs`): the reference's per-token log-probs of every
// row, computed once and kept in the run folder as `ref_logps.safetensors` so a resumed run reuses
// them. Layout per split S ∈ {train, eval}: tensor `S.values` holds, row after row, the chosen then
// the rejected response's per-token values (T_i = length − 1 each); metadata `S.lengths` is the JSON
// list of those lengths, `S.rows` the row count. Under data parallelism batch k is scored by rank
// k mod size and the values are summed over ranks (each entry comes from exactly one rank, so the
// sum is exact); rank 0 writes the file.
import Checkpoints
import Foundation
import Support
import Models
import Objectives
import TensorCore

extension Trainer {
    func precomputeReference() {
        guard let reference else { return }
        let c = communicator
        if referenceCache.isEmpty, let dir = outputDirectory {
            // Every rank must have loaded it, or they all compute it.
            let loaded = loadReferenceCache(from: dir)
            if !c.orAbort("reference cache", { try c.any(!loaded) }) { return }
        }
        defer { if writes, let dir = outputDirectory { try? writeReferenceCache(to: dir) } }
        for (set, data) in [("train", train), ("eval", eval)] {
            guard let data, referenceCache["\(set)#0"] == nil else { continue }
            // Rows in order, chosen then rejected values of each: offsets from the collated lengths.
            var spans: [(index: Int, chosen: Range<Int>, rejected: Range<Int>)] = []
            var values: [Float] = []
            for (k, lo) in stride(from: 0, to: data.count, by: configuration.batchSize).enumerated() {
                let indices = Array(lo ..< min(lo + configuration.batchSize, data.count))
                let b = BatchTensors(data.subset(indices).collate(padID: padID))
                let P = indices.count, T = b.mask.shape[1], lengths = b.collated.lengths
                let mine = k % c.size == c.rank
                let lp = mine ? TokenBatch.tokenLogps(logits: Forward.frozenLogits(reference, b.ids), labels: b.labels, mask: b.mask).scalars
                    : [Float](repeating: 0, count: 2 * P * T)
                for (r, i) in indices.enumerated() {
                    let at = values.count, nc = lengths[r] - 1, nr = lengths[P + r] - 1
                    values += lp[r * T ..< r * T + nc]
                    values += lp[(P + r) * T ..< (P + r) * T + nr]
                    spans.append((i, at ..< at + nc, at + nc ..< at + nc + nr))
                }
            }
            c.orAbort("reference log-probs") { try c.allReduceSum(&values) }
            for s in spans { referenceCache["\(set)#\(s.index)"] = (Array(values[s.chosen]), Array(values[s.rejected])) }
        }
    }

    func cachedReference(indices: [Int], set: String, shape: [Int]) -> Tensor {
        let P = indices.count, T = shape[1]
        var out = [Float](repeating: 0, count: 2 * P * T)
        for (r, i) in indices.enumerated() {
            guard let e = referenceCache["\(set)#\(i)"] else { preconditionFailure("Trainer: no cached reference for \(set) #\(i)") }
            for (t, v) in e.chosen.enumerated() { out[r * T + t] = v }
            for (t, v) in e.rejected.enumerated() { out[(P + r) * T + t] = v }
        }
        return Tensor(shape: shape, data: out)
    }


    static let referenceCacheFile = "ref_logps.safetensors"

    /// Writes the in-memory cache (a split with a row not cached is left out, so loading it misses).
    func writeReferenceCache(to dir: URL) throws {
        try writeSplitCache(Self.referenceCacheFile, to: dir) { set, rows in
            var arrays: [[Float]] = []
            for i in 0 ..< rows {
                guard let e = referenceCache["\(set)#\(i)"] else { return nil }
                arrays += [e.chosen, e.rejected]
            }
            return arrays
        }
    }

    /// Writes `file` in `dir` in the layout above, for the paired and the unpaired (KTO) caches:
    /// per split, `S.values` (the split's arrays one after another), `S.lengths` and `S.rows`.
    /// `arrays(S, rows)` gives a split's arrays in order, nil to leave the split out; `extra` adds a
    /// split's further entries. Nothing is written when no split has entries.
    func writeSplitCache(_ file: String, to dir: URL, arrays: (String, Int) -> [[Float]]?,
                         extra: (String, inout [String: Tensor], inout [String: String]) throws -> Void = { _, _, _ in }) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        var meta: [String: String] = [:]
        for (set, data) in [("train", train), ("eval", eval)] {
            guard let data, data.count > 0, let rows = arrays(set, data.count) else { continue }
            let values = rows.flatMap { $0 }
            tensors["\(set).values"] = Tensor(shape: [values.count], data: values)
            meta["\(set).lengths"] = try JSONValue(foundation: rows.map(\.count)).written(.line)
            meta["\(set).rows"] = String(data.count)
            try extra(set, &tensors, &meta)
        }
        guard !tensors.isEmpty else { return }
        try SafeTensors.write(tensors, to: dir.appendingPathComponent(file), metadata: meta)
    }

    /// Loads a cache written for the same data; false when absent or for other data.
    func loadReferenceCache(from dir: URL) -> Bool {
        let url = dir.appendingPathComponent(Self.referenceCacheFile)
        guard FileManager.default.fileExists(atPath: url.path), let file = try? SafeTensorsFile(url: url) else { return false }
        var loaded: [String: (chosen: [Float], rejected: [Float])] = [:]
        for (set, data) in [("train", train), ("eval", eval)] {
            guard let data, data.count > 0 else { continue }
            guard file.metadata["\(set).rows"] == String(data.count), let l = file.metadata["\(set).lengths"],
                  let lengths = (try? JSONValue.parse(l))?.foundationObject as? [Int], lengths.count == 2 * data.count,
                  let values = try? file.tensor("\(set).values").scalars else { return false }
            var at = 0
            for i in 0 ..< data.count {
                let c = lengths[2 * i], r = lengths[2 * i + 1]
                guard at + c + r <= values.count else { return false }
                loaded["\(set)#\(i)"] = (Array(values[at ..< at + c]), Array(values[at + c ..< at + c + r]))
                at += c + r
            }
        }
        referenceCache = loaded
        return !loaded.isEmpty
    }
}
