import Foundation
import Testing
@testable import Training

/// One validation path for training settings: `TrainingConfiguration.validate` checks every
/// numeric setting and names the snake_case key and the value; YAML files go through it with the
/// file and line; unknown keys are errors.
@Suite struct SettingsValidationTests {
    /// (the key the error must name, a change that makes the configuration invalid)
    static let invalid: [(key: String, change: @Sendable (inout TrainingConfiguration) -> Void)] = [
        ("learning_rate", { $0.learningRate = .nan }),
        ("learning_rate", { $0.learningRate = .infinity }),
        ("learning_rate", { $0.learningRate = 0 }),
        ("schedule", { $0.schedule = "cosin" }),
        ("warmup_steps", { $0.warmupSteps = -1 }),
        ("weight_decay", { $0.weightDecay = -0.1 }),
        ("weight_decay", { $0.weightDecay = .nan }),
        ("max_grad_norm", { $0.maxGradNorm = .nan }),
        ("max_grad_norm", { $0.maxGradNorm = -1 }),
        ("batch_size", { $0.batchSize = 0 }),
        ("gradient_accumulation_steps", { $0.gradientAccumulationSteps = 0 }),
        ("epochs", { $0.epochs = 0 }),
        ("max_steps", { $0.maxSteps = 0 }),
        ("beta", { $0.beta = 0 }),
        ("beta", { $0.beta = .nan }),
        ("alpha", { $0.alpha = .infinity }),
        ("label_smoothing", { $0.labelSmoothing = 0.5 }),
        ("label_smoothing", { $0.labelSmoothing = -0.1 }),
        ("loss_weights[1]", { $0.lossWeights = [1, .nan] }),
        ("max_length", { $0.maxLength = 1 }),
        ("max_prompt_length", { $0.maxPromptLength = 0 }),
        ("eval_fraction", { $0.evalFraction = 1 }),
        ("eval_fraction", { $0.evalFraction = -0.1 }),
        ("eval_fraction", { $0.evalFraction = .nan }),
        ("lora_rank", { $0.loraRank = 0 }),
        ("lora_alpha", { $0.loraAlpha = 0 }),
        ("lora_dropout", { $0.loraDropout = 1 }),
        ("eval_steps", { $0.evalSteps = 0 }),
        ("save_steps", { $0.saveSteps = 0 }),
        ("logging_steps", { $0.loggingSteps = 0 }),
    ]

    @Test(arguments: 0 ..< invalid.count)
    func validateNamesTheKeyAndTheValue(_ k: Int) throws {
        let (key, change) = Self.invalid[k]
        var c = TrainingConfiguration()
        try c.validate()
        change(&c)
        #expect {
            try c.validate()
        } throws: { error in
            guard case .invalidSetting(let named, _, _) = error as? TrainingError else { return false }
            return named == key && "\(error)".contains(key)
        }
    }

    @Test func boundaryValuesAreAccepted() throws {
        var c = TrainingConfiguration()
        c.evalFraction = 0.99
        c.labelSmoothing = 0.49
        c.loraRank = 1
        c.loraDropout = 0
        c.warmupSteps = 0
        c.maxGradNorm = 0
        c.maxLength = 2
        c.maxPromptLength = 1
        c.maxSteps = 1
        c.saveSteps = 1
        try c.validate()
    }

    /// The flag path: `TrainingSetup.prepare` validates before loading anything (the model path
    /// does not exist, and the error is still the setting's).
    @Test func prepareValidatesBeforeLoading() throws {
        var c = TrainingConfiguration()
        c.model = "/nonexistent/model"
        c.data = "/nonexistent/data.jsonl"
        c.evalFraction = 1
        #expect(throws: TrainingError.invalidSetting(key: "eval_fraction", value: "1.0", requirement: "a number in [0, 1)")) {
            try TrainingSetup.prepare(c)
        }
    }

    func yaml(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// (YAML text, the key the error names, its line)
    static let badFiles: [(text: String, key: String, line: Int)] = [
        ("model: m\ndata: d\neval_fraction: 1\n", "eval_fraction", 3),
        ("lora_rank: 0\n", "lora_rank", 1),
        ("# a comment\nlearning_rate: .nan\n", "learning_rate", 2),
        ("beta: 0.1\nwarmup_steps: -2\n", "warmup_steps", 2),
        ("loss_weights: [1, .inf]\n", "loss_weights", 1),
        ("label_smoothing: 0.5\n", "label_smoothing", 1),
        ("batch_size: two\n", "batch_size", 1),
        ("schedule: cosin\n", "schedule", 1),
    ]

    @Test(arguments: 0 ..< badFiles.count)
    func yamlValuesAreCheckedNamingFileAndLine(_ k: Int) throws {
        let (text, key, line) = Self.badFiles[k]
        let path = try yaml(text)
        #expect {
            try RunFolder.readConfiguration(path)
        } throws: { error in
            guard case .configurationFile(let p, let l, let reason) = error as? TrainingError else { return false }
            return p == path && l == line && reason.contains(key) && "\(error)".hasPrefix("\(path):\(line): ")
        }
    }

    @Test func unknownKeysAreErrorsNamingTheKey() throws {
        let path = try yaml("model: m\nlearning_rat: 0.001\n")
        #expect {
            try RunFolder.readConfiguration(path)
        } throws: { error in
            let s = "\(error)"
            return s.hasPrefix("\(path):2: ") && s.contains("'learning_rat'") && s.contains("'learning_rate'")
        }
        // Decoding alone (without the file) rejects the key too.
        #expect(throws: TrainingError.unknownSetting(key: "epoch", suggestion: "epochs")) {
            try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"epoch": 2}"#.utf8))
        }
    }

    @Test func writtenConfigurationsReadBack() throws {
        var c = TrainingConfiguration()
        c.loraRank = 8
        c.onNonfinite = .skip
        c.lossWeights = [1, 0.5]
        c.loss = ["sigmoid", "ipo"]
        let dir = temporaryDirectory()
        try RunFolder.prepare(dir, configuration: c)
        let back = try RunFolder.readConfiguration(dir.appendingPathComponent("config.yaml").path)
        #expect(back == c)
        #expect(try RunFolder.readConfiguration(try yaml("on_nonfinite: skip\n")).onNonfinite == .skip)
    }

    /// `ref_weights` (the frozen models' storage, docs/design/quantized.md) round-trips and rejects
    /// a value it does not know.
    @Test func referenceWeightStorageIsASetting() throws {
        var c = TrainingConfiguration()
        c.refWeights = .keep
        let dir = temporaryDirectory()
        try RunFolder.prepare(dir, configuration: c)
        #expect(try RunFolder.readConfiguration(dir.appendingPathComponent("config.yaml").path).refWeights == .keep)
        #expect(try RunFolder.readConfiguration(try yaml("ref_weights: q8_0\n")).refWeights == .q8_0)
        #expect(throws: (any Error).self) { try RunFolder.readConfiguration(try yaml("ref_weights: q4_k\n")) }
    }
}

