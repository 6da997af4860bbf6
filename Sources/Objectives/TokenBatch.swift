// TokenBatch: the one interface between models and objectives (docs/design/objectives.md §0.2, §5).
//
// Every per-token field is [B, T] and aligned to *predicted* tokens (docs/design/objectives.md §0.2): entry t
// holds the quantity for the token the model predicts at step t, i.e. logits[:, :-1] against
// labels[:, 1:] after the shift. The trainer does the shift; objectives never shift.
//
// Legend: B rows (sequences), T predicted-token positions, V vocabulary, P = B/2 pairs.
import Autograd
import TensorCore

/// A name in one of `TokenBatch`'s keyed fields (auxiliary models, token weights, per-row values):
/// an open set of strings, written as literals.
public protocol BatchFieldKey: Hashable, Sendable, RawRepresentable<String>, ExpressibleByStringLiteral, CustomStringConvertible {
    init(rawValue: String)
}

extension BatchFieldKey {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// Names of auxiliary (frozen) models whose per-token outputs an objective reads from
/// `TokenBatch.auxiliary`. Open set: any string works; these are the ones the built-in objectives use.
public struct AuxiliaryKey: BatchFieldKey {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A token-level reward model that is itself an LM (the TGDPO "induced DPO reward" model).
    public static let tokenRewardModel: AuxiliaryKey = "token_rm"
    /// A DPO-trained model (r→Q* read-out, RTO, AlignDistil's π⁺).
    public static let dpoModel: AuxiliaryKey = "dpo"
    /// AlignDistil's second model z⁻ (a reverse-DPO model in the release scripts).
    public static let reverseDPOModel: AuxiliaryKey = "reverse_dpo"
    /// Critical-token cDPO's positive model π⁺ (fine-tuned on correct trajectories).
    public static let positiveModel: AuxiliaryKey = "positive"
    /// Critical-token cDPO's negative model π⁻ (fine-tuned on incorrect trajectories).
    public static let negativeModel: AuxiliaryKey = "negative"
    /// T-REG: the policy itself under the "make it better" prompt x⁺ (no grad).
    public static let betterPrompt: AuxiliaryKey = "better_prompt"
    /// T-REG: the policy itself under the "make it worse" prompt x⁻ (no grad).
    public static let worsePrompt: AuxiliaryKey = "worse_prompt"
}

/// Names of precomputed token weights in `TokenBatch.tokenWeights` (all [B, T], constants).
public struct TokenWeightKey: BatchFieldKey {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// SparsePO reward mask m^u.
    public static let sparsePOReward: TokenWeightKey = "sparsepo.reward"
    /// SparsePO KL mask m^d.
    public static let sparsePOKL: TokenWeightKey = "sparsepo.kl"
    /// Critical-token cDPO weights s_t (chosen rows: s^w, rejected rows: s^l), already final.
    public static let criticalToken: TokenWeightKey = "critical"
    /// T-REG self-generated token rewards (already squashed), one per row.
    public static let tReg: TokenWeightKey = "treg"
    /// Segment ends of the segment reward model (1 at the last token of every segment), from
    /// `EntropySegmentation.endMask`.
    public static let segmentEnds: TokenWeightKey = "segment_ends"
}

/// Names of per-row constants in `TokenBatch.sequenceValues`.
public struct SequenceValueKey: BatchFieldKey {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// KTO: Σ_t ℓ of the mismatched (prompt, completion) pairs under the policy, no grad: [B].
    public static let klPolicyLogps: SequenceValueKey = "kl_policy_logps"
    /// KTO: the same completions under the reference: [B].
    public static let klReferenceLogps: SequenceValueKey = "kl_reference_logps"
    /// Bradley–Terry margin μ per pair: [P] (TRL's `margin` column).
    public static let margin: SequenceValueKey = "margin"
    /// 1 for a tie pair (target P(chosen ≻ rejected) = ½, RRM's neutral pairs, arXiv 2409.13156), 0 otherwise: [P].
    public static let tie: SequenceValueKey = "tie"
    /// RAML: log-probability of each candidate under the proposal it was sampled from: [B].
    public static let proposalLogps: SequenceValueKey = "proposal_logps"
}

/// Per-token outputs of one frozen auxiliary model, aligned like the policy's.
public struct AuxiliaryOutputs {
    /// log p_aux(y_t | s_t): [B, T].
    public var logps: Tensor?
    /// Full-vocabulary logits: [B, T, V].
    public var logits: Tensor?

