// The kinds of reward model `tokenalign reward --kind NAME` trains, as a registry family (the CLI,
// `tokenalign methods` and the tests read it). Each kind is a head, a target and what trains:
//
// - `bradley-terry`: a scalar head read at the last token, trained with the Bradley–Terry loss
//   −log σ(r_c − r_r − m) on the whole model (InstructGPT's reward model, arXiv 2203.02155; the
//   optional margin m is TRL's `margin` column, Llama 2's margin loss, arXiv 2307.09288; a `tie`
//   row's target is ½, RRM's neutral pairs, arXiv 2409.13156, docs/design/rewards.md §6.1).
// - `token`: the same head read at every response token, trained on per-token labels (error spans,
//   or chosen = 1 / rejected = 0) or annotated token rewards, as fine-grained span reward models do
//   (arXiv 2306.01693); `--token-level` is its older spelling.
// - `frozen-trunk`: the Bradley–Terry head on the frozen model's final hidden states — only the
//   head's C weights train, a cheap reward model whose quality measures what the trunk already
//   encodes (a linear probe).
// - `autoregressive`: GenARM's autoregressive reward model (arXiv 2410.08193): no head; the model's
//   summed log-probabilities β_r·Σ log π_r(y_t | x, y_<t) are the reward, trained with the
//   Bradley–Terry loss on the pairs; it guides decoding (`tokenalign generate --guide genarm:DIR`).
// - `multifurcation`: Saffron-1's multifurcation reward model (arXiv 2506.06444): no head; the LM's
//   raw outputs at a prefix are a reward for every next token, fitted with squared error on the
//   observed tokens' rewards (`MultifurcationRewardLoss`); `tokenalign search --method saffron@mrm:DIR`.
// - `segment`: the segment reward model (arXiv 2501.02790): the `token` head, trained with the
//   Bradley–Terry loss on the mean of its values at the segment ends, segments cut where the frozen
//   starting model's next-token entropy reaches `--segment-entropy-threshold`
//   (`SegmentRewardModelLoss`, `EntropySegmentation`); online, `--reward segment-rm:DIR`.
// - `tldr`, `minimal-edit` and `value`: the `token` kind's head and losses with their own data
//   contract and response score (TokenKindSpec.swift): TLDR (arXiv 2410.04734), minimal-edit labels
//   (arXiv 2406.02756) and TVM (arXiv 2407.12863, BCE on its soft value targets).
// - `haf`: HaF-RM (arXiv 2407.04185): the Bradley–Terry head plus α·DPO on the retained LM head
//   against the frozen starting model (`HybridRewardModelLoss`); only the head scores afterwards.
// - `grm`: GRM (arXiv 2406.10216): (1 − α)·Bradley–Terry + α·a generation regulariser on the
//   chosen responses through the LM head (`GeneralizableRewardModelLoss`).
// - `odin`: ODIN (arXiv 2402.07319): quality and length heads, Bradley–Terry on their sum, r_L pulled
//   towards the response length and r_Q away from it, the heads kept orthogonal
//   (`LengthDisentangledRewardLoss`); the saved reward head is r_Q.
// The last three share `SharedTrunkReward`; their folders score like `bradley-terry` folders.
// - `cloud`: CLoud (arXiv 2408.11791): the LM head writes a critique of the response first (SFT on
//   oracle critiques, then trained on its own), and the Bradley–Terry head is read at the end of the
//   critique, with λ·LM loss on the critiques (`CritiqueOutLoudLoss`, CritiqueOutLoudSetup.swift); its
//   folders score only through the critic (`cloud-rm:DIR`).
import Objectives
import Support

