// `tokenalign generate`: text generation with streaming output, or many samples from a JSONL file of
// prompts (batched, seeded per batch; the sentiment demo samples this way).
import ArgumentParser
import Datasets
import Decoding
import Foundation
import Guidance
import Models
import Tokenizers

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Generate a continuation of a prompt (streamed to standard output), or samples for a file of prompts.",
        discussion: """
        With --prompts FILE and --out FILE, every prompt gets --num-samples continuations, generated \
        in left-padded batches of --batch-size rows, batch k seeded with seed + k·0x9E3779B9. A row's \
        "prompt" is a string (--chat wraps it as a user message) or TRL's conversational list of \
        {"role", "content"} messages (rendered with the chat template; its completions are written as \
        [{"role": "assistant", "content": …}]). Output rows: {"prompt", "completion", "sample", \
        "completion_tokens", "finish_reason"}, grouped by prompt in file order. The same seed and \
        batch size give the same samples; `tokenalign demo sentiment` samples its training \
        continuations as --num-samples 4 --temperature 1 --top-k 50 --max-new-tokens 20 \
        --add-special-tokens --batch-size 32 --seed (its seed + 101).

        Reward-guided decoding: --guide NAME:ARG (repeatable) adds a guide's scores to the logits \
        before temperature/top-k/top-p, each with the --weight given in the same position (all 1 when \
        --weight is left out). Guides: \(Guides.registry.entries.map { "\($0.card.name):\($0.argument)" }.joined(separator: "; ")). \
        RAD, ARGS and PAD keep only the base model's --guide-top-k candidates; a weight of 0 turns a guide off.
        """)

    @OptionGroup var model: ModelArguments
    @OptionGroup var weights: WeightsOption
    @OptionGroup var guideWeights: GuideWeightsOption
    @OptionGroup var rmWeights: RewardModelWeightsOption
    @Option(help: "The prompt text.") var prompt: String?
    @Option(help: "A JSONL file of prompts (\"prompt\" field): sample continuations for each into --out.") var prompts: String?
    @Option(help: "With --prompts: output JSONL.") var out: String?
    @Option(help: "With --prompts: continuations per prompt.") var numSamples: Int = 1
    @Option(help: "With --prompts: rows per generation batch (each batch has its own seed).") var batchSize: Int = 32
    @Flag(help: "With --prompts: add the tokenizer's special tokens (e.g. BOS) to each prompt (a single --prompt always does, unless --chat).")
    var addSpecialTokens = false
    @Flag(help: "Wrap the prompt in the model's chat template (as a user message) with the generation prompt.")
    var chat = false
    @Option(help: "System message for --chat.") var system: String?
    @Option(help: "Maximum number of new tokens.") var maxNewTokens: Int = 128
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0
    @Option(help: "Top-k filter (0 disables).") var topK: Int = 0
    @Option(help: "Top-p (nucleus) filter (1 disables).") var topP: Float = 1
    @Option(help: "Min-p filter (0 disables).") var minP: Float = 0
    @Option(help: "Repetition penalty (1 disables).") var repetitionPenalty: Float = 1
    @Option(help: "Stop when the output contains this string (repeatable).") var stop: [String] = []
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
    @Flag(help: "Print the prompt before the continuation.") var echo = false
    @Option(parsing: .singleValue, help: "A decoding guide NAME:ARG (repeatable; `tokenalign methods` lists them).") var guide: [String] = []
    @Option(parsing: .singleValue, help: "The weight of the --guide in the same position (repeatable; default 1 each).") var weight: [Float] = []
    @Option(help: "Candidates per step for RAD / ARGS / PAD (the base model's top k).") var guideTopK: Int = 10
    @OptionGroup var bestOf: BestOfOptions

    func validate() throws {
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
        guard repetitionPenalty > 0 else { throw ValidationError("--repetition-penalty must be > 0") }
        if !weight.isEmpty && weight.count != guide.count {
            throw ValidationError("--weight given \(weight.count) times for \(guide.count) --guide; pair them in order (or leave --weight out for 1 each)")
        }
        if let w = weight.first(where: { !$0.isFinite }) { throw ValidationError("--weight \(w) is not a finite number") }
        guard guideTopK >= 1 else { throw ValidationError("--guide-top-k must be ≥ 1") }
        if bestOf.bestOf != nil && !guide.isEmpty {
            throw ValidationError("--best-of samples from the base model; it does not combine with --guide (use one or the other)")
        }
        switch (prompt, prompts) {
        case (nil, nil): throw ValidationError("pass --prompt TEXT or --prompts FILE")
        case (.some, .some): throw ValidationError("pass either --prompt or --prompts, not both")
        case (.some, nil):
            if out != nil { throw ValidationError("--out goes with --prompts (a single --prompt streams to standard output)") }
        case (nil, .some):
            guard out != nil else { throw ValidationError("--prompts needs --out FILE") }
            guard numSamples > 0 else { throw ValidationError("--num-samples must be positive") }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard !echo else { throw ValidationError("--echo goes with a single --prompt") }
        }
    }

    func run() throws {
        let loaded = try model.load(weights: weights)
        guard let tokenizer = loaded.tokenizer else {
            throw ValidationError("\(model.path) has no tokenizer; pass --tokenizer")
        }
        if bestOf.bestOf != nil { return try runBestOf(loaded, tokenizer: tokenizer) }
        if let prompts, let out {
            try sampleFile(prompts, out: out, model: loaded.model, tokenizer: tokenizer)
            return
        }
        let (text, ids) = try render(.text(prompt ?? ""), tokenizer: tokenizer, addSpecialTokens: true)
        guard !ids.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        let params = parameters(tokenizer)
        let guidance = try guides(model: loaded.model, tokenizer: tokenizer, longestPrompt: ids.count)
        if echo { FileHandle.standardOutput.write(Data(text.utf8)) }
        var printed = ""
        var all: [Int] = []
        let result = Generator.generate(model: loaded.model, prompts: [ids], parameters: params, extraProcessors: guidance,
                                        decode: { tokenizer.decode($0, skipSpecialTokens: true) }) { step in
            guard let t = step[0] else { return true }
            all.append(t)
            // Print the newly completed text (decoding the whole continuation keeps multi-byte
            // characters split across tokens intact).
            let now = tokenizer.decode(all, skipSpecialTokens: true)
            if now.hasPrefix(printed) && !now.hasSuffix("\u{FFFD}") {
                FileHandle.standardOutput.write(Data(now.dropFirst(printed.count).utf8))
                printed = now
            }
            return true
        }[0]
        let final = tokenizer.decode(result.tokens, skipSpecialTokens: true)
        if final.count > printed.count && final.hasPrefix(printed) {
            FileHandle.standardOutput.write(Data(final.dropFirst(printed.count).utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
        FileHandle.standardError.write(Data("[\(result.tokens.count) tokens, finished: \(result.finishReason.rawValue)]\n".utf8))
    }

    /// The guides of --guide / --weight as one logit processor (none without --guide).
    func guides(model: any LanguageModel, tokenizer: Tokenizer, longestPrompt: Int) throws -> [LogitProcessor] {
        guard !guide.isEmpty else { return [] }
        let environment = GuideEnvironment(policy: model, tokenizer: tokenizer, weights: guideWeights.guideWeights)
        let weights = weight.isEmpty ? [Float](repeating: 1, count: guide.count) : weight
        let terms = try zip(guide, weights).map { (guide: try Guides.make($0, environment: environment), weight: $1) }
        let combined = try GuidedLogits(terms: terms, topK: guideTopK, maxNewTokens: maxNewTokens,
                                        padTokenID: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0)
        try combined.check(vocabularySize: model.vocabularySize, longestPrompt: longestPrompt)
        return [combined]
    }

    func parameters(_ tokenizer: Tokenizer) -> GenerationParameters {
        var params = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                                          minP: minP, repetitionPenalty: repetitionPenalty, stopStrings: stop, seed: seed)
        if let eos = tokenizer.eosTokenID { params.stopTokenIDs.insert(eos) }
        params.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        return params
    }

    /// A prompt's text and ids (`Turns.render`, with this command's --chat and --system).
    func render(_ turns: Turns, tokenizer: Tokenizer, addSpecialTokens: Bool) throws -> (text: String, ids: [Int]) {
        try turns.render(tokenizer: tokenizer, chat: chat, system: system, addSpecialTokens: addSpecialTokens)
    }

    /// `--prompts FILE --out FILE`: `numSamples` continuations per prompt, batched. A prompt is
    /// TRL's standard (a string) or conversational (a list of messages, rendered with the chat
    /// template and a generation prompt; its completions are written as assistant messages).
    func sampleFile(_ path: String, out: String, model: any LanguageModel, tokenizer: Tokenizer) throws {
        let input = try JSONLReader.read(path)
        var ids: [[Int]] = [], conversational: [Bool] = []
        for row in input {
            let turns: Turns
            turns = try Turns.decode(row.object["prompt"], field: "prompt", at: row.location)
            ids.append(try render(turns, tokenizer: tokenizer, addSpecialTokens: addSpecialTokens).ids)
            conversational.append(turns.isConversational)
            guard ids.last?.isEmpty == false else { throw InputDataError("\(row.location): the prompt encodes to no tokens") }
        }
        guard !ids.isEmpty else { throw InputDataError("\(path): no prompts") }
        model.eval()
        let guidance = try guides(model: model, tokenizer: tokenizer, longestPrompt: ids.map(\.count).max() ?? 0)
        let bar = ProgressLine(label: "generate")
        let results = BatchedGeneration.generateText(model: model, tokenizer: tokenizer, prompts: ids, count: numSamples,
                                                     parameters: parameters(tokenizer), seed: seed, batchSize: batchSize,
                                                     stopToken: tokenizer.eosTokenID, skipSpecialTokens: true,
                                                     extraProcessors: guidance) { bar.update($0, of: $1) }
        bar.finish()
        var rows: [[String: Any]] = []
        for ((row, isChat), samples) in zip(zip(input, conversational), results) {
            for (j, r) in samples.enumerated() {
                let completion: Any = isChat ? [["role": "assistant", "content": r.text]] : r.text
                rows.append(["prompt": row.object["prompt"] ?? "", "completion": completion,
                             "sample": j, "completion_tokens": r.ids.count, "finish_reason": r.finishReason.rawValue])
            }
        }
        try writeJSONL(rows, to: out)
        FileHandle.standardError.write(Data("\(rows.count) continuations of \(ids.count) prompts written to \(out)\n".utf8))
    }
}
