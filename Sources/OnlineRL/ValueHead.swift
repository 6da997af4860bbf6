// PPO's critic: a scalar head on the policy's final hidden states (the value-head models of TRL
// and of the InstructGPT recipe, arXiv 2203.02155), sharing the policy's trunk so a CPU run keeps
// one copy of the weights. Its loss reaches the trunk scaled by `vf_coef`.
import Autograd
import Models
import NN
import TensorCore

public final class ValueHead: Module {
    /// [1, C] weight and a bias.
    public var summary: Linear

    public init(hiddenSize: Int, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        summary = Linear(hiddenSize, 1, bias: true, rng: &rng)
        // Start near zero: the first advantages are then the rewards-to-go themselves.
        summary.weight.value = summary.weight.value * 0.01
        super.init()
    }

    /// Values [B, T] from hidden states [B, T, C].
    func callAsFunction(_ h: Variable) -> Variable {
        let v = summary(h)
        return v.reshaped(Array(v.shape.dropLast()))
    }
}