public struct RewardModelKindEntry: RegistryEntry {
    public var card: MethodCard
    /// Per-token head and targets (else one score per sequence).
    public var tokenLevel: Bool
    /// Train the head alone on the frozen backbone.
    public var freezeTrunk: Bool
    /// No head: the language model's summed log-probabilities are the reward (GenARM).
    public var autoregressive: Bool = false
    /// No head: the language model's raw outputs are a reward per next token (Saffron's MRM).
    public var multifurcation: Bool = false
    /// The per-token head trained on the mean of its values at entropy-segment ends.
    public var segmented: Bool = false
    /// A token-level kind's data contract and response score (TokenKindSpec.swift); nil: the
    /// `token` kind's (any token annotation, the mean of σ).
    public var tokenKind: TokenKindSpec? = nil
    /// A sequence head trained with more than Bradley–Terry on the shared trunk (`SharedTrunkReward`).
    public var sharedTrunk: Bool = false
    /// CLoud: the model writes a critique first, the head reads its end (CritiqueOutLoud.swift).
    public var critiqueOutLoud: Bool = false
}

public enum RewardModelKinds {
    public static let registry = Registry<RewardModelKindEntry>(family: "reward-model kind", [
        RewardModelKindEntry(card: MethodCard(name: "bradley-terry", aliases: ["bt", "sequence"],
                                              summary: "Scalar head at the last token, Bradley–Terry loss (with the row's margin when given), whole model trained",
                                              arxiv: ["2203.02155", "2307.09288"], inputs: ["preference pairs", "optional margin or tie column"]),
                             tokenLevel: false, freezeTrunk: false),
        RewardModelKindEntry(card: MethodCard(name: "token", aliases: ["token-level"],
                                              summary: "Head at every response token, trained on error spans / token labels or token rewards",
                                              arxiv: ["2306.01693"], inputs: ["preference pairs", "rejected_error_spans or token rewards"]),
                             tokenLevel: true, freezeTrunk: false),
        RewardModelKindEntry(card: MethodCard(name: "frozen-trunk", aliases: ["linear-probe"],
                                              summary: "Bradley–Terry head on the frozen model's hidden states: only the head trains (a cheap reward model)",
                                              inputs: ["preference pairs"]),
                             tokenLevel: false, freezeTrunk: true),
        RewardModelKindEntry(card: MethodCard(name: "autoregressive", aliases: ["genarm"],
                                              summary: "GenARM: the LM itself, reward β_r·Σ log π_r(y_t | x, y_<t), Bradley–Terry loss; a decoding guide",
                                              arxiv: ["2410.08193"], inputs: ["preference pairs"], defaults: ["beta": "0.1"]),
                             tokenLevel: false, freezeTrunk: false, autoregressive: true),
        RewardModelKindEntry(card: MethodCard(name: "multifurcation", aliases: ["mrm", "saffron"],
                                              summary: "Saffron's MRM: the LM's outputs at a prefix are rewards for every next token, squared error on the observed tokens' teacher rewards",
                                              arxiv: ["2506.06444"], inputs: ["pairs with chosen/rejected_token_rewards (`tokenalign value-targets --teacher`)"]),
                             tokenLevel: false, freezeTrunk: false, multifurcation: true),
        RewardModelKindEntry(card: MethodCard(name: "segment", aliases: ["segment-level"],
                                              summary: "Per-token head, Bradley–Terry on the mean of its values at the ends of segments cut where the starting model's next-token entropy ≥ c",
                                              arxiv: ["2501.02790"], inputs: ["preference pairs"], defaults: ["segment_entropy_threshold": "\(TrainingConfiguration.defaultSegmentEntropyThreshold)"]),
                             tokenLevel: true, freezeTrunk: false, segmented: true),
        RewardModelKindEntry(card: MethodCard(name: "tldr", aliases: ["token-detective"],
                                              summary: "TLDR: the token head's σ(h_k) = P(token k good), per-token BCE on synthetic hard negatives (only perturbed tokens 0); response score ∏_k σ(h_k)",
                                              arxiv: ["2410.04734"], inputs: ["pairs with rejected_error_spans on every row (`tokenalign data tldr`)"]),
                             tokenLevel: true, freezeTrunk: false,
                             tokenKind: TokenKindSpec(targets: .labels, responseScore: .product, dataCommand: "tokenalign data tldr")),
        RewardModelKindEntry(card: MethodCard(name: "minimal-edit", aliases: ["edit-labels"],
                                              summary: "Token head regressed (squared error) on −1/0/+1 labels from a Levenshtein alignment of each rejected response with its minimal edit; response score Σ_k h_k",
                                              arxiv: ["2406.02756"], inputs: ["pairs with chosen/rejected_token_rewards on every row (`tokenalign data edit-labels`)"]),
                             tokenLevel: true, freezeTrunk: false,
                             tokenKind: TokenKindSpec(targets: .rewards, responseScore: .sum, dataCommand: "tokenalign data edit-labels")),
        RewardModelKindEntry(card: MethodCard(name: "value", aliases: ["tvm", "token-value"],
                                              summary: "TVM: V(x, y_≤t) = σ(h_t) at every token, per-token BCE against the Monte-Carlo value targets (fraction of correct rollouts sharing the prefix); score σ(h_K)",
                                              arxiv: ["2407.12863"], inputs: ["pairs with chosen/rejected_token_rewards in [0, 1] (`tokenalign value-targets`)"]),
                             tokenLevel: true, freezeTrunk: false,
                             tokenKind: TokenKindSpec(targets: .rewards, responseScore: .last, dataCommand: "tokenalign value-targets",
                                                      rewardLoss: .binaryCrossEntropy)),
        RewardModelKindEntry(card: MethodCard(name: "haf", aliases: ["haf-rm", "hybrid"],
                                              summary: "HaF-RM: Bradley–Terry on the reward head + α·DPO (β, against the frozen start) on the retained LM head, one trunk; scores with the head only",
                                              arxiv: ["2407.04185"], inputs: ["preference pairs"],
                                              defaults: ["alpha": "\(HybridRewardModelLoss.defaultAlpha)", "beta": "0.1"]),
                             tokenLevel: false, freezeTrunk: false, sharedTrunk: true),
        RewardModelKindEntry(card: MethodCard(name: "grm", aliases: ["generalizable"],
                                              summary: "GRM: (1 − α)·Bradley–Terry + α·text-generation regulariser on the chosen responses through the LM head (sft, nll or dpo)",
                                              arxiv: ["2406.10216"], inputs: ["preference pairs"],
                                              defaults: ["alpha": "\(GeneralizableRewardModelLoss.defaultAlpha)", "beta": "0.1", "grm_regularizer": "sft"]),
                             tokenLevel: false, freezeTrunk: false, sharedTrunk: true),
        RewardModelKindEntry(card: MethodCard(name: "odin", aliases: ["length-disentangled"],
                                              summary: "ODIN: quality and length heads, Bradley–Terry on their sum, Pearson penalties tie r_L to length and r_Q away from it, orthogonal heads; scores with r_Q",
                                              arxiv: ["2402.07319"], inputs: ["preference pairs"],
                                              defaults: ["odin_length_weight": "\(LengthDisentangledRewardLoss.defaultLengthWeight)",
                                                         "odin_orthogonality_weight": "\(LengthDisentangledRewardLoss.defaultOrthogonalityWeight)"]),
                             tokenLevel: false, freezeTrunk: false, sharedTrunk: true),
        RewardModelKindEntry(card: MethodCard(name: "cloud", aliases: ["critique-out-loud"],
                                              summary: "CLoud: SFT on oracle critiques, then the model's own critique of each response; Bradley–Terry on the head at the end of prompt + response + critique + λ·LM loss on the critiques; scores by critiquing first",
                                              arxiv: ["2408.11791"], inputs: ["pairs with chosen_critique / rejected_critique (`tokenalign data critiques`)"],
                                              defaults: ["cloud_lambda": "\(CritiqueOutLoudLoss.defaultLambda)", "max_critique_tokens": "\(CritiqueSpec.defaultMaxCritiqueTokens)",
                                                         "critique_temperature": "0"]),
                             tokenLevel: false, freezeTrunk: false, critiqueOutLoud: true),
    ])
}
