import ArgumentParser
import Experiments
import Foundation
import OnlineRL
import Support
import Testing
import Training
import Yams
@testable import TokenAlignCLI

/// For each setting with a flag, a value other than the default written two ways: as the JSON (and
/// so YAML) value of its key, and as the flags that set it.
func settingSamples<Root>(_ table: SettingsTable<Root>, defaults: Root) -> [(key: String, json: String, flags: [String])] {
    table.entries.filter(\.hasFlag).map { e in
        let current = table.text(of: e.key, in: defaults) ?? ""
        let flag = "--" + e.flag
        if e.isSwitch {
            return current == "true" ? (e.key, "false", ["--no-" + e.flag]) : (e.key, "true", [flag])
        }
        let list = e.valueName.hasSuffix(",…")
        let element = list ? String(e.valueName.dropLast(2)) : e.valueName
        let values: [(json: String, text: String)]
        switch element {
        case "int", "uint": values = [("7", "7"), ("9", "9")]
        case "float": values = [("0.375", "0.375"), ("0.625", "0.625")]
        case "string": values = [("\"p\"", "p"), ("\"q,r\"", "q,r")]
        default:  // named choices: one that is not the default
            let choice = element.split(separator: "|").map(String.init).first { $0 != current } ?? ""
            values = [("\"\(choice)\"", choice)]
        }
        guard list else { return (e.key, values[0].json, [flag, values[0].text]) }
        let elements = e.repeatable ? values : values.filter { !$0.text.contains(",") }
        let flags = e.repeatable ? elements.flatMap { [flag, $0.text] } : [flag, elements.map(\.text).joined(separator: ",")]
        return (e.key, "[" + elements.map(\.json).joined(separator: ", ") + "]", flags)
    }
}

