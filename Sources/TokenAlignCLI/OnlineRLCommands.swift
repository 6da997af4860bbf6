// `tokenalign grpo` and `tokenalign rloo`: online RL with registered advantage estimators, policy
// losses and reward functions (TRL's `GRPOTrainer` / `RLOOTrainer` with verl's estimator and loss
// names). `tokenalign advantages`: an estimator on stored rollouts, to inspect credit without
// training.
import ArgumentParser
import Checkpoints
import Foundation
import Models
import Objectives
import OnlineRL
import Support
import Training
import Yams

struct OnlineRLArguments: ParsableArguments {
    @Option(help: "YAML settings (snake_case keys; flags override them).") var config: String?
    @Option(help: "Resume from a checkpoint folder, or `latest` in --out.") var resume: String?
    @Flag(help: "Print every step's metrics as one JSON line.") var json = false
    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false
    @Option(help: "Tokenizer (tokenizer.json, a model folder or a .gguf), if the model has none.") var tokenizer: String?
    /// Every setting of `OnlineRLConfiguration.settings` as `--kebab-case value`, parsed against the
    /// table (unknown flags name the nearest one; the command's help lists them all).
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Settings as --flag value (listed below; the same as the snake_case keys of --config).",
                                                          valueName: "setting"))
    var settingFlags: [String] = []

    func validate() throws { try OnlineRLConfiguration.settings.checkFlags(settingFlags, on: OnlineRLConfiguration()) }

    /// The command's defaults, then the settings file's keys, then the flags; validated once.
    func configuration(defaults: OnlineRLConfiguration) throws -> OnlineRLConfiguration {
        var c = defaults
        if let path = config { try Self.overlay(file: path, on: &c) }
        try OnlineRLConfiguration.settings.apply(flags: settingFlags, to: &c)
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }

    /// Lays the keys a settings file sets over `c` (the others keep their values).
    static func overlay(file path: String, on c: inout OnlineRLConfiguration) throws {
        let text = try YAMLBounds.read(path)  // size and nesting bounded before Yams parses it
        do {
            let file = try YAMLDecoder().decode(OnlineRLConfiguration.self, from: text)
            let keys = try YAMLDecoder().decode(SettingKeysPresent.self, from: text).keys
            OnlineRLConfiguration.settings.overlay(file, keys: keys, on: &c)
        } catch let e as SettingError { throw SettingsError("\(path): \(e)") } catch {
            if let e = (error as? DecodingError).flatMap(\.underlyingSettingError) { throw SettingsError("\(path): \(e)") }
            throw ValidationError("\(path): \(error)")
        }
    }

    /// The settings part of an online-RL command's `--help`, with that command's defaults.
    static func settingsHelp(defaults: OnlineRLConfiguration) -> String {
        "Settings (flag, then its doc, [config key; default; requirement]); --config FILE sets any of them by key, and flags override the file:\n"
            + OnlineRLConfiguration.settings.help(defaults: defaults)
    }

    /// Trains from the command's defaults, writing the run folder; prints progress (or JSON lines).
    func run(preset defaults: OnlineRLConfiguration, label: String) throws {
        if allowLarge { ModelMemory.allowLarge = true }
        let c = try configuration(defaults: defaults)
        // Setting up reports settings that cannot work (reward names and arguments, estimator,
        // vocabularies, LoRA targets) as RewardError: a usage error here (exit code 64); the same
        // type thrown while training (a non-finite reward or loss) exits 1.
        let prepared: (trainer: OnlineRLTrainer, pretrained: PretrainedModel)
        do { prepared = try OnlineRLSetup.prepare(c, tokenizer: try tokenizer.map { try loadTokenizer($0) }) } catch let e as RewardError { throw SettingsError(e.description) }
        let (trainer, pretrained) = prepared
        // Under mpirun every rank trains; rank 0 alone writes the run folder and prints.
        let lead = trainer.communicator.rank == 0
        let lock = try lead ? trainer.outputDirectory.map(RunLock.acquire) : nil
        defer { lock?.release() }
        StopSignals.install()
        if lead, let dir = trainer.outputDirectory {
            try Data(try YAMLEncoder().encode(c).utf8).write(to: dir.appendingPathComponent("config.yaml"), options: .atomic)
        }
        if let r = resume {
            let url = r == "latest" ? trainer.outputDirectory.flatMap { Trainer.latestCheckpoint(in: $0) } : URL(fileURLWithPath: r)
            guard let url else { throw TrainingError.checkpoint(path: c.out, reason: "--resume latest: no checkpoint-<step> folder here") }
            try trainer.resume(from: url)
        }
        let bar = ProgressLine(label: label)
        try trainer.run { event in
            guard lead else { return .continue }
            switch event {
            case .step(let s, let total, let m):
                if json { print((try? TrainingDriver.jsonLine(m)) ?? "{}") } else { bar.update(s, of: total) }
            case .evaluation(_, let m):
                if json { print((try? TrainingDriver.jsonLine(m)) ?? "{}") }
            case .checkpoint: break
            }
            return .continue
        }
        bar.finish()
        if lead, let dir = trainer.outputDirectory {
            try trainer.saveCheckpoint(in: dir)
            var p = pretrained
            p.tokenizer = trainer.tokenizer
            if c.loraRank != nil { LoRA.fuse(trainer.policy) }
            try p.save(to: dir.appendingPathComponent("model"))
            if let head = trainer.valueHead {
                // The critic beside the policy (PPO), for inspection or continued training.
                try SafeTensors.write(head.stateDict(), to: dir.appendingPathComponent("model/value_head.safetensors"))
            }
        }
    }
}

