// The token-label reward models learn (docs/design/rewards.md §7), on the tiny fixture Llama and
// seeded CreditBench data, judged on held-out problems through the `token-rm:DIR` credit source
// (the seam `tokenalign credit` and `eval credit` use):
// - `tldr` trained on TLDR hard negatives ranks the good response above its perturbation by ∏ σ(h_k)
//   and puts its lowest token score on the first perturbed token more often than chance;
// - `minimal-edit` trained on `edit-labels` rows ranks the edit above the rejected response by Σ h_k;
// - `value` (TVM) trained with BCE on Monte-Carlo value targets of seeded rollouts ranks a correct
//   completion above a wrong one by its value at the last token, σ(h_K).
// Each threshold is one the same model with its untrained head does not reach.
import CreditBench
import Datasets
import Evaluation
import Experiments
import Foundation
import Rewards
import Search
import Testing
import Tokenizers
import Training

@Suite(.serialized) struct TokenLabelRewardModelTests {
    /// Sorting four digits: the slips (a swapped neighbour pair, a dropped or repeated element, a
    /// miscopied digit) are local, learnable ones.
    static let task = SortTask(length: 4, maxValue: 9)
    /// Training pairs (the value rows: half as many problems, eight rollouts each, four rows each).
    static let trainCount = 512