/// Every configuration declares each setting once (`SettingsTable`): the table matches the struct's
/// fields, YAML keys and flags set the same field, and unknown names get the nearest one.
@Suite struct ConfigurationSettingsTests {
    @Test func everyFieldIsOneSettingUnderItsKey() {
        #expect(TrainingConfiguration.settings.audit(TrainingConfiguration()).isEmpty, "\(TrainingConfiguration.settings.audit(TrainingConfiguration()))")
        #expect(OnlineRLConfiguration.settings.audit(OnlineRLConfiguration()).isEmpty, "\(OnlineRLConfiguration.settings.audit(OnlineRLConfiguration()))")
        #expect(CreditDemoSettings.settings.audit(CreditDemoSettings()).isEmpty, "\(CreditDemoSettings.settings.audit(CreditDemoSettings()))")
        #expect(RLDemoSettings.settings.audit(RLDemoSettings()).isEmpty, "\(RLDemoSettings.settings.audit(RLDemoSettings()))")
        #expect(SentimentDemoSettings.settings.audit(SentimentDemoSettings()).isEmpty,
                "\(SentimentDemoSettings.settings.audit(SentimentDemoSettings()))")
        #expect(RMDemoSettings.settings.audit(RMDemoSettings()).isEmpty, "\(RMDemoSettings.settings.audit(RMDemoSettings()))")
    }

    /// `sft|reward|dpo`: each setting set in a YAML file and set by its flag (through the command's
    /// own parser) gives the same configuration, different from the default.
    @Test func trainingYAMLAndFlagsAgree() throws {
        let samples = settingSamples(TrainingConfiguration.settings, defaults: TrainingConfiguration())
        #expect(samples.count == TrainingConfiguration.settings.entries.count - 1)  // `task` is the command's
        for s in samples {
            var viaFile = try YAMLDecoder().decode(TrainingConfiguration.self, from: "\(s.key): \(s.json)\n")
            viaFile.task = .preference
            let viaFlags = try TrainingArguments.parse(s.flags).configuration(task: .preference)
            #expect(viaFile == viaFlags, "\(s)")
            #expect(viaFlags != TrainingConfiguration(), "\(s)")
        }
    }

    @Test func onlineRLYAMLAndFlagsAgree() throws {
        let samples = settingSamples(OnlineRLConfiguration.settings, defaults: OnlineRLConfiguration())
        #expect(samples.count == OnlineRLConfiguration.settings.entries.count)
        for s in samples {
            let viaFile = try YAMLDecoder().decode(OnlineRLConfiguration.self, from: "\(s.key): \(s.json)\n")
            var viaFlags = OnlineRLConfiguration()
            try OnlineRLConfiguration.settings.apply(flags: try OnlineRLArguments.parse(s.flags).settingFlags, to: &viaFlags)
            #expect(viaFile == viaFlags, "\(s)")
            #expect(viaFlags != OnlineRLConfiguration(), "\(s)")
        }
    }

    @Test func demoYAMLAndFlagsAgree() throws {
        func check<S: DemoSettings & Equatable>(_ defaults: S) throws {
            for s in settingSamples(S.settings, defaults: defaults) {
                let viaFile = try defaults.overriding(with: try #require(try Yams.load(yaml: "\(s.key): \(s.json)\n") as? [String: Any]), source: "s.yaml")
                var viaFlags = defaults
                try S.settings.apply(flags: s.flags, to: &viaFlags)
                #expect(viaFile == viaFlags, "\(s)")
                #expect(viaFlags != defaults, "\(s)")
            }
        }
        try check(CreditDemoSettings())
        try check(RLDemoSettings())
        try check(SentimentDemoSettings())
        try check(RMDemoSettings())
        // The sentiment steps read the same flags.
        #expect(try SentimentSettingsOptions.parse(["--quick", "--seed", "3", "--betas", "0.2,0.4"]).settings().betas == [0.2, 0.4])
    }

    @Test func unknownKeysAndFlagsNameTheNearest() throws {
        // (Yams wraps what `init(from:)` throws; the message is the table's.)
        #expect(throws: TrainingError.unknownSetting(key: "eval_step", suggestion: "eval_steps")) {
            try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"eval_step": 3}"#.utf8))
        }
        #expect {
            try YAMLDecoder().decode(OnlineRLConfiguration.self, from: "num_generation: 3\n")
        } throws: { "\($0)".contains("unknown setting 'num_generation' (did you mean 'num_generations'?)") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).yaml")
        try "num_generation: 3\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try OnlineRLArguments.parse(["--config", file.path]).configuration(defaults: OnlineRLConfiguration())
            Issue.record("an unknown key must be refused")
        } catch {
            #expect("\(error)" == "\(file.path): unknown setting 'num_generation' (did you mean 'num_generations'?)")
            #expect(ExitCodes.code(for: error) == 64)
        }
        do {
            _ = try TrainingArguments.parse(["--learning-rat", "0.1"])
            Issue.record("an unknown flag must be refused")
        } catch {
            #expect(TrainingArguments.fullMessage(for: error).contains("unknown option '--learning-rat' (did you mean '--learning-rate'?)"))
            #expect(ExitCodes.code(for: error) == 64)
        }
        do {
            _ = try TokenAlignCommand.parseAsRoot(["grpo", "--num-generation", "2"])
            Issue.record("an unknown flag must be refused")
        } catch {
            #expect(TokenAlignCommand.fullMessage(for: error).contains("did you mean '--num-generations'?"))
        }
        do {
            _ = try TokenAlignCommand.parseAsRoot(["dpo", "--beta", "high"])
            Issue.record("a bad value must be refused")
        } catch {
            #expect(TokenAlignCommand.fullMessage(for: error).contains("--beta: 'high' is not a valid value (expected float)"))
            #expect(ExitCodes.code(for: error) == 64)
        }
    }

    /// `config.yaml` files written before the tables (Tests/Fixtures/settings/README.md) decode and
    /// encode again byte for byte: old run folders resume, new ones look the same.
    @Test func runFolderConfigurationsAreByteCompatible() throws {
        let dir = cliFixtures.appendingPathComponent("settings")
        for name in ["dpo-config.yaml", "tgdpo-config.yaml"] {
            let file = dir.appendingPathComponent(name)
            let c = try RunFolder.readConfiguration(file.path)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ta-settings-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: out) }
            try RunFolder.prepare(out, configuration: c)
            #expect(try Data(contentsOf: out.appendingPathComponent("config.yaml")) == Data(contentsOf: file), "\(name)")
        }
        let dpo = try RunFolder.readConfiguration(dir.appendingPathComponent("dpo-config.yaml").path)
        #expect(dpo.lossWeights == [1, 0.5] && dpo.loraTargetModules == ["q_proj", "v_proj"] && !dpo.appendEos && dpo.evalSteps == 3
                && dpo.saveSteps == 5 && dpo.gradientAccumulationSteps == 2 && dpo.precomputeRefLogProbs && dpo.onNonfinite == .skip)
        let text = try String(contentsOf: dir.appendingPathComponent("rloo-config.yaml"), encoding: .utf8)
        let rl = try YAMLDecoder().decode(OnlineRLConfiguration.self, from: text)
        // Settings added after the fixture was written take their defaults and add their own line.
        let addedSince = ["rm_weights", "positive_loss_factor", "negative_loss_factor", "pos_mult_adv", "filter_trajectory", "token_level_rm",
                          "token_level_rm_lr", "token_weight_rescale", "correct_threshold", "incorrect_threshold", "correct_topk_ratio",
                          "incorrect_topk_ratio", "actor_freeze_steps", "constraint_thresholds", "constraint_bounds", "constraint_max",
                          "quark_quantiles", "quark_kl_coef", "quark_kl_direction", "quark_entropy_coef", "quark_controls", "quark_pool_max",
                          "rlmec_imitation_coef"]
        let encoded = try YAMLEncoder().encode(rl).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !addedSince.contains { line.hasPrefix("\($0):") } }.joined(separator: "\n")
        #expect(encoded == text)
        #expect(rl.rmWeights == .f32)
        #expect(rl.estimator == "rloo" && rl.rewards == ["creditbench", "overlong"] && rl.stop == ["x", ","] && rl.dualClip == true
                && rl.maxCompletionLength == 4 && rl.klTarget == 0.5 && rl.gamma == 0.9)
    }

    /// Constrained RLHF's flags that cannot work exit 64 with a message naming the setting.
    @Test func badConstraintFlagsExit64NamingTheSetting() throws {
        let base = ["--model", "m", "--prompts", "p.jsonl", "--reward", "creditbench"]
        for (flags, key) in [(["--constraint", "overlong"], "constraint_thresholds"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--constraint-threshold", "1"], "constraint_thresholds"),
                             (["--constraint-threshold", "0.5"], "constraint_thresholds"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--constraint-bound", "lower",
                               "--constraint-bound", "upper"], "constraint_bounds"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--lagrange-lr", "-1"], "constraint_lr"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--constraint-init", "-1"], "constraint_init"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--lagrange-max", "0"], "constraint_max"),
                             (["--constraint", "overlong", "--constraint-threshold", "0", "--lagrange-init", "2", "--lagrange-max", "1"], "constraint_max")] {
            do {
                _ = try OnlineRLArguments.parse(base + flags).configuration(defaults: OnlineRLConfiguration())
                Issue.record("\(flags) must be refused")
            } catch {
                #expect("\(error)".contains(key), "\(flags): \(error)")
                #expect(ExitCodes.code(for: error) == 64, "\(flags)")
            }
        }
        do {
            _ = try TokenAlignCommand.parseAsRoot(["grpo", "--constraint-bound", "sideways"])
            Issue.record("a bad bound must be refused")
        } catch {
            #expect(TokenAlignCommand.fullMessage(for: error).contains("--constraint-bound"), "\(TokenAlignCommand.fullMessage(for: error))")
            #expect(ExitCodes.code(for: error) == 64)
        }
    }

    /// The old flag spellings still work, and the switches keep their forms.
    @Test func oldFlagSpellingsAndSwitches() throws {
        let c = try TrainingArguments.parse(["--gradient-accumulation", "2", "--lora-targets", "q_proj,v_proj", "--precompute-ref", "--kind", "token",
                                             "--truncate", "--no-append-eos", "--eval-steps", "5"]).configuration(task: .reward)
        #expect(c.gradientAccumulationSteps == 2 && c.loraTargetModules == ["q_proj", "v_proj"] && c.precomputeRefLogProbs)
        #expect(c.rewardKind == "token" && c.truncate && !c.appendEos && c.evalSteps == 5)
        let r = try OnlineRLArguments.parse(["--reward", "a:x,y", "--reward", "b", "--constraint", "overlong:4,3", "--constraint", "regex:a,b",
                                             "--constraint-threshold", "-0.05", "--constraint-threshold", "0.5", "--constraint-bound", "lower",
                                             "--constraint-bound", "upper", "--lagrange-lr", "0.5", "--lagrange-init", "0", "--clip-range-value", "0.3"])
        var rl = OnlineRLConfiguration()
        try OnlineRLConfiguration.settings.apply(flags: r.settingFlags, to: &rl)
        #expect(rl.rewards == ["a:x,y", "b"] && rl.constraints == ["overlong:4,3", "regex:a,b"] && rl.cliprangeValue == 0.3)
        #expect(rl.constraintThresholds == [-0.05, 0.5] && rl.constraintBounds == [.lower, .upper] && rl.constraintLr == 0.5 && rl.constraintInit == 0)
    }

    /// `--help` of every command that takes settings lists each setting's flag and doc.
    @Test func helpListsEverySetting() {
        let training = SFTCommand.helpMessage(columns: 400)
        for e in TrainingConfiguration.settings.entries where e.hasFlag {
            #expect(training.contains("--\(e.flag)") && training.contains(e.doc), "\(e.key)")
        }
        let rloo = RLOOCommand.helpMessage(columns: 400)
        for e in OnlineRLConfiguration.settings.entries { #expect(rloo.contains("--\(e.flag)"), "\(e.key)") }
        #expect(rloo.contains("[estimator; default rloo]"))
        let demo = CreditDemoCommand.helpMessage(columns: 400)
        for e in CreditDemoSettings.settings.entries { #expect(demo.contains("--\(e.flag)"), "\(e.key)") }
    }
}
