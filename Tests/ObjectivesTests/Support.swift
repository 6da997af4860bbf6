// Shared helpers for the objective tests: fixture loading, batch builders, comparisons.
import Autograd
import Foundation
import Objectives
import TensorCore
import TestSupport
import Testing

/// Compares whole tensors and records the evidence (max |Δ|, where, first mismatches) on failure.
func expectClose(_ actual: Tensor, _ expected: Tensor, atol: Float, rtol: Float = 0,
                 _ label: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let report = compareClose(actual, expected, atol: atol, rtol: rtol)
    #expect(report.ok, "\(label()): \(report)", sourceLocation: sourceLocation)
}

func expectClose(_ actual: Float, _ expected: Float, atol: Float, rtol: Float = 0,
                 _ label: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let ok = abs(actual - expected) <= atol + rtol * abs(expected)
    #expect(ok, "\(label()): \(actual) vs expected \(expected) (|Δ| = \(abs(actual - expected)))", sourceLocation: sourceLocation)
}

/// Every metric of `expected` is present in `actual` and matches.
func expectMetrics(_ actual: [String: Float], _ expected: [String: Float], atol: Float, rtol: Float,
                   _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for (k, e) in expected.sorted(by: { $0.key < $1.key }) {
        guard let a = actual[k] else {
            Issue.record("\(label): metric \(k) missing (have \(actual.keys.sorted()))", sourceLocation: sourceLocation)
            continue
        }
        expectClose(a, e, atol: atol, rtol: rtol, "\(label) metric \(k)", sourceLocation: sourceLocation)
    }
}

let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/objectives")

func loadJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw FixtureError.malformed(name)
    }
    return obj
}

enum FixtureError: Error { case malformed(String), missing(String) }

func floats(_ any: Any?) -> [Float] { (any as? [Any] ?? []).map { Float(($0 as? NSNumber)?.doubleValue ?? .nan) } }
func ints(_ any: Any?) -> [Int32] { (any as? [Any] ?? []).map { Int32(($0 as? NSNumber)?.intValue ?? 0) } }

/// The shared worked-example inputs of `objectives_reference.json` (P = 3, T = 6, V = 7).
struct ReferenceInputs {
    let P: Int, T: Int, V: Int
    var B: Int { 2 * P }
    let raw: [String: Any]

    init(_ raw: [String: Any]) {
        self.raw = raw
        P = (raw["P"] as! NSNumber).intValue
        T = (raw["T"] as! NSNumber).intValue
        V = (raw["V"] as! NSNumber).intValue
    }

    func bt(_ key: String) -> Tensor { Tensor(shape: [B, T], data: floats(raw[key])) }
    func btv(_ key: String) -> Tensor { Tensor(shape: [B, T, V], data: floats(raw[key])) }
    func vector(_ key: String) -> Tensor { let f = floats(raw[key]); return Tensor(shape: [f.count], data: f) }

    var mask: Tensor { bt("mask") }
    var labels: IndexTensor { IndexTensor(shape: [B, T], data: ints(raw["labels"])) }
    var desirable: [Bool] { (raw["desirable"] as! [Any]).map { ($0 as! NSNumber).boolValue } }
    var groups: [Int] { ints(raw["groups"]).map(Int.init) }

    /// Every field the objectives read, with `policyLogits` (and `scores`) as the differentiable leaves.
    func batch(policyLogits: Variable, scores: Variable? = nil, structure: BatchStructure = .pairs) -> TokenBatch {
        let mask = self.mask, labels = self.labels
        func aux(_ key: String) -> AuxiliaryOutputs {
            let z = btv(key)
            return AuxiliaryOutputs(logps: TokenBatch.tokenLogps(logits: z, labels: labels, mask: mask), logits: z)
        }
        var b = TokenBatch(
            policyLogits: policyLogits, labels: labels, mask: mask, structure: structure,
            referenceLogits: btv("reference_logits"),
            auxiliary: [
                .tokenRewardModel: aux("token_rm_logits"),
                .dpoModel: aux("dpo_logits"),
                .reverseDPOModel: aux("reverse_dpo_logits"),
                .positiveModel: aux("positive_logits"),
                .negativeModel: aux("negative_logits"),
                .betterPrompt: AuxiliaryOutputs(logps: bt("better_logps")),
                .worsePrompt: AuxiliaryOutputs(logps: bt("worse_logps")),
            ],
            tokenRewards: bt("token_targets"),
            tokenWeights: [.sparsePOReward: bt("sparse_reward_mask"), .sparsePOKL: bt("sparse_kl_mask")],
            segmentIDs: IndexTensor(shape: [B, T], data: ints(raw["segment_ids"])),
            sequenceRewards: vector("sequence_rewards"),
            sequenceValues: [
                .klPolicyLogps: vector("kl_policy_logps"),
                .klReferenceLogps: vector("kl_reference_logps"),
                .margin: vector("margin"),
                .proposalLogps: vector("proposal_logps"),
            ])
        b.scores = scores
        b.oldLogps = bt("old_logps")
        return b
    }
}