    static func rowsFile(_ rows: [[String: Any]]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ta-tokenlabels-\(UUID().uuidString).jsonl").path
        try JSONLWriter.encode(rows, file: path).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reward-model folders of `kind` before (untrained head) and after training on `train`.
    static func trainedFolders(kind: String, train: [[String: Any]], steps: Int) throws -> (untrained: String, trained: String) {
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = kind
        c.model = try AdvantageCreditTests.tinyModel()
        c.data = try rowsFile(train)
        c.learningRate = 3e-3
        c.schedule = "constant"
        c.batchSize = 16
        c.maxSteps = steps
        c.seed = 1
        let run = try TrainingSetup.prepare(c)
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-tokenlabels-\(UUID().uuidString)")
        let before = base.appendingPathComponent("untrained"), after = base.appendingPathComponent("trained")
        try run.trainer.saveModel(p, to: before)
        try run.trainer.run()
        try run.trainer.saveModel(p, to: after)
        return (before.path, after.path)
    }

    /// The response's tokens (prompt and response tokenised as `eval credit` does) and its first wrong token.
    static func annotated(_ prompt: String, _ response: String, firstError: Int?, tokenizer: Tokenizer) throws -> AnnotatedResponse {
        let object: [String: Any] = ["prompt": prompt, "response": response, "first_error_char": firstError ?? -1]
        let rows = try JSONLReader.parse(try JSONSerialization.data(withJSONObject: object), file: "heldout.jsonl")
        return try CreditAnnotations.parse(rows[0], tokenizer: tokenizer)
    }

    struct Measured { var pairAccuracy: Double; var top1: Double; var chance: Double }

    /// Pair accuracy by `score` and first-error top-1 on held-out (good, bad) pairs.
    static func measure(folder: String, pairs: [HeldOutPair],
                        score: TokenResponseScore) throws -> Measured {
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: folder))
        let source = try CreditSources.load(spec: "token-rm:\(folder)", loader: CreditSourceLoader(tokenizer: tokenizer))
        let bad = try pairs.map { try annotated($0.prompt, $0.bad, firstError: $0.firstError, tokenizer: tokenizer) }
        let good = try pairs.map { try annotated($0.prompt, $0.good, firstError: nil, tokenizer: tokenizer) }
        let h = source.tokenRewards((good + bad).map { Episode(prompt: $0.promptIDs, response: $0.responseIDs) }).map(\.values)
        var wins = 0
        for i in pairs.indices where score.responseScore(h[i][...]) > score.responseScore(h[pairs.count + i][...]) { wins += 1 }
        let report = CreditEvaluation.run(source: source, annotations: bad, threshold: nil, resamples: 10).report
        let chance = bad.map { 1 / Double($0.responseIDs.count) }.reduce(0, +) / Double(bad.count)
        return Measured(pairAccuracy: Double(wins) / Double(pairs.count), top1: report.tokenTop1.value, chance: chance)
    }

    typealias HeldOutPair = (prompt: String, good: String, bad: String, firstError: Int)

    /// Trains `kind` on `train` (400 steps) and measures the untrained and the trained folder on the
    /// held-out pairs by the response score the trained folder records (which must be `score`).
    static func trainAndMeasure(kind: String, train: [[String: Any]], pairs: [HeldOutPair], score: TokenResponseScore)
        throws -> (before: Measured, after: Measured) {
        let folders = try trainedFolders(kind: kind, train: train, steps: 400)
        #expect(try TokenResponseScore.of(folder: folders.trained) == score)
        let before = try measure(folder: folders.untrained, pairs: pairs, score: score)
        let after = try measure(folder: folders.trained, pairs: pairs, score: score)
        print("\(kind) held-out: pair accuracy \(before.pairAccuracy) → \(after.pairAccuracy), first-error top-1 \(before.top1) → \(after.top1) (chance \(after.chance))")
        return (before, after)
    }

    @Test func tldrLearnsToRankAndLocalise() throws {
        let tasks: [any CreditTask] = [Self.task]
        let train = try #require(TokenLabelRows.rows(count: Self.trainCount, tasks: tasks, seed: 1) { $0.tldrRow(seed: $1, index: $2) })
        let heldOut = try #require(TokenLabelRows.rows(count: 48, tasks: tasks, seed: 99) { $0.tldrRow(seed: $1, index: $2) })
        let pairs = try heldOut.map { r in
            let spans = try #require(r["rejected_error_spans"] as? [[String: Any]])
            return (prompt: try #require(r["prompt"] as? String), good: try #require(r["chosen"] as? String),
                    bad: try #require(r["rejected"] as? String), firstError: try #require(spans.first?["start"] as? Int))
        }
        let (before, after) = try Self.trainAndMeasure(kind: "tldr", train: train, pairs: pairs, score: .product)
        #expect(after.pairAccuracy >= 0.85 && before.pairAccuracy < 0.85, "pair accuracy \(before.pairAccuracy) → \(after.pairAccuracy)")
        #expect(after.top1 >= 4 * after.chance && before.top1 < 4 * after.chance, "top-1 \(before.top1) → \(after.top1), chance \(after.chance)")
    }

    @Test func minimalEditLearnsToRank() throws {
        let tasks: [any CreditTask] = [Self.task]
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: try AdvantageCreditTests.tinyModel()))
        func labelled(_ count: Int, seed: UInt64) throws -> [[String: Any]] {
            let pairs = try #require(TokenLabelRows.rows(count: count, tasks: tasks, seed: seed) { $0.minimalEditRow(seed: $1, index: $2) })
            return try MinimalEditLabels.labelled(pairs.enumerated().map { (RowLocation(file: "creditbench", line: $0.offset + 1), $0.element) },
                                                  editedColumn: TokenLabelRows.editedColumn, tokenizer: tokenizer)
        }
        let train = try labelled(Self.trainCount, seed: 1), heldOut = try labelled(48, seed: 99)
        let pairs = try heldOut.map { r in
            let bad = try #require(r["rejected"] as? String), good = try #require(r["chosen"] as? String)
            let first = zip(bad.unicodeScalars, good.unicodeScalars).prefix { $0 == $1 }.count
            return (prompt: try #require(r["prompt"] as? String), good: good, bad: bad, firstError: min(first, bad.unicodeScalars.count - 1))
        }
        let (before, after) = try Self.trainAndMeasure(kind: "minimal-edit", train: train, pairs: pairs, score: .sum)
        #expect(after.pairAccuracy >= 0.85 && before.pairAccuracy < 0.85, "pair accuracy \(before.pairAccuracy) → \(after.pairAccuracy)")
    }

    /// The completion's token ids as training encodes the pair (prompt and completion together, no EOS).
    static func completionIDs(_ prompt: String, _ completion: String, encoder: DatasetEncoder) throws -> [Int] {
        let pair = try encoder.encodePreference(.preference(prompt: .text(prompt), chosen: .text(completion), rejected: .text(completion),
                                                            margin: nil, annotations: TokenAnnotations()), at: RowLocation(file: "tvm", line: 1))
        return Array(pair.chosen.ids[pair.chosen.promptLength...])
    }

    /// TVM rows: per problem, 8 rollouts — 3 correct completions and 5 injected errors (each from its
    /// own random stream, duplicates kept as sampling would) — their value targets (ValueTargets'
    /// prefix trie), written two by two as `tokenalign value-targets` does.
    static func valueRows(problems: Int, seed: UInt64, tokenizer: Tokenizer) throws -> [[String: Any]] {
        var options = EncodingOptions()
        options.appendEOS = false
        let encoder = DatasetEncoder(tokenizer: tokenizer, options: options)
        var rows: [[String: Any]] = []
        for i in 0 ..< problems {
            let ex = task.example(seed: seed, index: i)
            var texts = Array(repeating: ex.completion, count: 3)
            for k in 0 ..< 5 {
                var rng = CreditRNG(seed: seed ^ 0x7F4A, stream: UInt64(i * 8 + k))
                texts.append(task.injectError(into: ex, using: &rng).response)
            }
            let paths = try texts.map { try completionIDs(ex.prompt, $0, encoder: encoder) }
            let targets = ValueTargets.targets(paths: paths, correct: texts.map { task.verify($0, for: ex).isCorrect })
            for k in stride(from: 0, to: texts.count, by: 2) {
                rows.append(["prompt": ex.prompt, "chosen": texts[k], "rejected": texts[k + 1],
                             "chosen_token_rewards": targets[k].map(Double.init), "rejected_token_rewards": targets[k + 1].map(Double.init)])
            }
        }
        return rows
    }

    @Test func valueLearnsToRankByTheLastTokensValue() throws {
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: try AdvantageCreditTests.tinyModel()))
        let train = try Self.valueRows(problems: Self.trainCount / 2, seed: 1, tokenizer: tokenizer)
        let pairs = (0 ..< 48).map { i -> HeldOutPair in
            let ex = Self.task.example(seed: 99, index: i)
            let bad = Self.task.injectedError(for: ex, seed: 99, index: i).response
            return (ex.prompt, ex.completion, bad, min(Self.task.verify(bad, for: ex).firstError ?? 0, bad.unicodeScalars.count - 1))
        }
        let (before, after) = try Self.trainAndMeasure(kind: "value", train: train, pairs: pairs, score: .last)
        #expect(after.pairAccuracy >= 0.75 && before.pairAccuracy < 0.75, "pair accuracy \(before.pairAccuracy) → \(after.pairAccuracy)")
    }
}