    public init(logps: Tensor? = nil, logits: Tensor? = nil) {
        self.logps = logps
        self.logits = logits
    }
}

/// How the rows of a batch relate to each other.
public enum BatchStructure: Equatable, Sendable {
    /// Independent sequences (SFT, distillation).
    case sequences
    /// Preference pairs, TRL's layout: rows 0..<P are the chosen responses and rows P..<2P the
    /// rejected ones, row i paired with row P+i.
    case pairs
    /// Unpaired preference data (KTO): one flag per row, true = desirable.
    case unpaired(desirable: [Bool])
    /// Groups (RL groups, RAML candidate sets): one group id per row.
    case groups([Int])
}

/// A batch of per-token quantities for one (micro-)batch. Policy quantities carry gradient; every
/// other model's quantities are constants (`Tensor`), never differentiated (docs/design/objectives.md §0.2).
public struct TokenBatch {
    // MARK: Policy (differentiable)

    /// ℓ_t = log π_θ(y_t | s_t): [B, T]. The only gradient-carrying quantity of most objectives.
    public var policyLogps: Variable
    /// Policy logits z_t: [B, T, V] (full-vocabulary methods: TDPO, SparsePO, RRPO, AlignDistil).
    public var policyLogits: Variable?
    /// A per-position scalar head (reward or value head) of the model being trained: [B, T].
    public var scores: Variable?

    // MARK: Frozen models (constants)

    /// ℓ^ref_t: [B, T].
    public var referenceLogps: Tensor?
    /// Reference logits: [B, T, V].
    public var referenceLogits: Tensor?
    /// ℓ^old_t (training-engine snapshot): [B, T].
    public var oldLogps: Tensor?
    /// ℓ^μ_t (rollout engine): [B, T].
    public var rolloutLogps: Tensor?
    /// Any other frozen model, by name.
    public var auxiliary: [AuxiliaryKey: AuxiliaryOutputs]

    // MARK: Tokens and masks

    /// The predicted tokens y_t: [B, T] (needed by full-vocabulary read-outs).
    public var labels: IndexTensor?
    /// m_t ∈ {0, 1}: [B, T]. 1 only for trained response tokens.
    public var mask: Tensor
    /// Precomputed token rewards r_t: [B, T].
    public var tokenRewards: Tensor?
    /// Precomputed token weights, by name: each [B, T].
    public var tokenWeights: [TokenWeightKey: Tensor]
    /// Segment ids g_t (0 = none; RRPO phrases, MA-RLHF macros): [B, T].
    public var segmentIDs: IndexTensor?
    /// Critic values V_t: [B, T].
    public var values: Tensor?

    // MARK: Sequence level

    /// How rows relate (pairs, groups, unpaired labels).
    public var structure: BatchStructure
    /// One scalar reward per row: [B].
    public var sequenceRewards: Tensor?
    /// Other named per-row (or per-pair) constants, e.g. KTO's mismatched-completion log-probs.
    public var sequenceValues: [SequenceValueKey: Tensor] = [:]

