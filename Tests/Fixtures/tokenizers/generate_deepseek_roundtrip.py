#!/usr/bin/env python3
"""Round trip of the `deepseek-llm` pre-tokenizer through Python `tokenizers`.

Builds a `tokenizers.Tokenizer` from the vocabulary and merges of llama.cpp's
`ggml-vocab-deepseek-llm.gguf` (fetched into .assets/llama-vocab by scripts/fetch-assets.sh) with the
pre-tokenizer llama.cpp names `deepseek-llm` written as `tokenizers` components: one `Split` (Isolated)
per regex of llama.cpp's list (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM), then
`ByteLevel(use_regex=False)`, with the file's control and user-defined tokens as added tokens. Encodes a varied text set (the committed corpus.json documents plus
strings aimed at the pre-tokenizer's classes: newlines, explicit letter ranges, ASCII and full-width
punctuation, trailing whitespace, CJK / Hangul runs, digit runs, other scripts and emoji) and writes
text -> ids to deepseek_llm_roundtrip.json; TokenizersTests checks that TokenAlign's `deepseek-llm`
tokenizer (read from the same GGUF) gives the same ids and decodes them back to the text.

Run by hand: .venv-bench/bin/python Tests/Fixtures/tokenizers/generate_deepseek_roundtrip.py
"""
import json
import pathlib
import re
import tarfile

import gguf
import tokenizers
from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers

HERE = pathlib.Path(__file__).parent
GGUF = HERE.parents[2] / ".assets/llama-vocab/ggml-vocab-deepseek-llm.gguf"
SDIST = HERE.parents[2] / ".assets/downloads/llama_cpp_python-0.3.36.tar.gz"


def llama_cpp_regexes():
    """The regex list of LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM, read from llama-vocab.cpp in the sdist
    (read rather than retyped: its Greek ranges use code points that Unicode normalisation would
    fold, which Oniguruma then rejects as empty ranges)."""
    with tarfile.open(SDIST) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("src/llama-vocab.cpp"))
        source = tar.extractfile(member).read().decode("utf-8")
    block = source[source.index("case LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM:"):]
    block = block[block.index("{") + 1:block.index("};")]
    return [bytes(m, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            for m in re.findall(r'"((?:[^"\\]|\\.)*)"', block)]
EXTRA = [
    "", " ", "  ", "\n", "\r\n", "\t", "a\n\nb", "line one\r\nline two\n", "trailing spaces   ", "  leading",
    "Hello, world! How's it going?", "x=1+2*3; y=(x-4)/5", "email@example.com & https://example.org/path?q=1",
    "1234567890 12 345 6.78 9,000", "３ｘ４＝１２，ｏｋ！", "全角：（括弧）、句読点。「引用」", "中文文本和标点，还有数字123。",
    "한국어 텍스트와 숫자 42", "日本語のテキスト、カタカナとひらがな", "Ελληνικά κείμενα και ΑΒΓ", "Русский текст, ёлка",
    "Straße Ångström façade naïve ǅ ʘ", "ℂℍℕ ℹ Ω K", "𐐀𐐨 𞤀 𑢠", "emoji 😁🇫🇷 and ‘quotes’ “double”", "tabs\tand\u00a0nbsp\u2009thin",
    "mixed\u3000ideographic space", "\u2028separator\u2029", "code:\n    def f(x):\n        return x ** 2  # square\n",
    "!!!???...", "   \n   ", "a  b   c    d", "ﬁnance ﬂow", "٣٤٥ Arabic-Indic digits and ⅣⅫ", "x\u0301 combining",
]


def build():
    reader = gguf.GGUFReader(str(GGUF))
    field = lambda k: reader.fields[k]
    tokens = [bytes(field("tokenizer.ggml.tokens").parts[i]).decode("utf-8") for i in field("tokenizer.ggml.tokens").data]
    merges = [bytes(field("tokenizer.ggml.merges").parts[i]).decode("utf-8") for i in field("tokenizer.ggml.merges").data]
    assert bytes(field("tokenizer.ggml.pre").parts[-1]).decode() == "deepseek-llm"
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = tokenizers.Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in llama_cpp_regexes()]
        + [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    # llama.cpp's token types: CONTROL (3) tokens are special, USER_DEFINED (4) ones (DeepSeek's
    # single-letter tokens such as "ö" and its [PAD…] slots) are matched in the text before
    # pre-tokenisation, as added tokens are in tokenizers.
    types = [int(field("tokenizer.ggml.token_type").parts[i][0]) for i in field("tokenizer.ggml.token_type").data]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, k in zip(tokens, types) if k == 3])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t, k in zip(tokens, types) if k == 4])
    return tok


def main():
    tok = build()
    corpus = json.loads((HERE / "corpus.json").read_text())["documents"]
    cases = []
    for text in EXTRA + corpus[:40]:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    out = {"meta": {"generator": "Tests/Fixtures/tokenizers/generate_deepseek_roundtrip.py", "tokenizers": tokenizers.__version__,
                    "vocab": "ggml-vocab-deepseek-llm.gguf (llama-cpp-python 0.3.36 sdist)"},
           "cases": cases}
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases]
    text = '{"meta": ' + json.dumps(out["meta"], ensure_ascii=False) + ',\n"cases": [\n' + ",\n".join(lines) + "\n]}\n"
    json.loads(text)
    (HERE / "deepseek_llm_roundtrip.json").write_text(text)
    print(f"{len(cases)} cases, {sum(len(c['ids']) for c in cases)} tokens; "
          f"{sum(c['decoded'] != c['text'] for c in cases)} do not decode to their text")


if __name__ == "__main__":
    main()