/// The loaded numpy reference (`generate_objectives.py`).
struct ObjectivesReference: @unchecked Sendable {
    let inputs: ReferenceInputs
    let cases: [String: [String: Any]]
    let rewards: [String: Any]

    static let shared: ObjectivesReference = {
        let obj = try! loadJSON("objectives_reference.json")
        return ObjectivesReference(inputs: ReferenceInputs(obj["inputs"] as! [String: Any]),
                                   cases: obj["cases"] as! [String: [String: Any]],
                                   rewards: obj["rewards"] as! [String: Any])
    }()

    static let caseNames: [String] = shared.cases.keys.sorted()
}

/// The loaded TRL reference (`generate_trl_reference.py`).
struct TRLReference: @unchecked Sendable {
    let cases: [String: [String: Any]]
    let trlVersion: String

    static let shared: TRLReference = {
        let obj = try! loadJSON("trl_reference.json")
        return TRLReference(cases: obj["cases"] as! [String: [String: Any]], trlVersion: obj["trl"] as! String)
    }()

    static let caseNames: [String] = shared.cases.keys.sorted()
}

func metricsDict(_ any: Any?) -> [String: Float] {
    (any as? [String: Any] ?? [:]).mapValues { Float(($0 as! NSNumber).doubleValue) }
}

// MARK: - Random batches for gradient checks and invariants

/// A small random pair batch (P = 2, T = 5, V = 7), everything derived from one seed. Masks have a
/// prompt prefix and padding, so masked positions exist in every row type.
struct RandomBatch {
    static let P = 2, T = 5, V = 7
    var B: Int { mask.shape[0] }
    var policyLogits: Tensor
    var referenceLogits: Tensor
    var auxLogits: [AuxiliaryKey: Tensor]
    var betterLogps: Tensor, worseLogps: Tensor
    var labels: IndexTensor
    var mask: Tensor
    var weights: Tensor
    var klWeights: Tensor
    var segmentIDs: IndexTensor
    var scores: Tensor
    var targets: Tensor
    var sequenceRewards: Tensor
    var klPolicyLogps: Tensor, klReferenceLogps: Tensor
    /// Per pair.
    var margin: Tensor

    init(seed: UInt64) {
        let B = 2 * Self.P, T = Self.T, V = Self.V
        var g = RandomGenerator(seed: seed)
        policyLogits = Tensor.randomNormal([B, T, V], std: 1.2, using: &g)
        referenceLogits = policyLogits + Tensor.randomNormal([B, T, V], std: 0.8, using: &g)
        var aux: [AuxiliaryKey: Tensor] = [:]
        for k in [AuxiliaryKey.tokenRewardModel, .dpoModel, .reverseDPOModel, .positiveModel, .negativeModel] {
            aux[k] = referenceLogits + Tensor.randomNormal([B, T, V], std: 0.7, using: &g)
        }
        auxLogits = aux
        betterLogps = Tensor.randomUniform([B, T], low: -3, high: -0.1, using: &g)
        worseLogps = Tensor.randomUniform([B, T], low: -3, high: -0.1, using: &g)
        labels = IndexTensor(shape: [B, T], data: (0 ..< B * T).map { _ in Int32(g.next() % UInt64(V)) })
        let rows: [[Float]] = [[0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 1, 1, 0, 0]]
        mask = Tensor(shape: [B, T], data: rows.flatMap { $0 })
        weights = Tensor.randomUniform([B, T], low: 0.1, high: 1.0, using: &g)
        klWeights = Tensor.randomUniform([B, T], low: 0.1, high: 1.0, using: &g)
        segmentIDs = IndexTensor(shape: [B, T], data: (0 ..< B * T).map { _ in Int32(g.next() % 3) })
        scores = Tensor.randomNormal([B, T], using: &g)
        targets = Tensor.randomUniform([B, T], using: &g)
        sequenceRewards = Tensor.randomNormal([B], using: &g)
        klPolicyLogps = Tensor.randomNormal([B], mean: -5, using: &g)
        klReferenceLogps = Tensor.randomNormal([B], mean: -6, using: &g)
        margin = Tensor.randomUniform([Self.P], low: 0, high: 0.5, using: &g)
    }

