// ProcessBench's metric for first-error identification (Zheng et al., arXiv 2412.06559): every
// annotated solution has a label — the index of its first wrong step, or −1 when every step is
// right — and a scorer predicts one such index. Per subset:
//   error accuracy   = share of erroneous solutions (label ≥ 0) whose prediction equals the label,
//   correct accuracy = share of correct solutions (label = −1) predicted −1,
//   F1               = 2·a_err·a_cor / (a_err + a_cor)  (0 when both are 0),
// and the benchmark's headline is the unweighted mean of the subsets' F1. A scorer that always
// answers −1 gets a_cor = 1, a_err = 0, F1 = 0; one that flags step 0 everywhere gets F1 = 0 too:
// the harmonic mean rewards only scorers that do both jobs.
//
// A credit source gives a score per step, not an index; `FirstErrorRule` turns step scores into a
// prediction by thresholding (the first step whose score falls below the threshold), which is how a
// process reward model's per-step probabilities are read.

/// One solution's annotation and a scorer's prediction.
public struct FirstErrorPrediction: Sendable, Equatable, Codable {
    /// Index of the first wrong step, or −1 when all steps are right.
    public var label: Int
    /// The scorer's index of the first wrong step, or −1.
    public var prediction: Int
    /// The benchmark subset ("gsm8k", "math", …); one subset when the data names none.
    public var subset: String

    public init(label: Int, prediction: Int, subset: String = "all") {
        self.label = label
        self.prediction = prediction
        self.subset = subset
    }
}

/// ProcessBench's accuracies and F1 for one subset.
public struct ProcessBenchSubsetScore: Sendable, Equatable, Codable {
    public var subset: String
    /// Solutions with label ≥ 0, and with label −1.
    public var erroneous: Int
    public var correct: Int
    /// Shares in [0, 1]; nil when the subset has no solution of that kind (the reference would
    /// take the mean of an empty list).
    public var errorAccuracy: Double?
    public var correctAccuracy: Double?
    /// nil when either accuracy is undefined.
    public var f1: Double?
}

public struct ProcessBenchScore: Sendable, Equatable, Codable {
    /// Subsets in order of first appearance.
    public var subsets: [ProcessBenchSubsetScore]
    /// The unweighted mean of the subsets' F1 (subsets with an undefined F1 left out; nil if none).
    public var meanF1: Double?

    public init(_ predictions: [FirstErrorPrediction]) {
        var order: [String] = []
        var groups: [String: [FirstErrorPrediction]] = [:]
        for p in predictions {
            if groups[p.subset] == nil { order.append(p.subset) }
            groups[p.subset, default: []].append(p)
        }
        subsets = order.map { name in
            let g = groups[name] ?? []
            let err = g.filter { $0.label >= 0 }, cor = g.filter { $0.label < 0 }
            let aErr = err.isEmpty ? nil : Double(err.filter { $0.prediction == $0.label }.count) / Double(err.count)
            let aCor = cor.isEmpty ? nil : Double(cor.filter { $0.prediction < 0 }.count) / Double(cor.count)
            var f1: Double?
            if let a = aErr, let b = aCor { f1 = a + b > 0 ? 2 * a * b / (a + b) : 0 }
            return ProcessBenchSubsetScore(subset: name, erroneous: err.count, correct: cor.count, errorAccuracy: aErr,
                                           correctAccuracy: aCor, f1: f1)
        }
        let f1s = subsets.compactMap(\.f1)
        meanF1 = f1s.isEmpty ? nil : f1s.reduce(0, +) / Double(f1s.count)
    }
}

/// How per-step scores become a predicted first-error index.
public enum FirstErrorRule {
    /// The first step whose score is below `threshold`, or −1 when none is.
    public static func predict(stepScores: [Float], threshold: Float) -> Int {
        stepScores.firstIndex { $0 < threshold } ?? -1
    }

    /// The threshold that maximises the mean F1 on these solutions, among the midpoints between
    /// consecutive distinct step scores (and one below / above all). It is fitted on the data it
    /// scores, so its F1 is an optimistic ceiling ("oracle threshold"), reported beside the F1 at a
    /// threshold the user fixed in advance. Ties between thresholds go to the lowest. With more than
    /// `maxCandidates` distinct scores the candidates are that many evenly spaced order statistics.
    public static func oracleThreshold(stepScores: [[Float]], labels: [Int], subsets: [String],
                                       maxCandidates: Int = 1024) -> (threshold: Float, score: ProcessBenchScore) {
        precondition(stepScores.count == labels.count && labels.count == subsets.count, "oracleThreshold: mismatched lengths")
        var values = Array(Set(stepScores.joined().filter(\.isFinite))).sorted()
        if values.count > maxCandidates, maxCandidates > 1 {
            let all = values
            values = (0 ..< maxCandidates).map { all[$0 * (all.count - 1) / (maxCandidates - 1)] }
        }
        var candidates: [Float] = []
        if let lo = values.first, let hi = values.last {
            candidates.append(lo - 1)
            for (a, b) in zip(values, values.dropFirst()) { candidates.append(a + (b - a) / 2) }
            candidates.append(hi + 1)
        } else {
            candidates.append(0)
        }
        var best = (candidates[0], ProcessBenchScore([]))
        var bestF1 = -1.0
        for c in candidates {
            let preds = stepScores.indices.map {
                FirstErrorPrediction(label: labels[$0], prediction: predict(stepScores: stepScores[$0], threshold: c), subset: subsets[$0])
            }
            let s = ProcessBenchScore(preds)
            if (s.meanF1 ?? -1) > bestF1 || bestF1 < 0 && best.1.subsets.isEmpty {
                best = (c, s)
                bestF1 = s.meanF1 ?? -1
            }
        }
        return best
    }
}
