// OREAL's token-level reward model, trained online beside the policy (arXiv 2502.06781). The
// reference (`InternLM/OREAL:train_oreal.py`) copies the SFT model, swaps its LM head for a scalar
// head and trains every weight with its own optimizer. On CPU we keep one copy of the weights: the
// RM is a scalar linear head on the policy's final hidden states, read without gradient into the
// policy (its features move with the policy; only the head learns), with its own AdamW.
import Autograd
import Models
import NN
import Objectives
import Optim
import TensorCore
import Training

/// The head, its optimizer and how its probabilities become token weights. The head is the reward
/// models' scalar layer (`RewardHead`: Linear(C → 1) without bias, PyTorch's default
/// initialisation, as the reference's `Linear(hidden, 1, bias=False)`), so its first weights are
/// not all at p = ½, where the threshold rescale would give every token 0.
public final class OREALTokenRewardModel {
    public let head: RewardHead
    public let optimizer: AdamW
    let rescale: OREALRescale
    let maxGradNorm: Float

    init(hiddenSize: Int, configuration c: OnlineRLConfiguration) {
        head = RewardHead(hiddenSize: hiddenSize, seed: c.seed &+ 0x0EA1)
        optimizer = AdamW(learningRate: c.tokenLevelRmLr, weightDecay: c.weightDecay)
        rescale = c.tokenWeightRescale == "topk"
            ? .topK(correct: c.correctTopkRatio, incorrect: c.incorrectTopkRatio)
            : .threshold(correct: c.correctThreshold, incorrect: c.incorrectThreshold)
        maxGradNorm = c.maxGradNorm
    }
}
