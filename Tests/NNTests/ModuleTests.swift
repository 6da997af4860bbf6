import Autograd
import NN
import TensorCore
import Testing
import TestSupport

@Suite struct ModuleTreeTests {
    @Test func parameterKeysFollowCheckpointNames() {
        var rng = RandomGenerator(seed: 1)
        let block = TransformerBlock(dimensions: 8, heads: 2, rng: &rng)
        let keys = block.namedParameters().map(\.key)
        #expect(keys == [
            "ln_1.weight", "ln_1.bias",
            "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
            "ln_2.weight", "ln_2.bias",
            "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
        ])
        #expect(block.parameterCount() == 2 * 8 + (8 * 24 + 24) + (8 * 8 + 8) + 2 * 8 + (8 * 32 + 32) + (32 * 8 + 8))
        #expect(snakeCase("selfAttn") == "self_attn" && snakeCase("qProj") == "q_proj" && snakeCase("lmHead") == "lm_head")
    }

    @Test func arraysOfModulesAreNumbered() {
        var rng = RandomGenerator(seed: 1)
        let lm = TinyLM(vocabulary: 11, dimensions: 8, heads: 2, layers: 2, context: 6, rng: &rng)
        let keys = Set(lm.namedParameters().map(\.key))
        #expect(keys.contains("h.0.attn.c_attn.weight") && keys.contains("h.1.mlp.c_proj.bias"))
        #expect(keys.contains("wte.weight") && keys.contains("wpe.weight") && keys.contains("ln_f.weight"))
    }

    @Test func freezeAndUnfreezeByKey() {
        var rng = RandomGenerator(seed: 1)
        let block = TransformerBlock(dimensions: 8, heads: 2, rng: &rng)
        block.freeze { $0.hasPrefix("attn.") }
        #expect(block.trainableParameters().allSatisfy { !$0.key.hasPrefix("attn.") })
        #expect(block.trainableParameters().count == 8)
        block.unfreeze()
        #expect(block.trainableParameters().count == 12)
    }

    @Test func strictLoadListsEveryProblemByName() {
        var rng = RandomGenerator(seed: 1)
        let block = TransformerBlock(dimensions: 8, heads: 2, rng: &rng)
        var state = block.stateDict()
        state["ln_1.bias"] = nil
        state["attn.c_proj.weight"] = Tensor(shape: [8, 7])
        state["attn.rotary.inv_freq"] = Tensor(shape: [4])
        do {
            try block.load(state)
            Issue.record("load should have thrown")
        } catch let e as ParameterLoadError {
            #expect(e.missing == ["ln_1.bias"])
            #expect(e.unused == ["attn.rotary.inv_freq"])
            #expect(e.mismatched == [.init(key: "attn.c_proj.weight", expected: [8, 8], actual: [8, 7])])
            #expect(e.description.contains("ln_1.bias") && e.description.contains("attn.c_proj.weight"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        // Nothing was assigned by the failed load.
        #expect(block.attn.cProj.weight.shape == [8, 8])
        // A complete state loads and round-trips.
        let other = TransformerBlock(dimensions: 8, heads: 2, rng: &rng)
        try? other.load(block.stateDict())
        #expect(other.mlp.cFc.weight.value.scalars == block.mlp.cFc.weight.value.scalars)
    }
}

@Suite struct LoRATests {
    @Test func adapterStartsAtTheBaseModelAndOnlyTrainsAdapters() {
        var rng = RandomGenerator(seed: 5)
        let lin = Linear(6, 4, rng: &rng)
        let x = Variable(randomTensor([3, 6], seed: 9))
        let before = withoutGradients { lin(x) }.value
        lin.addLoRA(LoRAConfiguration(rank: 2, alpha: 4), rng: &rng)
        let after = withoutGradients { lin(x) }.value
        #expect(after.maxAbsDifference(before) == 0)
        #expect(lin.trainableParameters().map(\.key) == ["lora_A.weight", "lora_B.weight"])
        #expect(lin.namedParameters().map(\.key) == ["weight", "bias", "lora_A.weight", "lora_B.weight"])
    }

    @Test func mergeAndUnmergeAgreeWithTheAdapterPath() {
        var rng = RandomGenerator(seed: 6)
        let lin = Linear(5, 3, rng: &rng)
        lin.addLoRA(LoRAConfiguration(rank: 2, alpha: 3), rng: &rng)
        lin.loraB!.value = randomTensor([3, 2], seed: 4)  // a trained-looking adapter
        let x = Variable(randomTensor([4, 5], seed: 2))
        let adapter = withoutGradients { lin(x) }.value
        let base = lin.weight.value
        lin.mergeLoRA()
        let merged = withoutGradients { lin(x) }.value
        #expect(merged.maxAbsDifference(adapter) < 1e-5)
        lin.unmergeLoRA()
        #expect(lin.weight.value.maxAbsDifference(base) < 1e-6)
        lin.fuseLoRA()
        #expect(lin.loraA == nil && lin.namedParameters().count == 2)
        #expect(withoutGradients { lin(x) }.value.maxAbsDifference(adapter) < 1e-5)
    }

    @Test func dropoutOnlyInTrainingAndSeeded() {
        var rng = RandomGenerator(seed: 8)
        let lin = Linear(16, 4, rng: &rng)
        lin.addLoRA(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.5), rng: &rng)
        lin.loraB!.value = randomTensor([4, 4], seed: 1)
        let x = Variable(randomTensor([2, 16], seed: 3))
        lin.eval()
        let a = withoutGradients { lin(x) }.value, b = withoutGradients { lin(x) }.value
        #expect(a.scalars == b.scalars)
        lin.train()
        let c = withoutGradients { lin(x) }.value
        #expect(c.maxAbsDifference(a) > 0)
    }
}

@Suite struct PackedAttentionTests {
    /// The packed-qkv path (no split copies) must equal split → separate attention, values and gradients.
    @Test(arguments: [(4, 4), (4, 2), (6, 1)])
    func packedEqualsSplit(_ heads: (Int, Int)) {
        let (hq, hkv) = heads
        let B = 2, T = 5, D = 3
        let width = (hq + 2 * hkv) * D
        let qkvValue = randomTensor([B, T, width], seed: UInt64(hq * 10 + hkv))
        let seed = randomTensor([B, T, hq, D], seed: 99)
        let mask = Tensor(shape: [B, T], data: [1, 1, 1, 1, 1, 0, 1, 1, 1, 1])

        let a = Variable(qkvValue, requiresGrad: true)
        let packed = Functional.attention(packed: a, heads: hq, kvHeads: hkv, keyMask: mask)
        packed.backward(seed: seed)

        let b = Variable(qkvValue, requiresGrad: true)
        let parts = b.split(axis: 2, sizes: [hq * D, hkv * D, hkv * D])
        let split = Functional.attention(q: parts[0].reshaped([B, T, hq, D]), k: parts[1].reshaped([B, T, hkv, D]),
                                         v: parts[2].reshaped([B, T, hkv, D]), keyMask: mask)
        split.backward(seed: seed)

        #expect(compareClose(packed.value, split.value, atol: 1e-6, rtol: 1e-6).ok)
        let r = compareClose(a.grad!, b.grad!, atol: 1e-6, rtol: 1e-5)
        #expect(r.ok, "\(r)")
    }
}