/// `grpo`, `rloo` and `ppo`: one loop and one settings table, with different defaults (the
/// command's preset, which its `--help` shows).
extension OnlineRLArguments: TrainingRunArguments {
    static func discussion(about: String, preset: OnlineRLConfiguration) -> String {
        about + "\n\n" + settingsHelp(defaults: preset)
    }
}

struct GRPOCommand: TrainingRunCommand {
    static let name = "grpo"
    static let abstract = "Online RL with group-relative advantages (GRPO, Dr. GRPO, REINFORCE++…) and per-token rewards."
    static let about = "Defaults: estimator grpo, policy loss ppo (clip 0.2), 4 generations per prompt, β 0 (no reference pass). `tokenalign methods` lists every estimator, loss and reward function with its paper."
    static var preset: OnlineRLConfiguration { OnlineRLConfiguration() }
    @OptionGroup var arguments: OnlineRLArguments
}

struct RLOOCommand: TrainingRunCommand {
    static let name = "rloo"
    static let abstract = "REINFORCE with a leave-one-out baseline (RLOO): `grpo` with --estimator rloo."
    static let about = "TRL's RLOOTrainer defaults: 2 generations per prompt. The policy loss is the token-level PPO clip on the RLOO advantage (verl's rloo)."
    static var preset: OnlineRLConfiguration {
        var d = OnlineRLConfiguration()
        d.estimator = "rloo"
        d.numGenerations = 2
        return d
    }
    @OptionGroup var arguments: OnlineRLArguments
}

struct PPOCommand: TrainingRunCommand {
    static let name = "ppo"
    static let abstract = "PPO with per-token rewards: GAE over a value head on the policy's trunk, KL in the reward."
    static let about = "`grpo` with --estimator gae. Defaults follow TRL's PPO: kl_coef 0.05 (k1, in the reward), 4 optimisation epochs per rollout batch, clip 0.2, value clip 0.2, vf_coef 0.1, γ 1, λ 0.95, whitened advantages, one completion per prompt."
    static var preset: OnlineRLConfiguration {
        var d = OnlineRLConfiguration()
        d.estimator = "gae"
        d.numGenerations = 1
        d.promptsPerStep = 16
        d.klCoef = 0.05
        d.numIterations = 4
        return d
    }
    @OptionGroup var arguments: OnlineRLArguments
}

extension DecodingError {
    /// A settings-table error a decoder wrapped (Yams reports what `init(from:)` throws this way).
    var underlyingSettingError: SettingError? {
        if case .dataCorrupted(let c) = self { return c.underlyingError as? SettingError }
        return nil
    }
}
