// `tokenalign generate`: text generation with streaming output.
import ArgumentParser
import Decoding
import Foundation
import Models
import Tokenizers

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Generate a continuation of a prompt (streamed to standard output).")

    @OptionGroup var model: ModelArguments
    @Option(help: "The prompt text.") var prompt: String
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

    func validate() throws {
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
        guard repetitionPenalty > 0 else { throw ValidationError("--repetition-penalty must be > 0") }
    }

    func run() throws {
        let loaded = try model.load()
        guard let tokenizer = loaded.tokenizer else {
            throw ValidationError("\(model.path) has no tokenizer; pass --tokenizer")
        }
        let text: String
        if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(prompt))
            text = try tokenizer.renderChat(messages, addGenerationPrompt: true)
        } else {
            text = prompt
        }
        let ids = tokenizer.encode(text, addSpecialTokens: !chat)
        guard !ids.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        var params = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                                          minP: minP, repetitionPenalty: repetitionPenalty, stopStrings: stop, seed: seed)
        if let eos = tokenizer.eosTokenID { params.stopTokenIDs.insert(eos) }
        if echo { FileHandle.standardOutput.write(Data(text.utf8)) }
        var printed = ""
        var all: [Int] = []
        let result = Generator.generate(model: loaded.model, prompts: [ids], parameters: params,
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
}
