#!/usr/bin/env python3
"""Generates the committed tokenizer fixtures in Tests/Fixtures/tokenizers/ with the reference
implementations (Hugging Face `tokenizers` and `transformers`). Run once; the outputs are committed.

    python Tests/Fixtures/tokenizers/generate_tokenizer_fixtures.py

Needs `tokenizers` and `transformers` (and jinja2) in the interpreter, e.g. .venv-bench. The
GPT-2 and SmolLM2 cases also need the downloaded assets (scripts/fetch-assets.sh); they are skipped
when the assets are missing.

Outputs (all small):
  corpus.json                     deterministic synthetic training corpus (list of documents)
  tiny_llama3.json                BPE trained on the corpus: Llama-3 Split + ByteLevel, ignore_merges,
                                  TemplateProcessing BOS, special + added tokens with lstrip/rstrip/...
  tiny_qwen2.json                 NFC + Qwen2 Split + ByteLevel; merges in the legacy "a b" form
  tiny_smollm.json                Digits(individual) + ByteLevel(use_regex)
  tiny_lower.json                 NFKC + Lowercase, ByteLevel(add_prefix_space), RobertaProcessing
  tiny_spm.json                   SentencePiece-style BPE: Prepend/Replace normalizers, byte_fallback,
                                  unk + fuse_unk, decoder Replace/ByteFallback/Fuse/Strip
  tokenizer_cases.json            per tokenizer: text → ids, offsets (UTF-8 bytes), decoded strings
  pretokenizer_cases.json         pre-tokenizer configs × texts → pieces and byte offsets
  chat_template_cases.json        transformers apply_chat_template renderings (+ ids)
  trainer_cases.json              settings for which the Swift trainer must reproduce HF's merges
  gpt2_cases.json                 GPT-2 (vocab.json + merges.txt) ids for tricky strings [assets]
  smollm2_cases.json              SmolLM2 GGUF tokenizer ids, chat ids [assets]
"""
import json
import os
import random
import struct
import sys

import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ASSETS = os.path.join(ROOT, ".assets")
FIXTURE_VERSION = 1
META = {
    "fixture_version": FIXTURE_VERSION,
    "generator": "Tests/Fixtures/tokenizers/generate_tokenizer_fixtures.py",
    "tokenizers": tokenizers.__version__,
    "transformers": transformers.__version__,
}

LLAMA3_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def write_json(name, value, compact=False):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {name} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------------------------------------
# Corpus: deterministic pseudo-text with the things tokenizers get wrong.

WORDS = """the of and to in is was for on that with as by at from his her they this which be are or
had not but what all were when we there can an your one has more if will each about how up out them
then she many some so these would other into time has look two write go see number no way could people
my than first water been call who oil its now find long down day did get come made may part over new
sound take only little work know place year live me back give most very after thing our just name good
sentence man think say great where help through much before line right too mean old any same tell boy
follow came want show also around form three small set put end does another well large must big even
such because turn here why ask went men read need land different home us move try kind hand picture
again change off play spell air away animal house point page letter mother answer found study still
learn should world high every near add food between own below country plant last school father keep
tree never start city earth eye light thought head under story saw left few while along might close
something seem next hard open example begin life always those both paper together got group often run
important until children side feet car mile night walk white sea began grow took river four carry
state once book hear stop without second later miss idea enough eat face watch far really almost let
above girl sometimes mountain cut young talk soon list song being leave family token reward model
gradient policy alignment credit value advantage preference chosen rejected""".split()

UNICODE_SNIPPETS = [
    "café", "cafe\u0301", "à", "a\u0300", "naïve", "Ångström", "Straße", "İstanbul", "ǅemal",
    "нещо на Български", "Привет, мир!", "Καλημέρα κόσμε", "שלום עולם", "مرحبا بالعالم",
    "我想在apple工作1314151天～", "日本語のテキスト", "한국어 텍스트", "नमस्ते दुनिया", "កាន់តែពិសេស",
    "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅", "👩‍👩‍👧‍👦", "🇫🇷🇩🇪", "😁 ?",
    "ﬁnance ﬂow", "x² + y³ = z⁴", "①②③", "１２３４５", "Ⅻ", "K Å", "\u00a0nbsp\u00a0", "\u2028ls",
    "Cửa Việt", "ـ", "a\u200bb", "\u0301lonely mark",
]


