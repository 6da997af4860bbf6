// Optimisers update a module's trainable parameters in place from their accumulated gradients.
// State (moments, step count) is kept per parameter key so it can be saved with a checkpoint and
// restored for exact resumption.
import Autograd
import NN
import TensorCore

/// Common interface of optimisers.
public protocol Optimizer: AnyObject {
    /// Learning rate used by the next `step`.
    var learningRate: Float { get set }
    /// Number of `step` calls so far.
    var stepCount: Int { get }
    /// Applies one update to every trainable parameter of `model` that has a gradient.
    func step(_ model: Module)
    /// Everything needed to resume: tensors by name (`<param>.exp_avg`, …) and scalars.
    func stateDict() -> OptimizerState
    /// Restores what `stateDict` returned.
    func load(_ state: OptimizerState) throws
}

/// Serializable optimiser state: per-parameter tensors plus scalar fields.
public struct OptimizerState: Sendable, Equatable {
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]

    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }

    public static func == (a: OptimizerState, b: OptimizerState) -> Bool {
        a.scalars == b.scalars && a.tensors.keys.sorted() == b.tensors.keys.sorted()
            && a.tensors.allSatisfy { k, v in b.tensors[k].map { $0.shape == v.shape && $0.scalars == v.scalars } ?? false }
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public var description: String
}
