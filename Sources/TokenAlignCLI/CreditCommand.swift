// `tokenalign credit`: per-token credit from any loadable credit source for any responses, with a
// heatmap page; `tokenalign eval credit`: a source scored against first-error annotations
// (ProcessBench's layout or character spans) with AUROC, top-1 and ProcessBench's F1
// (docs/design/credit-eval.md).
import ArgumentParser
import Datasets
import Evaluation
import Experiments
import Foundation
import Reports
import Rewards
import Tokenizers

/// The source spec and tokenizer both commands take.
struct CreditSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The credit source, NAME[:ARGS].", discussion: "One of: \(CreditSources.loadableNames.joined(separator: ", ")). Models are folders or .gguf files."))
    var source: String
    @Option(help: "The tokenizer of the responses (a tokenizer.json, a model folder or a .gguf); every model the source loads must share it.")
    var tokenizer: String
    @Flag(help: "Add the tokenizer's special tokens (e.g. BOS) to each prompt.") var addSpecialTokens = false
    @Option(help: "Seed (the random source, bootstrap intervals).") var seed: UInt64 = 0

    func load() throws -> (any TokenRewardSource, Tokenizer) {
        let tok = try loadTokenizer(tokenizer)
        return (try CreditSources.load(spec: source, loader: CreditSourceLoader(tokenizer: tok, seed: seed)), tok)
    }
}

struct CreditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "Per-token credit from a credit source for responses (JSONL), with an optional heatmap page.",
        discussion: """
        Each --data row holds a prompt and a response as text ("prompt" and "response" or "completion") or as ids \
        ("prompt_ids", "response_ids"). Each --out row: line, id, source, ids, tokens, rewards (one per response \
        token, higher is better) and sequence_reward.
        """)

    @OptionGroup var options: CreditSourceOptions
    @Option(help: "Responses JSONL.") var data: String
    @Option(help: "Output JSONL, one row per response.") var out: String
    @Option(help: "Also write a page of token heatmaps (the first --heatmaps responses).") var html: String?
    @Option(help: "Responses shown in --html.") var heatmaps: Int = 50

    func validate() throws {
        guard heatmaps > 0 else { throw ValidationError("--heatmaps must be positive") }
    }

    func run() throws {
        let (source, tok) = try options.load()
        let rows = try ResponseRows.read(data, tokenizer: tok, addSpecialTokens: options.addSpecialTokens)
        let scored = source.tokenRewards(rows.map { Episode(prompt: $0.promptIDs, response: $0.responseIDs) })
        let tokens = rows.map { r in r.responseIDs.map { tok.isSpecialToken($0) ? (tok.idToToken($0) ?? "⟨\($0)⟩") : tok.decode([$0]) } }
        var objects: [[String: Any]] = []
        for (k, (r, s)) in zip(rows, scored).enumerated() {
            var o: [String: Any] = ["line": r.location.line, "source": source.name, "ids": r.responseIDs, "tokens": tokens[k],
                                    "rewards": s.values.map { Double($0) }]
            if let id = r.id { o["id"] = id }
            o["sequence_reward"] = s.sequenceReward.map { Double($0) as Any } ?? NSNull()
            objects.append(o)
        }
        try JSONLWriter.encode(objects, file: out).write(to: URL(fileURLWithPath: out), options: .atomic)
        if let html {
            var report = Report(title: "Token credit: \(source.name) on \(data)")
            report.add(.paragraph("Red: blamed (low reward); green: credited. Colours are scaled per response."))
            report.add(.heatmaps(zip(rows, scored).prefix(heatmaps).enumerated().map { k, rs in
                TokenHeatmap(title: "\(data):\(rs.0.location.line)" + (rs.0.id.map { " (\($0))" } ?? ""), tokens: tokens[k], rewards: rs.1.values)
            }))
            try Data(report.html().utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
        }
        print("\(rows.count) responses scored by \(source.name) → \(out)" + (html.map { ", heatmaps → \($0)" } ?? ""))
    }
}

struct EvalCreditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "Score a credit source against first-error annotations: AUROC, top-1 and ProcessBench's F1.",
        discussion: """
        --data rows use ProcessBench's layout ("problem", "steps", "label" = first wrong step or -1) or a span \
        layout ("prompt", "response", "first_error_char" = code-point index of the first wrong character, -1 or \
        null when right); both may carry "subset" and "id". A step's score is the min (or mean, or last) of its \
        tokens' rewards; ProcessBench's prediction is the first step scoring below --threshold. Without \
        --threshold only the oracle threshold (fitted on these rows: an optimistic ceiling) is reported.
        """)

    @OptionGroup var options: CreditSourceOptions
    @Option(help: "Annotated responses JSONL.") var data: String
    @Option(help: "ProcessBench's threshold: a step scoring below it is predicted wrong (negative values: --threshold=-0.5).") var threshold: Float?
    @Option(help: "A step's score from its tokens: min, mean or last.") var stepScore: StepReduction = .min
    @Option(help: "Bootstrap resamples for the intervals.") var resamples: Int = 1000
    @Option(help: "Per-response scores and predictions (JSONL).") var out: String?
    @Flag(help: "Print the report as one JSON object as the last line.") var json = false

    func validate() throws {
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        guard resamples >= 0 else { throw ValidationError("--resamples must be ≥ 0") }
    }

    func run() throws {
        let (source, tok) = try options.load()
        let annotations = try CreditAnnotations.read(data, tokenizer: tok, addSpecialTokens: options.addSpecialTokens)
        let (report, rows) = CreditEvaluation.run(source: source, annotations: annotations, threshold: threshold,
                                                  reduction: stepScore, resamples: resamples, seed: options.seed)
        if let out {
            let objects: [[String: Any]] = rows.map { r in
                var o: [String: Any] = ["line": r.line, "subset": r.subset, "label": r.label, "prediction": r.prediction,
                                        "step_scores": r.stepScores.map { Double($0) }, "rewards": r.tokenRewards.map { Double($0) }]
                if let id = r.id { o["id"] = id }
                return o
            }
            try JSONLWriter.encode(objects, file: out).write(to: URL(fileURLWithPath: out), options: .atomic)
        }
        print(Self.text(report))
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try e.encode(report), as: UTF8.self))
        }
    }

    static func text(_ r: CreditEvaluationReport) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f", $0 * 100) } ?? "–" }
        var s = "\(r.source): \(r.responses) responses, \(r.erroneous) with an error (step score: \(r.stepReduction.rawValue))\n"
        s += "  token AUROC \(r.tokenAUROC)  top-1 \(r.tokenTop1)\n"
        if let a = r.stepAUROC, let t = r.stepTop1 { s += "  step  AUROC \(a)  top-1 \(t)\n" }
        func pb(_ name: String, _ p: ProcessBenchScore) -> String {
            var out = "  ProcessBench \(name): mean F1 \(pct(p.meanF1))\n"
            for x in p.subsets {
                out += "    \(x.subset): error acc \(pct(x.errorAccuracy)) (\(x.erroneous)), correct acc \(pct(x.correctAccuracy)) (\(x.correct)), F1 \(pct(x.f1))\n"
            }
            return out
        }
        if let t = r.threshold, let p = r.processBench { s += pb("at threshold \(t)", p) }
        s += pb("at the oracle threshold \(r.oracleThreshold) (fitted on these rows: optimistic)", r.oracleProcessBench)
        return s.trimmingCharacters(in: .newlines)
    }
}

extension StepReduction: ExpressibleByArgument {}