def make_corpus():
    rng = random.Random(20240601)
    docs = []
    contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'lL", "'D"]
    for d in range(130):
        parts = []
        for s in range(rng.randint(2, 7)):
            n = rng.randint(4, 16)
            words = [rng.choice(WORDS) for _ in range(n)]
            if rng.random() < 0.3:
                i = rng.randrange(n)
                words[i] = words[i] + rng.choice(contractions)
            if rng.random() < 0.25:
                words.insert(rng.randrange(n), str(rng.choice([rng.randint(0, 9), rng.randint(10, 999), rng.randint(1000, 99999999)])))
            if rng.random() < 0.1:
                words.insert(rng.randrange(n), f"{rng.randint(0, 99)}.{rng.randint(0, 999)}")
            if rng.random() < 0.2:
                words.insert(rng.randrange(n), rng.choice(UNICODE_SNIPPETS))
            sentence = " ".join(words)
            sentence = sentence[0].upper() + sentence[1:]
            sentence += rng.choice([".", ".", ".", "!", "?", "...", "!!!", " :)", ";"])
            parts.append(sentence)
        sep = rng.choice([" ", " ", "  ", "\n", "\n\n", "\t", " \n", "\n   "])
        doc = sep.join(parts)
        if rng.random() < 0.15:
            doc += "\n\n    def f(x):\n        return x * 2  # code\n"
        if rng.random() < 0.1:
            doc = "   " + doc + "   "
        docs.append(doc)
    return docs


# ---------------------------------------------------------------------------------------------
# Test strings shared by all tokenizers.

TEXTS = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", " \n \n\n \t",
    "Hello world", " Hello world", "Hello World", " Hello World!", "Hello, world!",
    "    Hello\n    Hello", "' era", "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like tea? We'Ve a'lL",
    "3", "33", "333", "3333", "33333", "333333", "1234567890", "3.14159 and 2,718,281", "１２３ and ①②",
    "w048 7tuijk dsdfhu", "this is 🦙.cpp", "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
    "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
    "нещо на Български", "កាន់តែពិសេសអាចខលចេញ", "Cửa Việt", "ﬁnance ﬂow x² Straße İstanbul",
    "café vs cafe\u0301", "à a\u0300", "\u0301 starts with a mark", "a\u200bb\u00a0c\u2028d",
    "!!!!!!", "''''''```````\"\"\"\"......", "   leading and trailing   ", "tabs\tand\t\ttabs",
    "def f(x):\n    return x * 2  # comment\n", "<html><body>&amp;</body></html>",
    "Dr. Smith's email: smith@example.com, url https://example.org/a?b=c#d",
]

SPECIAL_TEXTS = [
    "<|begin_of_text|>Hello<|eot_id|>",
    "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>",
    "a<|eot_id|>b<|eot_id|><|eot_id|>c",
    "x [MASK] y", "x[MASK]y", "x    [MASK]    y",
    "before <sep>   after", "before<sep>after",
    "say hello world now", "sayhello worldnow", "hello world",
    "HeLLo token", "<|im_start|>user\nhi<|im_end|>\n",
    "<|endoftext|>", "<|endoftext|><|endoftext|>", "<s>abc</s>", "<s> <unk> </s>",
]


