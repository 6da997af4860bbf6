#!/usr/bin/env python3
"""By-hand check that `tokenalign convert` output loads in transformers and agrees with the GGUF.

    .build/release/tokenalign convert --model .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --out /tmp/smol-hf
    .venv-bench/bin/python Tests/Fixtures/smollm2/check_converted.py /tmp/smol-hf

Loads the folder with AutoModelForCausalLM + AutoTokenizer (our tokenizer.json and
tokenizer_config.json with the chat template), renders and encodes the ChatML prompt, and compares
the ids and next-token logits with next_token_logits.safetensors (the numpy GGUF reference that
TokenAlign's GGUF path matches to 1e-3). Prints the greedy answer.
"""
import pathlib
import sys

import torch
import transformers
from safetensors.torch import load_file

folder = sys.argv[1]
ref = load_file(str(pathlib.Path(__file__).with_name("next_token_logits.safetensors")))
tok = transformers.AutoTokenizer.from_pretrained(folder)
model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
text = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}], tokenize=False,
                               add_generation_prompt=True)
ids = tok(text, add_special_tokens=False)["input_ids"]
same_ids = ids == ref["input_ids"].tolist()
with torch.no_grad():
    logits = model(torch.tensor([ids])).logits[0, -1]
diff = (logits - ref["logits"]).abs().max().item()
out = model.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False)
answer = tok.decode(out[0, len(ids):], skip_special_tokens=True)
print(f"transformers {transformers.__version__}: loaded {type(model).__name__} and {type(tok).__name__}")
print(f"chat template + tokenizer ids equal the reference: {same_ids}")
print(f"max |logits - GGUF reference logits| = {diff:.3e}")
print(f"greedy answer: {answer!r}")
ok = same_ids and diff < 1e-3 and "Paris" in answer
print("all checks passed" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
