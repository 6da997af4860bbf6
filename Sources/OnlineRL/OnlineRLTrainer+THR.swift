// The old policy's hidden states and probability rows for THR (arXiv 2510.03669), from one no-grad
// forward pass that also gives ℓ^old.
import Autograd
import Models
import TensorCore

extension OnlineRLTrainer {
    /// One no-grad pass of the policy over padded samples: ℓ_t [n, T], the final hidden state h_t
    /// that multiplies the unembedding [n, T, C], and the probability row softmax(logits / temperature)
    /// [n, T, V] (the distribution whose log-probs GRPO trains), at every predicted position.
    func frozenStates(_ p: PaddedRollout) -> (logps: Tensor, hidden: Tensor, probabilities: Tensor) {
        withoutGradients {
            let h = policy.hiddenStates(p.ids, attentionMask: nil, cache: nil)
            let states = h.slice(axis: 1, 0 ..< p.ids.shape[1] - 1)
            var logits = policy.logits(fromHidden: states)
            let t = configuration.temperature
            if t > 0 && t != 1 { logits = logits * (1 / t) }
            let logps = Functional.tokenLogProbs(logits: logits, labels: p.labels, mask: p.mask)
            return (logps.value, states.value, logits.softmax().value)
        }
    }
}
