// Every setting of `sft`, `reward` and `dpo`, declared once: key (YAML key; `--kebab-case` flag),
// doc (the help text), field, rule. Keys are TRL's (`TrainingArguments`, `DPOConfig`) where TRL
// has the setting. The order is the order of `config.yaml` in a run folder.
import Datasets
import Models
import Objectives
import Support

extension TruncationMode: SettingChoice {}
extension WeightFormat: SettingChoice {}

extension TrainingConfiguration {
    /// The table every path reads: YAML decoding and encoding, the flags, `--help`, `validate()`.
    public static var settings: SettingsTable<TrainingConfiguration> {
        typealias S = Setting<TrainingConfiguration>
        return SettingsTable([
            S("task", \.task, "Which trainer runs (the command sets it).", flag: false),
            S("model", \.model, "A Hugging Face model folder or a .gguf file."),
            S("ref", \.ref, "Reference model (preference; default: a frozen copy of --model)."),
            S("guide", \.guide, "Auxiliary model (repeatable): TGDPO token-reward model; cDPO positive then negative model; AlignDistil DPO model (then reverse-DPO model).",
              repeatable: true),
            S("data", \.data, "Training data (TRL-format JSONL)."),
            S("out", \.out, "Run folder: config.yaml, metrics.jsonl, checkpoints, the trained model."),
            S("seed", \.seed, "Seed for data order, splits and initialisation."),
            S("loss", \.loss, "Comma-separated loss names of the preference-objective registry (`tokenalign methods` lists them with their papers); ignored by sft and reward."),
            S("beta", \.beta, "β: the KL strength of the preference losses; with --reward-kind autoregressive the scale of the summed log-probs; with haf / grm the scale of the LM-head term's log-ratio (HaF's τ).",
              rule: .positive),
            S("alpha", \.alpha, "α of TDPO2 / TGDPO / RRPO; with --reward-kind haf the policy term's weight (≥ 0, default \(HybridRewardModelLoss.defaultAlpha)), with grm the regulariser's share in [0, 1] (default \(GeneralizableRewardModelLoss.defaultAlpha)).",
              rule: .ifSet(.finite)),
            S("schedule", \.schedule, "Learning-rate schedule: constant, linear or cosine.", rule: .oneOf(schedules)),
            S("truncate", \.truncate, "Allow truncating rows over the limits (otherwise they are errors)."),
            S("epochs", \.epochs, "Passes over the data.", rule: .atLeast(1)),
            S("loss_weights", \.lossWeights, "Comma-separated weights, one per loss.", rule: .ifSet(.each(.finite))),
            S("label_smoothing", \.labelSmoothing, "Label smoothing ε (conservative, robust, exo_pair, aot); robust DPO divides by 1 − 2ε.",
              rule: .fraction(below: 0.5)),
            S("token_level", \.tokenLevel, "Train a per-token reward head on token labels (error spans) instead of a sequence score (= --reward-kind token)."),
            S("reward_kind", \.rewardKind, "Reward-model kind of `tokenalign reward`: \(RewardModelKinds.registry.names.joined(separator: ", ")) (`tokenalign methods` gives each one's paper).",
              rule: .oneOf(RewardModelKinds.registry.names), aliases: ["kind"]),
            S("segment_entropy_threshold", \.segmentEntropyThreshold, "--reward-kind segment: a segment ends after a token where the starting model's (or --ref's) next-token entropy (nats) is at least this; 0 = every token, above log V = one segment (default \(defaultSegmentEntropyThreshold), the paper code's).",
              rule: .ifSet(.nonNegative)),
            S("grm_regularizer", \.grmRegularizer, "--reward-kind grm: the LM-head regulariser on the chosen responses: sft (−log σ(β·Σ log π), the paper's), nll (−Σ log π) or dpo (reference-free DPO).",
              rule: .ifSet(.oneOf(GeneralizableRewardModelLoss.Regularizer.allCases.map(\.rawValue)))),
            S("odin_length_weight", \.odinLengthWeight, "--reward-kind odin: λ_L, the weight of the length-correlation penalty (default \(LengthDisentangledRewardLoss.defaultLengthWeight)).",
              rule: .ifSet(.nonNegative)),
            S("odin_orthogonality_weight", \.odinOrthogonalityWeight, "--reward-kind odin: λ_O, the weight of the heads' orthogonality penalty (default \(LengthDisentangledRewardLoss.defaultOrthogonalityWeight)).",
              rule: .ifSet(.nonNegative)),
            S("precompute_ref_log_probs", \.precomputeRefLogProbs, "Compute the reference log-probs once before training and cache them.",
              aliases: ["precompute-ref"]),
            S("max_length", \.maxLength, "Longest prompt + completion in tokens.", rule: .ifSet(.atLeast(2))),
            S("max_prompt_length", \.maxPromptLength, "Longest prompt in tokens.", rule: .ifSet(.atLeast(1))),
            S("append_eos", \.appendEos, "Append EOS to standard-format completions, as TRL does (--no-append-eos for continuations cut at a length)."),
            S("truncation_mode", \.truncationMode, "Which end of an over-long row to keep."),
            S("skip_invalid_rows", \.skipInvalidRows, "Skip malformed rows (counted and reported) instead of failing."),
            S("eval_fraction", \.evalFraction, "Fraction of --data held out for evaluation.", rule: .fraction(below: 1)),
            S("eval_data", \.evalData, "Evaluation data (JSONL); default: --eval-fraction of --data."),
            S("learning_rate", \.learningRate, "Peak learning rate.", rule: .positive),
            S("warmup_steps", \.warmupSteps, "Warm-up steps.", rule: .atLeast(0)),
            S("weight_decay", \.weightDecay, "AdamW weight decay.", rule: .nonNegative),
            S("max_grad_norm", \.maxGradNorm, "Clip the global gradient norm (0: off).", rule: .nonNegative),
            S("batch_size", \.batchSize, "Pairs (preference) or sequences per micro-batch.", rule: .atLeast(1)),
            S("gradient_accumulation_steps", \.gradientAccumulationSteps, "Micro-batches per optimizer step.", rule: .atLeast(1),
              aliases: ["gradient-accumulation"]),
            S("max_steps", \.maxSteps, "Stop after this many optimizer steps (default: --epochs full passes).", rule: .ifSet(.atLeast(1))),
            S("lora_rank", \.loraRank, "LoRA rank (omit for full fine-tuning).", rule: .ifSet(.atLeast(1))),
            S("lora_alpha", \.loraAlpha, "LoRA alpha.", rule: .positive),
            S("lora_dropout", \.loraDropout, "LoRA dropout (checkpoints save its generators, so resumed runs stay bit-identical).",
              rule: .fraction(below: 1)),
            S("lora_target_modules", \.loraTargetModules, "Comma-separated LoRA target module names.", aliases: ["lora-targets"]),
            S("eval_steps", \.evalSteps, "Evaluate every N steps.", rule: .ifSet(.atLeast(1))),
            S("save_steps", \.saveSteps, "Checkpoint every N steps.", rule: .ifSet(.atLeast(1))),
            S("logging_steps", \.loggingSteps, "Log metrics every N steps.", rule: .atLeast(1)),
            S("on_nonfinite", \.onNonfinite, "A step whose loss or gradient norm is NaN or infinite: stop the run (naming the step and rows) or skip the step (counted in skipped_nonfinite)."),
            S("ref_weights", \.refWeights, "How the frozen reference (and guide) models store their matrices: f32, bf16, q8_0 or keep (GGUF blocks as stored; docs/design/quantized.md); the policy trains in float32."),
            S("self_train", \.selfTrain, "SSRM (arXiv 2409.06903), `tokenalign reward`: unlabelled pairs (JSONL, prompt/chosen/rejected, the order ignored) that the trained reward model pseudo-labels; the confident ones join --data for another round."),
            S("self_train_rounds", \.selfTrainRounds, "--self-train: pseudo-labelling rounds R (default \(SelfTraining.defaultRounds)).", rule: .ifSet(.atLeast(1))),
            S("confidence_threshold", \.confidenceThreshold, "--self-train: keep a pseudo-labelled pair when σ(|r_a − r_b|) ≥ τ (default \(SelfTraining.defaultConfidenceThreshold)).",
              rule: .ifSet(.within(0.5, 1))),
            S("co_filter_rate", \.coFilterRate, "`tokenalign reward`: train two reward models (seeds s and s + 1) that each step only on the 1 − ρ of every batch the other finds lowest-loss (co-teaching, arXiv 1804.06872; CRM's peer review, arXiv 2505.10597); the first is the run's model, the second goes to peer-model.",
              rule: .ifSet(.fraction(below: 1))),
            S("cloud_lambda", \.cloudLambda, "--reward-kind cloud (arXiv 2408.11791): λ, the weight of the LM loss on the self-generated critiques beside the Bradley–Terry loss in stage 2 (default \(CritiqueOutLoudLoss.defaultLambda)).",
              rule: .ifSet(.nonNegative)),
            S("critique_sft_steps", \.critiqueSftSteps, "--reward-kind cloud: optimizer steps of stage 1, the SFT on the oracle critiques (default: max_steps).",
              rule: .ifSet(.atLeast(1))),
            S("max_critique_tokens", \.maxCritiqueTokens, "--reward-kind cloud: longest critique in tokens, EOS included (default \(CritiqueSpec.defaultMaxCritiqueTokens)); saved with the model.",
              rule: .ifSet(.atLeast(1))),
            S("critique_temperature", \.critiqueTemperature, "--reward-kind cloud: temperature of the critiques the model writes (stage 2 and scoring); 0 = greedy (default), above 0 sampled from the seed.",
              rule: .ifSet(.nonNegative)),
        ])
    }
}
