// Every setting of `tokenalign demo` (credit), declared once: key (`settings.json` key, YAML key of
// --config; `--kebab-case` flag), doc (the help text), field, rule.
import CreditBench
import Support

extension CreditDemoSettings {
    /// The table the settings file, the flags, `--help` and `validate()` read.
    public static var settings: SettingsTable<CreditDemoSettings> {
        typealias S = Setting<CreditDemoSettings>
        return SettingsTable([
            S("task", \.task, "CreditBench task (`sort` by default: a tiny model learns it to ~90% greedy accuracy in minutes, and its answers are long enough for first errors to fall at many positions).",
              rule: .oneOf(CreditTaskName.allCases.map(\.rawValue))),
            S("length", \.length, "sort: elements per list; cipher, forbidden: words; count: letters (default: the task's)."),
            S("max_value", \.maxValue, "sort: largest element; chain: largest intermediate value (default: the task's)."),
            S("digits", \.digits, "add: most digits per operand."),
            S("min_digits", \.minDigits, "add: fewest digits per operand."),
            S("reversed", \.reversed, "add: sum written least-significant digit first (learnable left to right by a tiny model)."),
            S("regime", \.regime, "How the SFT demonstrations go wrong (docs/design/rewards.md §3.6): injected (a share error_rate carry a random slip, which the SFT model finds unlikely), systematic (a share systematic_share follow the task's systematic bug, which the SFT model then makes confidently) or sampled (every demonstration is right; the wrong samples are the SFT model's own errors).",
              rule: .oneOf(regimes)),
            S("error_rate", \.errorRate, "Fraction of SFT demonstrations with an injected error (injected regime).", rule: .within(0, 1)),
            S("systematic_share", \.systematicShare, "Fraction of the demonstrations admitting the bug that follow it (systematic regime).", rule: .within(0, 1)),
            S("localisation_set", \.localisationSet, "Which held-out wrong samples credit sources localise on: paired (the rejected side of held-out pairs), all-wrong (one wrong sample of every held-out prompt that gave any), or auto (paired in the injected regime, all-wrong otherwise).",
              rule: .oneOf(localisationSets)),
            S("sft_examples", \.sftExamples, "SFT demonstrations.", rule: .atLeast(1)),
            S("preference_prompts", \.preferencePrompts, "Prompts sampled to build training preference pairs.", rule: .atLeast(1)),
            S("eval_prompts", \.evalPrompts, "Held-out prompts (accuracy, KL, and the rejected responses used for credit localisation).", rule: .atLeast(1)),
            S("samples_per_prompt", \.samplesPerPrompt, "Responses sampled per prompt to build pairs.", rule: .atLeast(1)),
            S("eval_samples", \.evalSamples, "Sampled responses per held-out prompt for sampled accuracy and KL.", rule: .atLeast(1)),
            S("max_new_tokens", \.maxNewTokens, "Longest response in tokens.", rule: .atLeast(1)),
        ] + tinyLlamaSettings(at: \.self, model: "the SFT model") + [
            S("sft_model", \.sftModel, "Start from this SFT model folder (models/sft of an earlier run with the same task and seed) instead of training a tokenizer and model; its own tokenizer is used."),
            S("preference_steps", \.preferenceSteps, "Optimizer steps of every preference method.", rule: .atLeast(1)),
            S("preference_batch", \.preferenceBatch, "Pairs per preference step.", rule: .atLeast(1)),
            S("preference_learning_rate", \.preferenceLearningRate, "Learning rate of every preference method."),
            S("beta", \.beta, "β of every preference method.", rule: SettingRule("> 0") { $0 > 0 }),
            S("alpha", \.alpha, "α of TDPO2 and TGDPO."),
            S("methods", \.methods, "Methods trained from the same SFT start (\(CreditDemo.knownMethods.joined(separator: ", "))); tgdpo is guided by the dpo run, so dpo comes first."),
            S("eval_every", \.evalEvery, "Evaluate held-out pairs every this many preference steps (learning curves).", rule: .atLeast(1)),
            S("auxiliary_steps", \.auxiliarySteps, "Steps of the auxiliary models (cDPO's positive and negative models, the reward models).", rule: .atLeast(1)),
            S("auxiliary_learning_rate", \.auxiliaryLearningRate, "Learning rate of the auxiliary models."),
            S("bootstrap_resamples", \.bootstrapResamples, "Bootstrap resamples for confidence intervals."),
            S("heatmaps", \.heatmaps, "Rejected responses shown as heatmaps per credit source."),
            S("seed", \.seed, "Seed for every random choice."),
        ])
    }
}
