// `tokenalign eval rm`: reward-model evaluation on a RewardBench-layout JSONL file (RewardBench v1,
// RewardBench 2, RM-Bench scoring; length correlation; optional robustness transformations), for a
// reward-model folder, an ensemble of them (repeat --model), or a DPO policy against its reference
// (--ref). docs/design/rm-eval.md.
import ArgumentParser
import Evaluation
import Experiments
import Foundation
import OnlineRL
import Support

struct EvalRMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Score a reward model (or an ensemble, or a DPO policy with or without its reference) on a RewardBench-layout JSONL benchmark.",
        discussion: """
        Rows: "prompt", "chosen" and "rejected" (a string or a list of strings), "subset" (RM-Bench's "domain" is accepted), \
        optional "id" (RewardBench 2's Ties subset needs ref:K / tied:K). --scoring: \(RMBenchmarks.registry.names.joined(separator: ", ")). \
        Texts are tokenised as `tokenalign reward` trains (prompt + response + EOS) and the head is read at the last \
        non-pad token. With --ref, the score is β·Σ_t (log π − log π_ref) over the response tokens, as RewardBench scores \
        DPO models; with --ref-free sum|avg|norm instead, RewardBench's reference-free scores of the policy alone (Σ_t log π, \
        its mean over the response tokens, or −‖log π‖₂). Several --model folders form an ensemble combined by --ensemble (\(RewardEnsembles.registry.names.joined(separator: ", ")); \
        NAME=λ sets λ). --judge NAME:ARG scores with a language model instead of a reward head: \
        \(LMJudges.usage.keys.sorted().map { LMJudges.usage[$0]! }.joined(separator: ", ")) (the `--reward` functions of the same names).
        """)

    @Option(parsing: .singleValue, help: "A reward-model folder with a head (repeatable: an ensemble), or with --ref the DPO policy.")
    var model: [String] = []
    @Option(help: "The reference model: score --model as a DPO policy by its implicit reward.") var ref: String?
    @Option(help: "Score --model as a DPO policy without a reference, as RewardBench's --ref_free_type does: sum, avg or norm.")
    var refFree: String?
    @Option(help: "Score with a language model instead of a reward head: judge:MODEL[,TEMPLATE_FILE[,YES|NO]], crew:MODEL[,mean|geometric[,MARKER]] or follow-up:MODEL[,FILE].")
    var judge: String?
    @OptionGroup var rmWeights: RewardModelWeightsOption
    @Option(help: "β of the implicit reward (scales the scores; the ranking does not depend on it).") var beta: Double = 1
    @Option(help: "Benchmark JSONL file.") var bench: String
    @Option(help: "Scoring: rb1, rb2 or rm-bench.") var scoring: String = "rb1"
    @Option(help: "How an ensemble combines its members: mean, median, min, mean-std[=λ], uwo[=λ].") var ensemble: String = "mean"
    @Option(help: "A tokenizer (file, folder or .gguf) for models saved without one.") var tokenizer: String?
    @Flag(help: "Also score under each paraphrase-free transformation (whitespace, casing, punctuation, format, answer order) and report the accuracy drops.")
    var robustness = false
    @Option(help: "Write each row's scores here (JSONL).") var out: String?
    @Flag(help: "Print the report as one JSON object as the last line.") var json = false

    func validate() throws {
        if judge != nil {
            guard model.isEmpty, ref == nil else { throw ValidationError("--judge scores with its own model; give no --model or --ref with it") }
        } else {
            guard !model.isEmpty else { throw ValidationError("give at least one --model, or --judge NAME:ARG") }
        }
        guard beta.isFinite, beta > 0 else { throw ValidationError("--beta must be a positive number, got \(beta)") }
        if ref != nil, model.count != 1 { throw ValidationError("--ref scores one --model (the policy); got \(model.count)") }
        if let refFree {
            guard ref == nil, judge == nil else { throw ValidationError("--ref-free scores the policy alone; give no --ref or --judge with it") }
            guard ReferenceFreeScore(rawValue: refFree) != nil else {
                throw ValidationError("--ref-free must be one of \(ReferenceFreeScore.allCases.map(\.rawValue).joined(separator: ", ")), got '\(refFree)'")
            }
            guard model.count == 1 else { throw ValidationError("--ref-free scores one --model (the policy); got \(model.count)") }
        }
    }

    func run() throws {
        let entry = try RMBenchmarks.registry.entry(named: scoring)
        let aggregation = try RewardEnsembles.make(ensemble)
        let tok = try tokenizer.map(loadTokenizer)
        let scorer: any ResponseScorer
        if let judge {
            scorer = try LMJudgeResponseScorer(spec: judge, tokenizer: tok, weights: rmWeights.format)
        } else if ref != nil || refFree != nil {
            scorer = try ImplicitRewardScorer(policy: model[0], reference: ref, beta: beta, referenceFree: refFree.flatMap(ReferenceFreeScore.init) ?? .sum,
                                              tokenizer: tok, weights: rmWeights.format)
        } else {
            // A CLoud folder (`--kind cloud`) writes its critique first; any other folder is read at once.
            let members = try model.map { try CritiqueOutLoudResponseScorer.forFolder($0, tokenizer: tok, weights: rmWeights.format) }
            scorer = members.count == 1 ? members[0] : EnsembleScorer(members: members, aggregation: aggregation)
        }
        let rows = try RMBenchRow.read(bench)
        let (report, scores) = try RMEvaluation.run(rows, scorer: scorer, scoring: entry.scoring, robustness: robustness)
        if let out {
            try writeJSONL(rows.indices.map { i in
                var o: [String: Any] = ["line": rows[i].location.line, "subset": rows[i].subset,
                                        "chosen_scores": scores[i].chosen, "rejected_scores": scores[i].rejected]
                if let id = rows[i].id { o["id"] = id }
                return o
            }, to: out)
        }
        print(RMEvalText.render(report), terminator: "")
        for case let critic as CritiqueOutLoudResponseScorer in [scorer] + ((scorer as? EnsembleScorer)?.members ?? []) {
            let w = critic.work
            print("critiques (\(critic.name)): \(w.generatedTokens) tokens written; forward positions \(w.prefillTokens) prefill + \(w.decodeTokens) decode in \(w.generationCalls) calls, read \(w.readTokens) in \(w.readCalls)")
        }
        if json { try printJSONLine(report) }
    }
}

