// A pre-norm decoder block (GPT-2 layout): x + Attn(LN(x)), then x + MLP(LN(x)).
// Shapes: x [B, T, C]; H heads of D = C/H; the MLP hidden width is 4C.
// Model families (GPT-2, Llama) build on the same fused kernels; this block is the unit the
// `mlp-step` / `attention-step` benchmarks and the engine's training tests use.
import Autograd
import TensorCore

/// Causal self-attention with a fused qkv projection (`c_attn`) and output projection (`c_proj`).
public final class CausalSelfAttention: Module {
    public var cAttn: Linear
    public var cProj: Linear
    public let heads: Int

    public init(dimensions C: Int, heads H: Int, rng: inout RandomGenerator) {
        precondition(C % H == 0, "CausalSelfAttention: \(C) channels not divisible by \(H) heads")
        cAttn = Linear(C, 3 * C, rng: &rng)
        cProj = Linear(C, C, rng: &rng)
        heads = H
        super.init()
    }

    public func callAsFunction(_ x: Variable, keyMask: Tensor? = nil) -> Variable {
        let B = x.shape[0], T = x.shape[1], C = x.shape[2]
        let qkv = cAttn(x)                                                  // [B, T, 3C]
        let y = Functional.attention(packed: qkv, heads: heads, keyMask: keyMask)  // [B, T, H, D]
        return cProj(y.reshaped([B, T, C]))
    }
}

/// GPT-2 MLP: Linear(C, 4C) → GELU(tanh) → Linear(4C, C).
public final class MLP: Module {
    public var cFc: Linear
    public var cProj: Linear

    public init(dimensions C: Int, hidden: Int? = nil, rng: inout RandomGenerator) {
        cFc = Linear(C, hidden ?? 4 * C, rng: &rng)
        cProj = Linear(hidden ?? 4 * C, C, rng: &rng)
        super.init()
    }

    public func callAsFunction(_ x: Variable) -> Variable { cProj(cFc(x).gelu()) }
}

/// GPT-2's checkpoint names of a block's two layer norms (`ln_1`, `ln_2`): `TransformerBlock` here and
/// the GPT-2 model's block both use them.
public let gpt2BlockKeys = ["ln1": "ln_1", "ln2": "ln_2"]

/// Pre-LayerNorm transformer block.
public final class TransformerBlock: Module {
    public var ln1: LayerNorm
    public var attn: CausalSelfAttention
    public var ln2: LayerNorm
    public var mlp: MLP

    public init(dimensions C: Int, heads H: Int, rng: inout RandomGenerator) {
        ln1 = LayerNorm(C)
        attn = CausalSelfAttention(dimensions: C, heads: H, rng: &rng)
        ln2 = LayerNorm(C)
        mlp = MLP(dimensions: C, rng: &rng)
        super.init()
    }

    /// GPT-2 checkpoint names: `ln_1`, `ln_2`.
    public override var renamedKeys: [String: String] { gpt2BlockKeys }

    public func callAsFunction(_ x: Variable, keyMask: Tensor? = nil) -> Variable {
        let h = x + attn(ln1(x), keyMask: keyMask)
        return h + mlp(ln2(h))
    }
}