def byte_offsets(text, char_offsets):
    """tokenizers reports offsets in characters (code points); convert to UTF-8 byte offsets."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + len(ch.encode("utf-8")))
    return [[prefix[a], prefix[b]] for a, b in char_offsets]


def encode_cases(tok, texts, offsets=True):
    cases = []
    for text in texts:
        enc = tok.encode(text, add_special_tokens=False)
        enc_special = tok.encode(text, add_special_tokens=True)
        case = {"text": text, "ids": enc.ids}
        if enc_special.ids != enc.ids:
            case["ids_with_special"] = enc_special.ids
        if offsets:
            case["offsets"] = byte_offsets(text, enc.offsets)
        case["decoded"] = tok.decode(enc_special.ids, skip_special_tokens=False)
        skipped = tok.decode(enc_special.ids, skip_special_tokens=True)
        if skipped != case["decoded"]:
            case["decoded_skip_special"] = skipped
        cases.append(case)
    return cases


def train(tok, corpus, vocab_size, special, byte_level=True):
    kwargs = dict(vocab_size=vocab_size, special_tokens=special, show_progress=False)
    if byte_level:
        kwargs["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(**kwargs))
    return tok


def save_tokenizer(name, tok, legacy_merges=False, drop_added=()):
    data = json.loads(tok.to_str())
    if legacy_merges:
        data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
    if drop_added:
        data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in drop_added]
    write_json(name, data, compact=True)
    # Reload from the written file: the cases must come from what is committed.
    return Tokenizer.from_file(os.path.join(HERE, name))


def build_tokenizers(corpus):
    built = {}

    # Llama-3 style.
    t = Tokenizer(models.BPE(ignore_merges=True))
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    train(t, corpus, 640, specials)
    t.add_tokens([
        AddedToken("[MASK]", lstrip=True, rstrip=False, single_word=False, normalized=False),
        AddedToken("<sep>", rstrip=True, normalized=False),
        AddedToken("hello world", single_word=True, normalized=False),
        AddedToken("HeLLo", normalized=True),
    ])
    t.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", t.token_to_id("<|begin_of_text|>"))])
    built["tiny_llama3.json"] = save_tokenizer("tiny_llama3.json", t)

    # Qwen2 style: NFC, digits one by one, legacy merges.
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.ByteLevel(trim_offsets=False)
    train(t, corpus, 560, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    built["tiny_qwen2.json"] = save_tokenizer("tiny_qwen2.json", t, legacy_merges=True)

    # SmolLM style.
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    t.decoder = decoders.ByteLevel()
    train(t, corpus, 600, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    built["tiny_smollm.json"] = save_tokenizer("tiny_smollm.json", t)

    # Lower-casing with a prefix space (RoBERTa-like post-processing).
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    t.decoder = decoders.ByteLevel()
    train(t, corpus, 520, ["<s>", "<pad>", "</s>"])
    t.post_processor = processors.RobertaProcessing(("</s>", t.token_to_id("</s>")), ("<s>", t.token_to_id("<s>")),
                                                    trim_offsets=False, add_prefix_space=True)
    built["tiny_lower.json"] = save_tokenizer("tiny_lower.json", t)

    # SentencePiece-style BPE with byte fallback.
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]
    t = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    # Keep the alphabet small so that unknown characters really occur.
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens,
                                  limit_alphabet=90, show_progress=False)
    t.train_from_iterator(corpus, trainer)
    t.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", t.token_to_id("<s>"))])
    built["tiny_spm.json"] = save_tokenizer("tiny_spm.json", t, drop_added=set(byte_tokens))
    return built


# ---------------------------------------------------------------------------------------------
# Pre-tokenizer cases: each config is applied through `tokenizers` directly.

PRE_TEXTS = [
    "  Hello,  world!!  ", "I'm can't WE'LL 's", "a1b22c333d4444 x=1+2*3; y = [4, 5]",
    "tabs\tand\nnewlines\r\n\n end", "naïve café 123 ½ ① ٣ 🚀🚀 go!", "end.   ", "   ",
    "l'été dernier, 中文字符和English混合123",
]


def pre_tokenizer_configs():
    configs = []
    for behavior in ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]:
        for invert in [False, True]:
            configs.append(pre_tokenizers.Split(" ", behavior=behavior, invert=invert))
            configs.append(pre_tokenizers.Split(Regex(r"\d+|[!,.]"), behavior=behavior, invert=invert))
    configs += [
        pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Whitespace(), pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(),
        pre_tokenizers.Punctuation(behavior="merged_with_next"),
        pre_tokenizers.Metaspace(), pre_tokenizers.Metaspace(prepend_scheme="first", split=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False),
        pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_PATTERN), "isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_PATTERN), "isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
    ]
    return configs


BYTE_DECODER = {}


def byte_level_decode(piece):
    if not BYTE_DECODER:
        bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        cs = bs[:]
        n = 0
        for b in range(256):
            if b not in bs:
                bs.append(b)
                cs.append(256 + n)
                n += 1
        BYTE_DECODER.update({chr(c): b for b, c in zip(bs, cs)})
    return bytes(BYTE_DECODER[c] for c in piece).decode("utf-8", errors="surrogateescape")


def pre_tokenizer_cases():
    """One entry per config: {config, check_offsets, cases: [[text, [[piece, [start, end]], …]], …]}."""
    entries = []
    for pt in pre_tokenizer_configs():
        # Serialise the pre-tokenizer through a throwaway tokenizer to get its exact JSON.
        t = Tokenizer(models.BPE())
        t.pre_tokenizer = pt
        config = json.loads(t.to_str())["pre_tokenizer"]
        is_byte_level = "ByteLevel" in json.dumps(config)
        adds_prefix = '"add_prefix_space": true' in json.dumps(config) or config.get("type") == "Metaspace"
        cases = []
        for text in PRE_TEXTS:
            out = []
            for piece, (a, b) in pt.pre_tokenize_str(text):
                raw = byte_level_decode(piece) if is_byte_level else piece
                out.append([raw, byte_offsets(text, [(a, b)])[0]])
            cases.append([text, out])
        entries.append({"config": config, "check_offsets": not adds_prefix, "cases": cases})
    return entries


# ---------------------------------------------------------------------------------------------
# Chat templates.

SMOLLM2_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
                    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
CHATML_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                   "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
LLAMA3_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
                   "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
                   "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
                   "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
UNSUPPORTED_TEMPLATES = {
    "gemma": "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}",
    "mistral": "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}",
}

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi!"}],
    [{"role": "user", "content": "  2+2?\n"}, {"role": "assistant", "content": " 4 \n\n"}, {"role": "user", "content": "And 3+3? 🤔"}],
    [{"role": "system", "content": "\tSys\t"}, {"role": "user", "content": "a<|im_end|>b"}, {"role": "assistant", "content": ""}],
]


def chat_cases(tok_llama3, tok_qwen2):
    ft_llama = PreTrainedTokenizerFast(tokenizer_object=tok_llama3, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    ft_qwen = PreTrainedTokenizerFast(tokenizer_object=tok_qwen2, bos_token=None, eos_token="<|im_end|>")
    cases = []
    for name, template, ft, tokenizer_file in [("smollm2", SMOLLM2_TEMPLATE, ft_qwen, "tiny_qwen2.json"),
                                                ("chatml", CHATML_TEMPLATE, ft_qwen, "tiny_qwen2.json"),
                                                ("llama3", LLAMA3_TEMPLATE, ft_llama, "tiny_llama3.json")]:
        for conv in CONVERSATIONS:
            for gen in [False, True]:
                text = ft.apply_chat_template(conv, chat_template=template, tokenize=False, add_generation_prompt=gen)
                ids = ft.apply_chat_template(conv, chat_template=template, tokenize=True, add_generation_prompt=gen)
                if isinstance(ids, dict) or hasattr(ids, "keys"):
                    ids = ids["input_ids"]
                cases.append({"template": name, "tokenizer": tokenizer_file, "messages": conv,
                              "add_generation_prompt": gen, "text": text, "ids": list(ids)})
    return {"templates": {"smollm2": SMOLLM2_TEMPLATE, "chatml": CHATML_TEMPLATE, "llama3": LLAMA3_TEMPLATE},
            "unsupported": UNSUPPORTED_TEMPLATES, "cases": cases}


# ---------------------------------------------------------------------------------------------
# Trainer parity: the Swift trainer must reproduce these vocabularies and merges exactly.

def trainer_cases(corpus):
    cases = []
    settings = [
        ("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), 500, ["<|endoftext|>"], 0),
        ("llama3", pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_PATTERN), "isolated"),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 700, ["<s>", "</s>"], 0),
        ("smollm", pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), 450, [], 3),
    ]
    for name, pt, vocab_size, special, min_frequency in settings:
        t = Tokenizer(models.BPE())
        t.pre_tokenizer = pt
        t.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, min_frequency=min_frequency,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        t.train_from_iterator(corpus, trainer)
        data = json.loads(t.to_str())
        vocab = sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
        cases.append({"name": name, "pre_tokenizer": data["pre_tokenizer"], "vocab_size": vocab_size,
                      "special_tokens": special, "min_frequency": min_frequency,
                      "vocab": [k for k, _ in vocab], "merges": data["model"]["merges"]})
    return cases


# ---------------------------------------------------------------------------------------------
# Asset-backed cases.

def gguf_metadata(path):
    with open(path, "rb") as f:
        def rd(fmt):
            return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

        def rstr():
            return f.read(rd("Q")).decode("utf-8")
        assert f.read(4) == b"GGUF"
        rd("I"), rd("Q")
        n = rd("Q")
        scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

        def val(t):
            if t in scalar:
                return rd(scalar[t])
            if t == 8:
                return rstr()
            if t == 9:
                et, count = rd("I"), rd("Q")
                return [val(et) for _ in range(count)]
            raise ValueError(t)
        kv = {}
        for _ in range(n):
            k = rstr()
            kv[k] = val(rd("I"))
        return kv


def gpt2_cases():
    vocab = os.path.join(ASSETS, "gpt2", "vocab.json")
    merges = os.path.join(ASSETS, "gpt2", "merges.txt")
    if not os.path.exists(vocab):
        print("skipping gpt2_cases.json: run scripts/fetch-assets.sh first")
        return None
    t = Tokenizer(models.BPE.from_file(vocab, merges))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|endoftext|>"])
    return {"meta": META, "cases": encode_cases(t, TEXTS + SPECIAL_TEXTS, offsets=False)}


def smollm2_cases():
    path = os.path.join(ASSETS, "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.exists(path):
        print("skipping smollm2_cases.json: run scripts/fetch-assets.sh first")
        return None
    kv = gguf_metadata(path)
    tokens, types = kv["tokenizer.ggml.tokens"], kv["tokenizer.ggml.token_type"]
    merges = [tuple(m.split(" ", 1)) for m in kv["tokenizer.ggml.merges"]]
    t = Tokenizer(models.BPE(vocab={tok: i for i, tok in enumerate(tokens)}, merges=merges))
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                               pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens([AddedToken(tok, special=True, normalized=False) for tok, ty in zip(tokens, types) if ty == 3])
    ft = PreTrainedTokenizerFast(tokenizer_object=t, bos_token=tokens[kv["tokenizer.ggml.bos_token_id"]],
                                 eos_token=tokens[kv["tokenizer.ggml.eos_token_id"]])
    template = kv["tokenizer.chat_template"]
    assert template == SMOLLM2_TEMPLATE, "the SmolLM2 GGUF template differs from the one in this script"
    chats = []
    for conv in CONVERSATIONS:
        text = ft.apply_chat_template(conv, chat_template=template, tokenize=False, add_generation_prompt=True)
        chats.append({"messages": conv, "text": text, "ids": t.encode(text, add_special_tokens=False).ids})
    return {"meta": META, "cases": encode_cases(t, TEXTS + SPECIAL_TEXTS, offsets=False), "chats": chats}


def main():
    corpus = make_corpus()
    write_json("corpus.json", {"meta": META, "documents": corpus})
    built = build_tokenizers(corpus)
    # Offsets (UTF-8 byte ranges) only where they test something new: added-token stripping,
    # normalisers, SentencePiece-style replacement.
    with_offsets = {"tiny_llama3.json", "tiny_lower.json", "tiny_spm.json"}
    cases = {name: encode_cases(tok, TEXTS + SPECIAL_TEXTS, offsets=name in with_offsets) for name, tok in built.items()}
    write_json("tokenizer_cases.json", {"meta": META, "tokenizers": cases}, compact=True)
    write_json("pretokenizer_cases.json", {"meta": META, "configs": pre_tokenizer_cases()}, compact=True)
    write_json("chat_template_cases.json", {"meta": META, **chat_cases(built["tiny_llama3.json"], built["tiny_qwen2.json"])})
    write_json("trainer_cases.json", {"meta": META, "cases": trainer_cases(corpus)}, compact=True)
    for name, make in [("gpt2_cases.json", gpt2_cases), ("smollm2_cases.json", smollm2_cases)]:
        value = make()
        if value is not None:
            write_json(name, value, compact=True)


if __name__ == "__main__":
    main()
