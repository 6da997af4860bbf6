#!/usr/bin/env python3
"""The PyTorch side of `tokenalign bench rl-step`: one online-RL (GRPO) step, timed two ways.

  --case trl    TRL's GRPOTrainer.train(): one optimizer step per rollout batch
  --case torch  the same step written directly in PyTorch: HF `generate` (sampling, KV cache),
                rewards and group-normalised advantages, one forward/backward of the PPO-clip loss,
                grad-norm clip, AdamW. A lower bound for what a PyTorch trainer can do.

Workload (as `tokenalign bench rl-step`): 8 prompts x 4 generations = 32 completions, prompts of 32
random token ids (seed 1), 64 new tokens sampled at temperature 1 (top-k and top-p off) with EOS
never sampled (`min_new_tokens` = 64), so every completion has exactly 64 tokens; reward = fraction
of even ids in the completion; GRPO advantages (r - group mean) / (group std + 1e-4); PPO-clip loss
(epsilon 0.2), token-mean over all completion tokens (TRL's "dapo"); beta 0 (no reference model);
num_iterations 1 (the old log-probs are the detached current ones); grad-norm clip 1.0; AdamW
lr 1e-6, weight decay 0. float32, `torch.set_num_threads(2)`.

Model: `transformers.LlamaForCausalLM`, random init (seed 0), SDPA attention, the Llama version of
the bench sizes of Sources/TokenAlignCLI/BenchSizes.swift (the same shape as RLStepBench.swift):
layers / hidden / heads / vocab of the size, head dim hidden/heads, 2 KV heads, SwiGLU intermediate
8/3 * hidden rounded to the nearest multiple of 64, RoPE theta 10000, RMSNorm eps 1e-6, untied LM
head. Token ids need no trained tokenizer: a word-level tokenizer maps "<pad>", "<eos>", "w2" ..
"w{V-1}" to ids 0 .. V-1, so a prompt is the text "w17 w4001 ..." and tokenizes to its ids.

Output: one JSON object (the fields of `tokenalign bench rl-step --json`): ms_per_step,
generated_tokens_per_s, generate_ms (inside `model.generate`), update_ms (step - generate: reward,
advantages, loss forward/backward, optimizer), peak_rss_mib (whole process, VmHWM); each the best
over the timed steps (min time, max rate) with median_<field> beside it.

  .venv-bench/bin/python bench/trl_grpo_step.py --case trl --size tiny
  .venv-bench/bin/python bench/trl_grpo_step.py --case torch --size small --steps 5 --warmup 2
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false",
               "WANDB_DISABLED": "true", "TRANSFORMERS_VERBOSITY": "error"}.items():
    os.environ.setdefault(_k, _v)

SIZES = {  # Sources/TokenAlignCLI/BenchSizes.swift
    "tiny": dict(layers=4, d_model=256, heads=4, vocab=4096, context=128),
    "small": dict(layers=6, d_model=384, heads=6, vocab=8192, context=256),
}
PROMPTS, GENERATIONS, PROMPT_LEN, NEW_TOKENS = 8, 4, 32, 64
COMPLETIONS = PROMPTS * GENERATIONS
EPSILON, LR, MAX_GRAD_NORM = 0.2, 1e-6, 1.0
PAD, EOS = 0, 1


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def llama_config(size):
    from transformers import LlamaConfig
    s = SIZES[size]
    d = s["d_model"]
    return LlamaConfig(
        vocab_size=s["vocab"], hidden_size=d, intermediate_size=round(8 * d / 3 / 64) * 64,
        num_hidden_layers=s["layers"], num_attention_heads=s["heads"], num_key_value_heads=2,
        head_dim=d // s["heads"], max_position_embeddings=max(s["context"], PROMPT_LEN + NEW_TOKENS),
        rms_norm_eps=1e-6, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False,
        attention_bias=False, mlp_bias=False, attention_dropout=0.0, initializer_range=0.02,
        pad_token_id=PAD, eos_token_id=EOS, bos_token_id=None)


def build_model(size):
    import torch
    from transformers import LlamaForCausalLM
    torch.manual_seed(0)
    model = LlamaForCausalLM(llama_config(size)).float()
    assert model.config._attn_implementation == "sdpa", model.config._attn_implementation
    model.generation_config.pad_token_id = PAD
    model.generation_config.eos_token_id = EOS
    model.generation_config.bos_token_id = None
    return model


def id_tokenizer(vocab):
    """A word-level tokenizer whose words are the ids: "<pad>" 0, "<eos>" 1, "w2" 2, ..."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    words = {"<pad>": PAD, "<eos>": EOS}
    words.update({f"w{i}": i for i in range(2, vocab)})
    tok = Tokenizer(models.WordLevel(vocab=words, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", padding_side="left")


def random_prompts(vocab, n):
    """n prompts of PROMPT_LEN random ids in [2, vocab) (never pad or EOS), seed 1."""
    import torch
    g = torch.Generator().manual_seed(1)
    return torch.randint(2, vocab, (n, PROMPT_LEN), generator=g)


def even_fraction(completion_ids, **_):
    return [sum(1 for t in ids if t % 2 == 0) / max(len(ids), 1) for ids in completion_ids]


def summary(steps):
    """steps: dicts with step_s, generate_s, tokens -> the bench fields (best and median)."""
    out = {}

    def put(name, values, best):
        out[name] = best(values)
        out["median_" + name] = statistics.median(values)
    put("ms_per_step", [s["step_s"] * 1e3 for s in steps], min)
    put("generated_tokens_per_s", [s["tokens"] / s["step_s"] for s in steps], max)
    put("generate_ms", [s["generate_s"] * 1e3 for s in steps], min)
    put("update_ms", [(s["step_s"] - s["generate_s"]) * 1e3 for s in steps], min)
    out["generated_tokens_per_step"] = statistics.mean(s["tokens"] for s in steps)
    out["all_ms_per_step"] = [round(s["step_s"] * 1e3, 1) for s in steps]
    return out


class GenerateTimer:
    """Wraps `model.generate`: the seconds and the new tokens of each call."""

    def __init__(self, model):
        self.calls = []
        inner = model.generate

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            seq = inner(*args, **kwargs)
            prompt = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
            self.calls.append((time.perf_counter() - t0, seq.numel() - prompt.numel()))
            return seq
        model.generate = timed


# ---------------------------------------------------------------------------------------------
# TRL

def trl_grpo_config(total_steps, workdir):
    import dataclasses
    from trl import GRPOConfig
    fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    kwargs = dict(
        output_dir=workdir, use_cpu=True, bf16=False, fp16=False, seed=0,
        per_device_train_batch_size=COMPLETIONS, gradient_accumulation_steps=1,  # one step = one rollout
        num_generations=GENERATIONS, max_completion_length=NEW_TOKENS, temperature=1.0, top_p=1.0, top_k=0,
        generation_kwargs={"min_new_tokens": NEW_TOKENS},  # EOS is never sampled: 64 tokens each
        beta=0.0, num_iterations=1, epsilon=EPSILON, loss_type="dapo", scale_rewards="group",
        learning_rate=LR, weight_decay=0.0, max_grad_norm=MAX_GRAD_NORM, lr_scheduler_type="constant",
        max_steps=total_steps, use_vllm=False, report_to="none", save_strategy="no", logging_steps=1,
        disable_tqdm=True, dataloader_num_workers=0, log_completions=False,
    )
    # TRL turns gradient checkpointing on by default; off here (a recomputation costs time, and
    # neither the plain step nor TokenAlign recomputes). transformers 5 renamed the setting.
    kwargs["activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"] = False
    return GRPOConfig(**kwargs)


def run_trl(size, warmup, steps):
    from datasets import Dataset
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOTrainer

    vocab = SIZES[size]["vocab"]
    total = warmup + steps
    tok = id_tokenizer(vocab)
    prompts = [" ".join(f"w{int(i)}" for i in row) for row in random_prompts(vocab, PROMPTS * total)]
    assert all(len(tok(p, add_special_tokens=False)["input_ids"]) == PROMPT_LEN for p in prompts)
    model = build_model(size)
    gen = GenerateTimer(model)

    class StepClock(TrainerCallback):
        def __init__(self):
            self.begin, self.seconds, self.generate_marks = None, [], []

        def on_step_begin(self, args, state, control, **kw):
            self.generate_marks.append(len(gen.calls))
            self.begin = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.seconds.append(time.perf_counter() - self.begin)

    clock = StepClock()
    workdir = tempfile.mkdtemp(prefix="trl-grpo-step-")
    trainer = GRPOTrainer(model=model, reward_funcs=even_fraction, args=trl_grpo_config(total, workdir),
                          train_dataset=Dataset.from_dict({"prompt": prompts}), processing_class=tok,
                          callbacks=[clock])
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    assert len(clock.seconds) == total, (len(clock.seconds), total)
    marks = clock.generate_marks + [len(gen.calls)]
    timed = []
    for i in range(warmup, total):
        calls = gen.calls[marks[i]:marks[i + 1]]
        assert len(calls) == 1, f"step {i}: {len(calls)} generate calls"
        timed.append({"step_s": clock.seconds[i], "generate_s": calls[0][0], "tokens": calls[0][1]})
    a = trainer.args
    extra = {"trl_config": {k: str(getattr(a, k, None)) for k in (
        "loss_type", "beta", "epsilon", "scale_rewards", "num_iterations", "num_generations",
        "per_device_train_batch_size", "generation_batch_size", "steps_per_generation", "max_completion_length",
        "temperature", "top_k", "top_p", "generation_kwargs", "bf16", "gradient_checkpointing",
        "activation_checkpointing", "optim", "learning_rate", "max_grad_norm", "use_vllm")}}
    return timed, extra


# ---------------------------------------------------------------------------------------------
# plain PyTorch

def run_torch(size, warmup, steps):
    import torch
    from transformers import GenerationConfig

    vocab = SIZES[size]["vocab"]
    total = warmup + steps
    model = build_model(size)
    model.train()  # no dropout in this configuration
    try:
        opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.0, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.0)
    sampling = GenerationConfig(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=True, temperature=1.0,
                                top_k=0, top_p=1.0, pad_token_id=PAD, eos_token_id=EOS)
    all_prompts = random_prompts(vocab, PROMPTS * total)
    torch.manual_seed(0)

    def step(i):
        t0 = time.perf_counter()
        prompt = all_prompts[i * PROMPTS:(i + 1) * PROMPTS].repeat_interleave(GENERATIONS, 0)  # groups contiguous
        with torch.no_grad():
            seq = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), generation_config=sampling)
        t1 = time.perf_counter()
        completion = seq[:, PROMPT_LEN:]
        reward = (completion % 2 == 0).float().mean(1).view(PROMPTS, GENERATIONS)
        advantage = ((reward - reward.mean(1, keepdim=True)) / (reward.std(1, keepdim=True) + 1e-4)).view(-1, 1)
        # log-probs of the completion tokens: logits of the positions that predict them only
        logits = model(input_ids=seq, logits_to_keep=NEW_TOKENS + 1).logits[:, :-1]
        logp = logits.log_softmax(-1).gather(2, completion.unsqueeze(-1)).squeeze(-1)
        ratio = torch.exp(logp - logp.detach())  # num_iterations 1: old = current, detached
        loss = -torch.min(ratio * advantage, ratio.clamp(1 - EPSILON, 1 + EPSILON) * advantage).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        opt.step()
        t2 = time.perf_counter()
        return {"step_s": t2 - t0, "generate_s": t1 - t0, "tokens": completion.numel()}

    for i in range(warmup):
        step(i)
    timed = [step(warmup + i) for i in range(steps)]
    return timed, {"optimizer": type(opt).__name__ + (" (fused)" if opt.defaults.get("fused") else "")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=["trl", "torch"], required=True)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--steps", type=int, default=5, help="timed steps (best and median reported)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    rss_import = peak_rss_mib()
    timed, extra = (run_trl if args.case == "trl" else run_torch)(args.size, args.warmup, args.steps)
    import transformers
    import trl
    cfg = llama_config(args.size)
    row = {"case": "rl-step", "implementation": {"trl": "trl-grpo", "torch": "torch-plain"}[args.case],
           "size": args.size, "prompts": PROMPTS, "generations": GENERATIONS, "completions": COMPLETIONS,
           "prompt_tokens": PROMPT_LEN, "new_tokens": NEW_TOKENS, "steps": args.steps, "warmup": args.warmup}
    row.update(summary(timed))
    row.update({"peak_rss_mib": peak_rss_mib(), "rss_after_import_mib": rss_import,
                "threads": torch.get_num_threads(),
                "params": sum(p.numel() for p in build_model(args.size).parameters()),
                "llama": {"layers": cfg.num_hidden_layers, "d_model": cfg.hidden_size,
                          "heads": cfg.num_attention_heads, "kv_heads": cfg.num_key_value_heads,
                          "intermediate": cfg.intermediate_size, "vocab": cfg.vocab_size,
                          "tied_embeddings": cfg.tie_word_embeddings},
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                             "trl": trl.__version__, "python": sys.version.split()[0]}})
    row.update(extra)
    print(json.dumps(row, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