    public init(policyLogps: Variable, mask: Tensor, structure: BatchStructure = .sequences,
                policyLogits: Variable? = nil, scores: Variable? = nil,
                referenceLogps: Tensor? = nil, referenceLogits: Tensor? = nil,
                oldLogps: Tensor? = nil, rolloutLogps: Tensor? = nil,
                auxiliary: [AuxiliaryKey: AuxiliaryOutputs] = [:],
                labels: IndexTensor? = nil, tokenRewards: Tensor? = nil,
                tokenWeights: [TokenWeightKey: Tensor] = [:], segmentIDs: IndexTensor? = nil,
                values: Tensor? = nil, sequenceRewards: Tensor? = nil,
                sequenceValues: [SequenceValueKey: Tensor] = [:]) {
        precondition(policyLogps.rank == 2, "TokenBatch: policyLogps must be [B, T], got \(policyLogps.shape)")
        precondition(mask.shape == policyLogps.shape, "TokenBatch: mask \(mask.shape) vs policyLogps \(policyLogps.shape)")
        self.policyLogps = policyLogps
        self.mask = mask
        self.structure = structure
        self.policyLogits = policyLogits
        self.scores = scores
        self.referenceLogps = referenceLogps
        self.referenceLogits = referenceLogits
        self.oldLogps = oldLogps
        self.rolloutLogps = rolloutLogps
        self.auxiliary = auxiliary
        self.labels = labels.map { Masking.safeLabels($0, mask: mask) }
        self.tokenRewards = tokenRewards
        self.tokenWeights = tokenWeights
        self.segmentIDs = segmentIDs
        self.values = values
        self.sequenceRewards = sequenceRewards
        self.sequenceValues = sequenceValues
        validate()
    }

    /// Builds ℓ from policy logits with the fused log-softmax + gather + mask; the logits stay in
    /// the batch so full-vocabulary objectives share the same graph.
    /// - Parameters:
    ///   - policyLogits: [B, T, V], already shifted (position t predicts labels[t]).
    ///   - labels: [B, T].
    ///   - mask: [B, T].
    public init(policyLogits: Variable, labels: IndexTensor, mask: Tensor, structure: BatchStructure = .sequences,
                referenceLogits: Tensor? = nil, referenceLogps: Tensor? = nil,
                auxiliary: [AuxiliaryKey: AuxiliaryOutputs] = [:],
                tokenRewards: Tensor? = nil, tokenWeights: [TokenWeightKey: Tensor] = [:],
                segmentIDs: IndexTensor? = nil, sequenceRewards: Tensor? = nil,
                sequenceValues: [SequenceValueKey: Tensor] = [:]) {
        precondition(policyLogits.rank == 3, "TokenBatch: policyLogits must be [B, T, V], got \(policyLogits.shape)")
        let labels = Masking.safeLabels(labels, mask: mask)
        let logps = Functional.tokenLogProbs(logits: policyLogits, labels: labels, mask: mask)
        var refLogps = referenceLogps
        if refLogps == nil, let referenceLogits {
            refLogps = TokenBatch.tokenLogps(logits: referenceLogits, labels: labels, mask: mask)
        }
        self.init(policyLogps: logps, mask: mask, structure: structure, policyLogits: policyLogits,
                  referenceLogps: refLogps, referenceLogits: referenceLogits, auxiliary: auxiliary,
                  labels: labels, tokenRewards: tokenRewards, tokenWeights: tokenWeights,
                  segmentIDs: segmentIDs, sequenceRewards: sequenceRewards, sequenceValues: sequenceValues)
    }

    /// log softmax(logits)[label] at unmasked positions, 0 elsewhere (masked logits and labels are
    /// never read): the per-token log-probs of a frozen model. Shapes: [B, T, V], [B, T] → [B, T].
    public static func tokenLogps(logits: Tensor, labels: IndexTensor, mask: Tensor) -> Tensor {
        withoutGradients {
            Functional.tokenLogProbs(logits: Variable(logits), labels: labels, mask: mask).value
        }
    }

    /// B, the number of rows.
    public var rowCount: Int { mask.shape[0] }
    /// T, the number of predicted-token positions.
    public var length: Int { mask.shape[1] }

