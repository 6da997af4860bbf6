#!/usr/bin/env python3
"""Checks that a tokenizer.json written by the Swift BPETrainer works in Python, and records what
Python produces so the Swift tests can compare (swift_trained.python-check.json).

    # 1. write the Swift-trained file (BPETrainerTests regenerates it when asked):
    TOKENALIGN_WRITE_FIXTURES=1 swift test --filter BPETrainerTests
    # 2. load it with tokenizers and transformers, encode, and retrain with HF for comparison:
    python Tests/Fixtures/tokenizers/verify_swift_trained.py

The Swift side trains on corpus.json with vocab size 420, special tokens <|endoftext|>, <|im_start|>,
<|im_end|>, and the Llama-3 pre-tokenizer (Split + ByteLevel(use_regex=False)).
"""
import json
import os

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
SWIFT_FILE = os.path.join(HERE, "swift_trained.tokenizer.json")

TEXTS = [
    "", " ", "Hello world", " Hello World!", "I've been 'told he's there, 'RE you sure?", "1234567890 3.14",
    "naïve café vs cafe\u0301 à a\u0300", "нещо на Български", "我想在apple工作1314151天～", "🚀 😶‍🌫️ ✅ 👩‍👩‍👧‍👦",
    "def f(x):\n    return x * 2  # comment\n", "\n\n\n\t  \t", "<|im_start|>user\nhi<|im_end|>\n",
    "a<|endoftext|>b", "The gradient of the policy alignment reward model.", "  leading and trailing  ",
    "ﬁnance x² İstanbul", "!!!???...", "tabs\tand\t\ttabs", "Ünïcödé and ASCII", "'s 't 're 've 'm 'll 'd",
    "WE'LL SEE", "x=1+2*3; y = [4, 5]", "https://example.org/a?b=c#d",
]


def main():
    swift = Tokenizer.from_file(SWIFT_FILE)
    fast = PreTrainedTokenizerFast(tokenizer_file=SWIFT_FILE)
    cases = []
    for text in TEXTS:
        ids = swift.encode(text, add_special_tokens=False).ids
        transformers_ids = fast(text, add_special_tokens=False)["input_ids"]
        cases.append({"text": text, "ids": ids, "transformers_ids": transformers_ids,
                      "decoded": swift.decode(ids, skip_special_tokens=False)})

    # Retrain with HF on the same corpus and settings: the merges should be identical.
    with open(os.path.join(HERE, "corpus.json"), encoding="utf-8") as f:
        corpus = json.load(f)["documents"]
    data = json.load(open(SWIFT_FILE, encoding="utf-8"))
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = Tokenizer.from_str(json.dumps(data)).pre_tokenizer  # the same Llama-3 split + ByteLevel
    t.decoder = decoders.ByteLevel()
    special = [tok["content"] for tok in data["added_tokens"]]
    trainer = trainers.BpeTrainer(vocab_size=len(data["model"]["vocab"]), special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    t.train_from_iterator(corpus, trainer)
    hf = json.loads(t.to_str())
    same = hf["model"]["merges"] == data["model"]["merges"] and hf["model"]["vocab"] == data["model"]["vocab"]

    out = {
        "meta": {"generator": "Tests/Fixtures/tokenizers/verify_swift_trained.py",
                 "tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "same_merges_as_hf_trainer": same,
        "cases": cases,
    }
    path = os.path.join(HERE, "swift_trained.python-check.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, same merges as HF trainer: {same}")
    assert all(c["ids"] == c["transformers_ids"] for c in cases)
    assert same


if __name__ == "__main__":
    main()
