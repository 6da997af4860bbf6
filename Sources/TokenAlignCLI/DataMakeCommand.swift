// `tokenalign data make`: CreditBench task data as TRL-format JSONL, with our annotation fields.
import ArgumentParser
import CreditBench
import Foundation
import Tokenizers

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Make data sets.",
                                                    subcommands: [DataMakeCommand.self, DataPromptsCommand.self, DataSentimentPairsCommand.self, DataRMBenchCommand.self,
                                                                  DataRRMAugmentCommand.self, DataTLDRCommand.self, DataEditLabelsCommand.self, DataCRewPairsCommand.self,
                                                                  DataRewritesCommand.self, DataCritiquesCommand.self])
}

struct DataMakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Write CreditBench task data (seeded) as TRL-format JSONL.",
        discussion: """
        Tasks (prompt → completion; every completion ends with "\\n"):
          add        "123+989=" → "1112\\n"   (--reversed: "123+989r=" → "2111\\n")
          chain      "chain 3*4+5-2=" → "3*4=12;12+5=17;17-2=15\\n"
          sort       "sort 38,5,12,7=" → "5,7,12,38\\n"
          cipher     "cipher bo kale=" → "vesi mo\\n"   (seeded word lexicon)
          forbidden  "forbidden ka: moka tre=" → "mo** tre\\n"
          count      "count 8 letters 3 vowels=" → e.g. "bakotrim\\n"
        Character offsets are Unicode scalars of the response.

        Rows by --kind (every row also has "task"):
          sft         {"prompt", "completion", "is_correct", "error_kind"?}
                      --error-rate p: a fraction p of completions are wrong
          preference  {"prompt", "chosen", "rejected", "rejected_error_kind",
                       "rejected_first_error_char",
                       "rejected_error_spans":
                         [{"start", "end", "severity": "minor"|"major"}],
                       "rejected_correction": {"start", "end", "replacement"}}
                      with --tokenizer also "rejected_first_error_token"
                      (index among the rejected response's tokens, tokenised
                      after the prompt; = token count when text is missing
                      at the end) and "rejected_token_labels" (per response
                      token: 0 before the first error, 1 at it, 2 after)
          prompts     {"prompt", "answer"} (count: one of many answers), and
                      "task_knobs" ({"digits": 2, "reversed": true}, …) when
                      a knob is set, so `--reward creditbench` rebuilds the
                      same task
          stepwise    chain only, TRL stepwise: {"prompt", "completions":
                      [steps], "labels": [bool]}; a step is true if it and
                      all steps before it are the true steps
                      (--error-rate defaults to 0.5 here)
        """
    )

    typealias Kind = CreditRowKind

    @Option(help: "Task: \(CreditTaskName.allCases.map(\.rawValue).joined(separator: "|")).") var task: String
    @Option(help: "Number of rows.") var n: Int
    @Option(help: "Seed: the same seed and knobs give the same rows.") var seed: UInt64 = 0
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Row kind: sft|preference|prompts|stepwise.") var kind: Kind = .sft
    @Option(help: "Tokenizer (tokenizer.json, model folder or .gguf) for token-level annotations.") var tokenizer: String?
    @Option(help: "Fraction of sft/stepwise rows whose completion has an injected error.") var errorRate: Double?

    @Option(help: "add: most digits per operand (default 3).") var digits: Int?
    @Option(help: "add: fewest digits per operand (default: --digits).") var minDigits: Int?
    @Flag(help: "add: write the sum least-significant digit first (prompt ends \"r=\").") var reversed = false
    @Option(help: "chain: operations (default 3).") var steps: Int?
    @Option(help: "chain: largest operand (default 9).") var maxOperand: Int?
    @Option(help: "chain: largest intermediate value (default 999); sort: largest element (default 99).") var maxValue: Int?
    @Option(help: "sort: elements (5); cipher, forbidden: words (4); count: letters (8).") var length: Int?
    @Option(help: "cipher: lexicon entries (default 24).") var vocabulary: Int?
    @Option(help: "cipher: lexicon seed (default 7).") var lexiconSeed: UInt64?
    @Option(help: "forbidden: length of the forbidden substring (default 2).") var substringLength: Int?

    var knobs: TaskKnobs {
        var k = TaskKnobs()
        k.digits = digits; k.minDigits = minDigits; k.reversed = reversed
        k.steps = steps; k.maxOperand = maxOperand; k.maxValue = maxValue
        k.length = length; k.vocabulary = vocabulary; k.lexiconSeed = lexiconSeed; k.substringLength = substringLength
        return k
    }

    func validate() throws {
        guard let name = CreditTaskName(rawValue: task) else { throw ValidationError(CreditBenchError.unknownTask(task).description) }
        guard n >= 1 else { throw ValidationError("--n must be ≥ 1") }
        if let errorRate, !(0 ... 1).contains(errorRate) { throw ValidationError("--error-rate must be in [0, 1]") }
        if kind == .stepwise && name != .chain { throw ValidationError("--kind stepwise needs --task chain") }
        do { _ = try name.task(knobs) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        guard let name = CreditTaskName(rawValue: task) else { throw ValidationError(CreditBenchError.unknownTask(task).description) }
        let creditTask: any CreditTask
        do { creditTask = try name.task(knobs) } catch { throw ValidationError(error.description) }
        let tok = try tokenizer.map(loadTokenizer)
        let rows = creditTask.rows(kind: kind, count: n, seed: seed, knobs: knobs, errorRate: errorRate, tokenizer: tok)
        try writeJSONL(rows, to: out)
    }
}

extension CreditRowKind: ExpressibleByArgument {}
