import Autograd
import Checkpoints
import Foundation
import Models
import NN
import TensorCore
import Testing
import TestSupport

let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/models")

/// The inputs and transformers outputs stored beside each fixture model.
struct ParityCase {
    var ids: IndexTensor
    var mask: Tensor
    var logits: Tensor
    var logitsPlain: Tensor

    init(_ name: String) throws {
        let f = try SafeTensorsFile(url: fixtureRoot.appendingPathComponent("\(name)/expected.safetensors"))
        let raw = try f.integers("input_ids")
        let shape = f.info("input_ids")!.shape
        ids = IndexTensor(shape: shape, data: raw.map { Int32($0) })
        mask = try f.tensor("attention_mask")
        logits = try f.tensor("logits")
        logitsPlain = try f.tensor("logits_plain")
    }

    /// `model`'s logits against transformers', without a mask and on the left-padded batch (real
    /// tokens only), within 1e-4.
    func compare(_ model: any LanguageModel) -> (plain: CloseReport, padded: CloseReport) {
        let plain = withoutGradients { model(ids) }.value
        let masked = withoutGradients { model(ids, attentionMask: mask) }.value
        return (compareClose(plain, logitsPlain, atol: 1e-4, rtol: 1e-4),
                compareClose(realRows(masked), realRows(logits), atol: 1e-4, rtol: 1e-4))
    }

    /// Logits rows of real (unmasked) tokens, flattened to [N, V].
    func realRows(_ t: Tensor) -> Tensor {
        let V = t.shape[2]
        let flat = t.reshaped([-1, V])
        let keep = mask.scalars.enumerated().filter { $0.element != 0 }.map(\.offset)
        return Tensor.concatenate(keep.map { flat.rows($0 ..< $0 + 1) }, axis: 0)
    }
}

@Suite struct ModelParityTests {
    /// `llama_rope_*` use RoPE scaling ("linear", "llama3"; generate_rope_scaling_parity.py); `qwen3`
    /// has q/k norms, an explicit head_dim and biases on q/k/v/o, `olmo2` whole-projection q/k norms and
    /// norms after the sublayers (generate_family_parity.py); `gemma2`, `gemma3` and `gemma2_variant`
    /// soft-capping, the sliding/global layer pattern and Gemma's norms (generate_gemma_parity.py).
    static let names = ["gpt2", "llama", "qwen2", "llama_rope_linear", "llama_rope_llama3", "qwen3", "olmo2",
                        "gemma2", "gemma3", "gemma2_variant"] + ropeNames
    /// RoPE scaling that transformers computes from the length seen so far (dynamic NTK, LongRoPE):
    /// a cached step or a shorter row alone sees other frequencies than the full batch, by design, so
    /// these are left out of the consistency checks below; their cached decoding is checked against
    /// transformers' greedy tokens instead (SlidingWindowTests).
    static let lengthDependent = ["llama_rope_dynamic", "phi3_longrope"]
    static let ropeNames = ["llama_rope_yarn", "qwen3_rope_yarn"] + lengthDependent
    /// Also the sliding-window fixtures (their transformers parity is in SlidingWindowTests).
    static let allNames = names + ["mistral", "qwen2_sliding", "qwen3_sliding", "phi3"]
    static let lengthIndependent = allNames.filter { !lengthDependent.contains($0) }

    @Test(arguments: names)
    func logitsMatchTransformers(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let (r1, r2) = try ParityCase(name).compare(model)
        #expect(r1.ok, "\(name) plain: \(r1)")
        #expect(r2.ok, "\(name) left-padded: \(r2)")
        print("\(name): max |Δlogits| vs transformers plain \(r1.maxAbsDifference), left-padded \(r2.maxAbsDifference)")
    }

