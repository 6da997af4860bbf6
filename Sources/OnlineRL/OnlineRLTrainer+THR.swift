// The old policy's hidden states and probability rows for THR (arXiv 2510.03669), from one no-grad
// forward pass that also gives ℓ^old (PolicyStates.swift).
import TensorCore

extension OnlineRLTrainer {
    /// The policy's `PolicyStates.frozenStates` at the run's sampling temperature.
    func frozenStates(_ p: PaddedRollout) -> (logps: Tensor, hidden: Tensor, probabilities: Tensor) {
        PolicyStates.frozenStates(model: policy, p, temperature: configuration.temperature)
    }
}