enum RMEvalText {
    static func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }

    static func render(_ r: RMEvalReport) -> String {
        var t = "\(r.scorer) on \(r.rows) rows (\(r.scoring)); pair accuracy \(f(r.pairAccuracy)) over \(r.pairs) pairs\n"
        if let b = r.rewardBench {
            t += "RewardBench v1: score \(f(b.score))"
            for s in RewardBench.sections.map(\.name) where b.sections[s] != nil { t += ", \(s) \(f(b.sections[s]))" }
            if let p = b.priorSets { t += ", Prior Sets \(f(p))" }
            t += "\n"
            for s in b.subsets.keys.sorted() { t += "  \(s.padding(toLength: 24, withPad: " ", startingAt: 0)) \(f(b.subsets[s]))  (\(b.counts[s] ?? 0) pairs)\n" }
        }
        if let b = r.rewardBench2 {
            t += "RewardBench 2: score \(f(b.score))\n"
            for s in b.subsets.keys.sorted() { t += "  \(s.padding(toLength: 24, withPad: " ", startingAt: 0)) \(f(b.subsets[s]))  (\(b.counts[s] ?? 0) prompts)\n" }
        }
        if let m = r.rmBench {
            t += "RM-Bench" + String(repeating: " ", count: 20) + "hard    normal  easy    avg\n"
            for d in m.keys.sorted() {
                let x = m[d]!
                t += "  \(d.padding(toLength: 24, withPad: " ", startingAt: 0))  \(f(x.hard))  \(f(x.normal))  \(f(x.easy))  \(f(x.average))\n"
            }
        }
        let l = r.length
        t += "length: Spearman ρ(reward, characters) \(f(l.spearman)); chosen longer in \(f(l.chosenLonger)) of pairs; accuracy when chosen longer \(f(l.accuracyChosenLonger)) (\(l.pairsChosenLonger)), shorter \(f(l.accuracyChosenShorter)) (\(l.pairsChosenShorter)); length-balanced \(f(l.balancedAccuracy))\n"
        if let rb = r.robustness {
            t += "robustness (paired): transform         accuracy  drop     lost  gained\n"
            for k in rb.keys.sorted() {
                let d = rb[k]!
                t += "  \(k.padding(toLength: 30, withPad: " ", startingAt: 0)) \(f(d.transformed))  \(f(d.drop))  \(d.lost)  \(d.gained)\n"
            }
        }
        return t
    }
}