    /// The rows `idx` (for pairs: chosen rows first, then their rejected rows) as a smaller batch.
    func rows(_ idx: [Int], pairs pairIdx: [Int]) -> RandomBatch {
        func pick(_ t: Tensor) -> Tensor { Tensor.concatenate(idx.map { t.rows($0 ..< $0 + 1) }, axis: 0) }
        func pick(_ t: IndexTensor) -> IndexTensor {
            let inner = t.count / t.shape[0]
            return IndexTensor(shape: [idx.count] + Array(t.shape.dropFirst()),
                               data: idx.flatMap { t.data[($0 * inner) ..< ($0 + 1) * inner] })
        }
        var r = self
        r.policyLogits = pick(policyLogits)
        r.referenceLogits = pick(referenceLogits)
        r.auxLogits = auxLogits.mapValues(pick)
        r.betterLogps = pick(betterLogps)
        r.worseLogps = pick(worseLogps)
        r.labels = pick(labels)
        r.mask = pick(mask)
        r.weights = pick(weights)
        r.klWeights = pick(klWeights)
        r.segmentIDs = pick(segmentIDs)
        r.scores = pick(scores)
        r.targets = pick(targets)
        r.sequenceRewards = pick(sequenceRewards)
        r.klPolicyLogps = pick(klPolicyLogps)
        r.klReferenceLogps = pick(klReferenceLogps)
        r.margin = Tensor.concatenate(pairIdx.map { margin.rows($0 ..< $0 + 1) }, axis: 0)
        return r
    }

    func batch(policyLogits z: Variable, scores s: Variable? = nil, structure: BatchStructure = .pairs) -> TokenBatch {
        var aux: [AuxiliaryKey: AuxiliaryOutputs] = [:]
        for (k, t) in auxLogits {
            aux[k] = AuxiliaryOutputs(logps: TokenBatch.tokenLogps(logits: t, labels: labels, mask: mask), logits: t)
        }
        aux[.betterPrompt] = AuxiliaryOutputs(logps: betterLogps)
        aux[.worsePrompt] = AuxiliaryOutputs(logps: worseLogps)
        var b = TokenBatch(policyLogits: z, labels: labels, mask: mask, structure: structure,
                           referenceLogits: referenceLogits, auxiliary: aux, tokenRewards: targets,
                           tokenWeights: [.sparsePOReward: weights, .sparsePOKL: klWeights],
                           segmentIDs: segmentIDs, sequenceRewards: sequenceRewards,
                           sequenceValues: [.klPolicyLogps: klPolicyLogps, .klReferenceLogps: klReferenceLogps,
                                            .margin: margin])
        b.scores = s
        return b
    }
}

/// Loss and gradient w.r.t. the policy logits (and scores) of an objective on a random batch.
func lossAndGradients(_ objective: any Objective, _ rb: RandomBatch, structure: BatchStructure = .pairs,
                      logits: Tensor? = nil) -> (loss: Float, logits: Tensor, scores: Tensor, metrics: [String: Float]) {
    let z = Variable(logits ?? rb.policyLogits, requiresGrad: true)
    let s = Variable(rb.scores, requiresGrad: true)
    let out = objective.compute(rb.batch(policyLogits: z, scores: s, structure: structure), normalizer: .local)
    out.loss.backward()
    return (out.loss.scalar, z.grad ?? Tensor.zeros(like: z.value), s.grad ?? Tensor.zeros(like: s.value), out.metrics)
}

/// Structure each named objective expects.
func structure(for name: String, desirable: [Bool] = [true, false, false, true], groups: [Int] = [0, 0, 1, 1]) -> BatchStructure {
    if name.hasPrefix("kto") { return .unpaired(desirable: desirable) }
    if name.hasPrefix("raml") { return .groups(groups) }
    return .pairs
}

/// eˣ for test arithmetic.
func fexp(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }

/// ln x for test arithmetic.
func flog(_ x: Float) -> Float { Float(Foundation.log(Double(x))) }

extension TokenBatch {
    /// The same batch with new policy logits (and the log-probs recomputed from them).
    func replacingPolicy(logits z: Variable) -> TokenBatch {
        var b = self
        b.policyLogits = z
        b.policyLogps = Functional.tokenLogProbs(logits: z, labels: labels!, mask: mask)
        return b
    }

    /// The same batch with a new scalar head.
    func replacingScores(_ s: Variable) -> TokenBatch {
        var b = self
        b.scores = s
        return b
    }
}