/// Settings files are bounded before the YAML parser sees them: size, nesting, entries, aliases.
@Suite struct YAMLBoundsTests {
    func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Reads the file with `readConfiguration`, expecting a `configurationFile` error naming it, in
    /// well under a second.
    func refused(_ path: String, line: Int?, reason: String) {
        let start = ContinuousClock.now
        #expect {
            try RunFolder.readConfiguration(path)
        } throws: { error in
            guard case .configurationFile(let p, let l, let r) = error as? TrainingError else { return false }
            return p == path && (line == nil || l == line) && r.contains(reason)
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func deepFlowNestingIsRefused() throws {
        refused(try file("loss: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"),
                line: 1, reason: "nested")
    }

    @Test func deepIndentationIsRefused() throws {
        var text = ""
        for d in 0 ..< 1000 { text += String(repeating: " ", count: d) + "k\(d):\n" }  // ~0.5 MB
        refused(try file(text), line: YAMLBounds.maxDepth + 1, reason: "nested")
        // `- - - …` nests on one line.
        refused(try file("guide:\n" + String(repeating: "- ", count: 5000) + "x\n"), line: 2, reason: "nested")
    }

    @Test func largeFilesAndLongListsAreRefused() throws {
        refused(try file("model: " + String(repeating: "m", count: YAMLBounds.maxBytes) + "\n"), line: nil, reason: "larger than")
        refused(try file("guide:\n" + String(repeating: "- g\n", count: 300_000)), line: nil, reason: "larger than")
        refused(try file("guide:\n" + String(repeating: "- g\n", count: 20_000)), line: YAMLBounds.maxEntries + 1, reason: "entries")
        refused(try file("loss_weights: [" + String(repeating: "1,", count: 100_000) + "1]\n"), line: 1, reason: "entries")
    }

    @Test func aliasesAreRefused() throws {
        refused(try file("loss: &l [sigmoid]\nguide: *l\n"), line: 2, reason: "aliases")
    }

    @Test func ordinarySettingsPass() throws {
        let text = """
        # a run
        model: "models/a [b]"   # quotes and brackets in strings, comments
        data: 'it''s {here}.jsonl'
        loss: [sigmoid, ipo]
        loss_weights:
          - 1
          - 0.5
        lora_target_modules: [q_proj, "v_proj"]
        guide:
        - g1
        """
        let path = try file(text)
        let c = try RunFolder.readConfiguration(path)
        #expect(c.model == "models/a [b]" && c.data == "it's {here}.jsonl" && c.lossWeights == [1, 0.5] && c.guide == ["g1"])
        // Nesting up to the bound is fine for the scan.
        var nested = ""
        for d in 0 ..< YAMLBounds.maxDepth { nested += String(repeating: " ", count: 2 * d) + "k\(d):\n" }
        try YAMLBounds.check(nested, file: "x.yaml")
    }
}