    func validate() {
        let bt = mask.shape
        func check(_ t: Tensor?, _ name: String) {
            if let t { precondition(t.shape == bt, "TokenBatch: \(name) \(t.shape), expected \(bt)") }
        }
        func checkLogits(_ s: [Int]?, _ name: String) {
            if let s { precondition(s.count == 3 && Array(s.prefix(2)) == bt, "TokenBatch: \(name) \(s), expected \(bt) + [V]") }
        }
        check(referenceLogps, "referenceLogps")
        check(oldLogps, "oldLogps")
        check(rolloutLogps, "rolloutLogps")
        check(tokenRewards, "tokenRewards")
        check(values, "values")
        if let scores { precondition(scores.shape == bt, "TokenBatch: scores \(scores.shape), expected \(bt)") }
        checkLogits(policyLogits?.shape, "policyLogits")
        checkLogits(referenceLogits?.shape, "referenceLogits")
        for (k, w) in tokenWeights { check(w, "tokenWeights[\(k)]") }
        for (k, a) in auxiliary {
            check(a.logps, "auxiliary[\(k)].logps")
            checkLogits(a.logits?.shape, "auxiliary[\(k)].logits")
        }
        if let labels { precondition(labels.shape == bt, "TokenBatch: labels \(labels.shape), expected \(bt)") }
        if let segmentIDs { precondition(segmentIDs.shape == bt, "TokenBatch: segmentIDs \(segmentIDs.shape), expected \(bt)") }
        if let sequenceRewards { precondition(sequenceRewards.shape == [bt[0]], "TokenBatch: sequenceRewards \(sequenceRewards.shape), expected [\(bt[0])]") }
        switch structure {
        case .pairs:
            precondition(bt[0] % 2 == 0, "TokenBatch: .pairs needs an even row count, got \(bt[0])")
        case .unpaired(let desirable):
            precondition(desirable.count == bt[0], "TokenBatch: \(desirable.count) desirable flags for \(bt[0]) rows")
        case .groups(let ids):
            precondition(ids.count == bt[0], "TokenBatch: \(ids.count) group ids for \(bt[0]) rows")
        case .sequences:
            break
        }
    }
}

// MARK: - Accessors used by the objectives

extension TokenBatch {
    /// P, the number of pairs (structure must be `.pairs`).
    public var pairCount: Int {
        precondition(structure == .pairs, "TokenBatch: this objective needs .pairs structure, got \(structure)")
        return rowCount / 2
    }

    /// The reference log-probs, required; 0 at masked positions whatever they held.
    func requireReferenceLogps(_ who: String) -> Tensor {
        guard let r = referenceLogps else { preconditionFailure("\(who): TokenBatch.referenceLogps is required") }
        return Masking.zeroed(r, mask: mask)
    }

    func requirePolicyLogits(_ who: String) -> Variable {
        guard let z = policyLogits else { preconditionFailure("\(who): TokenBatch.policyLogits [B, T, V] is required") }
        return z
    }

    func requireReferenceLogits(_ who: String) -> Tensor {
        guard let z = referenceLogits else { preconditionFailure("\(who): TokenBatch.referenceLogits [B, T, V] is required") }
        return z
    }

    func requireAuxiliaryLogps(_ key: AuxiliaryKey, _ who: String) -> Tensor {
        guard let l = auxiliary[key]?.logps else { preconditionFailure("\(who): TokenBatch.auxiliary[\(key)].logps is required") }
        return Masking.zeroed(l, mask: mask)
    }

    func requireAuxiliaryLogits(_ key: AuxiliaryKey, _ who: String) -> Tensor {
        guard let l = auxiliary[key]?.logits else { preconditionFailure("\(who): TokenBatch.auxiliary[\(key)].logits is required") }
        return l
    }

    /// n_i = Σ_t m_{i,t}: [B].
    public var tokenCounts: Tensor { mask.sum(axis: 1) }

    /// Σ_t m ℓ per row: [B].
    public var sequenceLogps: Variable { Masking.rowSum(policyLogps, mask: mask) }

    /// Σ_t m (ℓ − ℓ^ref) per row: [B].
    func sequenceLogratios(_ who: String) -> Variable {
        Masking.rowSum(policyLogps - requireReferenceLogps(who), mask: mask)
    }
}

/// Splits per-row values into the chosen and rejected halves of a `.pairs` batch.
enum Pairs {
    static func split(_ v: Variable) -> (chosen: Variable, rejected: Variable) {
        let p = v.shape[0] / 2
        return (v.slice(axis: 0, 0 ..< p), v.slice(axis: 0, p ..< 2 * p))
    }

    static func split(_ t: Tensor) -> (chosen: Tensor, rejected: Tensor) {
        let p = t.shape[0] / 2
        return (t.rows(0 ..< p), t.rows(p ..< 2 * p))
    }
}