    @Test(arguments: allNames)
    func savedFolderReloadsWithIdenticalLogits(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let c = try ParityCase(name)
        let dir: URL
        if let keep = ProcessInfo.processInfo.environment["TOKENALIGN_WRITE_SAVED_MODELS"] {
            dir = URL(fileURLWithPath: keep).appendingPathComponent(name)
        } else {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-save-\(UUID().uuidString)")
        }
        defer { if ProcessInfo.processInfo.environment["TOKENALIGN_WRITE_SAVED_MODELS"] == nil { try? FileManager.default.removeItem(at: dir) } }
        try ModelRegistry.save(model, to: dir)
        let again = try ModelRegistry.load(folder: dir)
        let a = withoutGradients { model(c.ids, attentionMask: c.mask) }.value
        let b = withoutGradients { again(c.ids, attentionMask: c.mask) }.value
        #expect(a.scalars == b.scalars)
        // For the by-hand transformers check (generate_model_parity.py --check-saved).
        try SafeTensors.write(["input_ids": Tensor(shape: c.ids.shape, data: c.ids.data.map { Float($0) }),
                               "attention_mask": c.mask, "logits": a], to: dir.appendingPathComponent("expected.safetensors"))
    }
}

@Suite struct DecodingConsistencyTests {
    /// Prefill + one token at a time through the KV cache gives the logits of full recomputation.
    @Test(arguments: ModelParityTests.lengthIndependent)
    func kvCacheMatchesFullRecomputation(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let c = try ParityCase(name)
        let T = c.ids.shape[1]
        let row = IndexTensor(shape: [1, T], data: Array(c.ids.data[0 ..< T]))
        let full = withoutGradients { model(row) }.value.reshaped([T, -1])
        let cache = model.makeCache(batch: 1, capacity: T)
        let prefill = 5
        var pieces: [Tensor] = []
        withoutGradients {
            pieces.append(model(IndexTensor(shape: [1, prefill], data: Array(row.data[0 ..< prefill])), cache: cache).value.reshaped([prefill, -1]))
            for t in prefill ..< T {
                pieces.append(model(IndexTensor(shape: [1, 1], data: [row.data[t]]), cache: cache).value.reshaped([1, -1]))
            }
        }
        #expect(cache.length == T)
        let r = compareClose(Tensor.concatenate(pieces, axis: 0), full, atol: 1e-4, rtol: 1e-4)
        #expect(r.ok, "\(name): \(r)")
    }

    /// A left-padded row gives the same logits on its real tokens as the same tokens alone, also
    /// when decoding through the cache with a growing mask.
    @Test(arguments: ModelParityTests.lengthIndependent)
    func leftPaddedRowEqualsUnpaddedRow(_ name: String) throws {
        let model = try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name))
        let c = try ParityCase(name)
        let T = c.ids.shape[1]
        let pad = c.mask.row(1).scalars.filter { $0 == 0 }.count
        let real = Array(c.ids.data[(T + pad) ..< (2 * T)])
        let alone = withoutGradients { model(IndexTensor(shape: [1, T - pad], data: real)) }.value.reshaped([T - pad, -1])
        let batched = withoutGradients { model(c.ids, attentionMask: c.mask) }.value
        let paddedRow = batched.row(1).slice(axis: 0, pad ..< T)
        #expect(compareClose(paddedRow, alone, atol: 1e-4, rtol: 1e-4).ok)

        // Cached: prefill the padding + 3 real tokens, then single steps, mask growing.
        let cache = model.makeCache(batch: 2, capacity: T)
        var last: Tensor = Tensor(0)
        withoutGradients {
            let p = pad + 3
            let pre = IndexTensor(shape: [2, p], data: Array(c.ids.data[0 ..< p]) + Array(c.ids.data[T ..< T + p]))
            _ = model(pre, attentionMask: c.mask.slice(axis: 1, 0 ..< p), cache: cache)
            for t in p ..< T {
                let step = IndexTensor(shape: [2, 1], data: [c.ids.data[t], c.ids.data[T + t]])
                last = model(step, attentionMask: c.mask.slice(axis: 1, 0 ..< t + 1), cache: cache).value
            }
        }
        let r = compareClose(last.row(1).reshaped([-1]), alone.row(T - pad - 1), atol: 1e-4, rtol: 1e-4)
        #expect(r.ok, "\(name): \(r)")
    }
}
