// The sentiment experiment's step commands without downloads: `generate --prompts` on the tiny
// GPT-2 fixture, and `data sentiment-pairs` with the committed lexicon excerpt. (The whole chain
// on SmolLM2, matched against the demo, is in ExperimentsTests.)
import ArgumentParser
import Datasets
import Foundation
import Testing
@testable import TokenAlignCLI

@Suite(.serialized) struct SentimentStepCommandTests {
    /// A settings file pointing at the committed lexicon excerpt and no profanity list.
    func settingsFile(in dir: URL) throws -> String {
        let lexicon = cliFixtures.appendingPathComponent("rewards/vader_lexicon_excerpt.txt").path
        let url = dir.appendingPathComponent("s.json")
        try JSONSerialization.data(withJSONObject: ["lexicon": lexicon, "profanity": NSNull(), "minimum_margin": 0.05]).write(to: url)
        return url.path
    }

    @Test("generate --prompts: num-samples rows per prompt, grouped in file order, seeded")
    func generatePrompts() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data("{\"prompt\": \"the quick brown\"}\n\n{\"prompt\": \"tokens are\"}\n".utf8).write(to: prompts)
        func sample(_ out: String, batch: Int) throws -> [[String: Any]] {
            try run(["generate", "--model", dir.path, "--prompts", prompts.path, "--num-samples", "3", "--temperature", "1",
                     "--max-new-tokens", "5", "--seed", "7", "--batch-size", "\(batch)", "--out", dir.appendingPathComponent(out).path])
            return try JSONLReader.read(dir.appendingPathComponent(out).path).map(\.object)
        }
        let rows = try sample("a.jsonl", batch: 4)
        #expect(rows.count == 6)
        #expect(rows.map { $0["prompt"] as? String } == ["the quick brown", "the quick brown", "the quick brown", "tokens are", "tokens are", "tokens are"])
        #expect(rows.map { $0["sample"] as? Int } == [0, 1, 2, 0, 1, 2])
        #expect(rows.allSatisfy { ($0["completion_tokens"] as? Int).map { (1 ... 5).contains($0) } ?? false })
        let again = try sample("b.jsonl", batch: 4)
        #expect(again.map { $0["completion"] as? String } == rows.map { $0["completion"] as? String }, "same seed and batch size, same samples")
    }

    @Test("generate --prompts: conversational prompts use the chat template and get assistant-message completions")
    func generateConversational() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        try Data(template.utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data("""
            {"prompt": [{"role": "user", "content": "the quick brown"}]}
            {"prompt": "tokens are"}

            """.utf8).write(to: prompts)
        let out = dir.appendingPathComponent("o.jsonl").path
        try run(["generate", "--model", dir.path, "--prompts", prompts.path, "--num-samples", "2", "--temperature", "1",
                 "--max-new-tokens", "4", "--out", out])
        let rows = try JSONLReader.read(out).map(\.object)
        #expect(rows.count == 4)
        let chat = try #require(rows[0]["completion"] as? [[String: Any]])
        #expect(chat.count == 1 && chat[0]["role"] as? String == "assistant" && chat[0]["content"] is String)
        #expect((rows[0]["prompt"] as? [[String: Any]])?.first?["content"] as? String == "the quick brown", "the prompt is kept as given")
        #expect(rows[2]["completion"] is String && rows[2]["prompt"] as? String == "tokens are")

        try Data("{\"prompt\": \"ok\"}\n{\"prompt\": [{\"role\": \"robot\", \"content\": \"x\"}]}\n".utf8).write(to: prompts)
        #expect {
            try run(["generate", "--model", dir.path, "--prompts", prompts.path, "--out", out])
        } throws: { "\($0)".contains("p.jsonl:2") && "\($0)".contains("prompt[0].role") }
    }

    @Test("generate: --prompt xor --prompts, --prompts needs --out")
    func generateValidation() {
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["generate", "--model", "m"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["generate", "--model", "m", "--prompt", "a", "--prompts", "p"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["generate", "--model", "m", "--prompts", "p"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["generate", "--model", "m", "--prompt", "a", "--out", "o"]) }
        #expect(throws: (any Error).self) {
            try TokenAlignCommand.parseAsRoot(["generate", "--model", "m", "--prompts", "p", "--out", "o", "--num-samples", "0"])
        }
    }

    @Test("data sentiment-pairs: best vs worst per prompt with a margin, token rewards per completion token, held-out tenth")
    func sentimentPairs() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = try settingsFile(in: dir)
        let samples = dir.appendingPathComponent("samples.jsonl")
        var lines: [String] = []
        for i in 0 ..< 12 {
            lines.append("{\"prompt\": \"prompt \(i) is\", \"completion\": \" a good and lovely day\"}")
            lines.append("{\"prompt\": \"prompt \(i) is\", \"completion\": \" a day\"}")
            lines.append("{\"prompt\": \"prompt \(i) is\", \"completion\": \" a bad day\"}")
        }
        lines.append("{\"prompt\": \"tied\", \"completion\": \" a day\"}")
        lines.append("{\"prompt\": \"tied\", \"completion\": \" the day\"}")
        try Data(lines.joined(separator: "\n").utf8).write(to: samples)
        let out = dir.appendingPathComponent("pairs.jsonl").path, held = dir.appendingPathComponent("eval.jsonl").path
        try run(["data", "sentiment-pairs", "--config", cfg, "--samples", samples.path, "--tokenizer", dir.path, "--out", out, "--eval-out", held])
        let train = try JSONLReader.read(out).map(\.object), eval = try JSONLReader.read(held).map(\.object)
        #expect(train.count == 11 && eval.count == 1, "12 pairs (the tied prompt has none), the first tenth held out")
        let first = try #require(eval.first)
        #expect(first["prompt"] as? String == "prompt 0 is")
        #expect(first["chosen"] as? String == " a good and lovely day" && first["rejected"] as? String == " a bad day")
        let chosen = try #require(first["chosen_token_rewards"] as? [Double]), rejected = try #require(first["rejected_token_rewards"] as? [Double])
        // good 1.9 + lovely 2.8 and bad −2.5, × the default token scale 0.25.
        #expect(abs(chosen.reduce(0, +) - (1.9 + 2.8) * 0.25) < 1e-6 && abs(rejected.reduce(0, +) - -2.5 * 0.25) < 1e-6)
        // One reward per completion token as the trainers tokenise the row.
        let rows = try DatasetLoader.preferences(out, encoder: DatasetEncoder(tokenizer: try loadTokenizer(dir.path),
                                                                              options: EncodingOptions(appendEOS: false)))
        for ex in rows.examples {
            let r = try #require(ex.chosen.tokenRewards)
            #expect(r.count == ex.chosen.ids.count)
        }
    }

    @Test("data sentiment-pairs: a row without a completion is an error naming file:line")
    func sentimentPairsErrors() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let samples = dir.appendingPathComponent("bad.jsonl")
        try Data("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n".utf8).write(to: samples)
        #expect {
            try run(["data", "sentiment-pairs", "--config", try settingsFile(in: dir), "--samples", samples.path, "--tokenizer", dir.path,
                     "--out", dir.appendingPathComponent("o.jsonl").path])
        } throws: { "\($0)".contains("bad.jsonl:2") && "\($0)".contains("\"completion\"") }
    }
}
