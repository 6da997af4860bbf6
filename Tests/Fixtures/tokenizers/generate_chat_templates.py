#!/usr/bin/env python3
"""Renders real chat templates with transformers' own rendering rules and writes the expected
outputs the Swift Jinja interpreter (Sources/Templates) must reproduce exactly. Run once; the
templates and outputs are committed.

    .venv-bench/bin/python Tests/Fixtures/tokenizers/generate_chat_templates.py

The template texts come from the llama.cpp tree inside the llama-cpp-python source distribution
that scripts/fetch-assets.sh downloads (.assets/downloads/llama_cpp_python-0.3.36.tar.gz,
vendor/llama.cpp/models/templates/). They are copied to chat_templates/<name>.jinja; the SmolLM2,
ChatML and Llama-3 templates are taken from chat_template_cases.json (the older fixture). Gemma 3's
template, which llama.cpp's tree lacks, comes from TRL (PyPI `trl`, trl/chat_templates/gemma3.jinja:
the original template shipped by google/gemma-3-* checkpoints, kept by TRL for identity comparison).

Rendering goes through `transformers.utils.chat_template_utils.render_jinja_template`, the function
`apply_chat_template` calls (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, transformers'
tojson / raise_exception / strftime_now / namespace). `strftime_now` is pinned to FIXED_NOW.

Output: chat_template_render_cases.json with, per case, the template name, messages, tools,
add_generation_prompt, special tokens, extra keyword arguments, and either the rendered `text` or
the `error` message raise_exception produced.
"""
import datetime
import json
import os
import sys
import tarfile

import jinja2
import transformers
import transformers.utils.chat_template_utils as ctu

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SDIST = os.path.join(ROOT, ".assets", "downloads", "llama_cpp_python-0.3.36.tar.gz")
TEMPLATE_DIR = "llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates/"
OUT_DIR = os.path.join(HERE, "chat_templates")
FIXED_NOW = datetime.datetime(2026, 7, 4, 9, 5, 0)

# name -> (file in the sdist, "trl:<file>" for one in TRL's chat_templates, or None for a template of
# the older fixture; bos token; eos token)
TEMPLATES = {
    "smollm2": (None, "<|im_start|>", "<|im_end|>"),
    "chatml": (None, "<|endoftext|>", "<|im_end|>"),
    "llama3": (None, "<|begin_of_text|>", "<|eot_id|>"),
    "llama3.1": ("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "llama3.2": ("meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "qwen2.5": ("Qwen-Qwen2.5-7B-Instruct.jinja", None, "<|im_end|>"),
    "qwen3": ("Qwen-Qwen3-0.6B.jinja", None, "<|im_end|>"),
    "mistral-nemo": ("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>"),
    "phi3.5": ("microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>"),
    "gemma2": ("google-gemma-2-2b-it.jinja", "<bos>", "<eos>"),
    "deepseek-r1-qwen": ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
    "deepseek-r1-llama": ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
    "smollm3": ("HuggingFaceTB-SmolLM3-3B.jinja", None, "<|im_end|>"),
    "qwen3-coder": ("Qwen3-Coder.jinja", None, "<|im_end|>"),
    "qwen3.5": ("Qwen3.5-4B.jinja", None, "<|im_end|>"),
    "gemma4": ("google-gemma-4-31B-it.jinja", "<bos>", "<eos>"),
    "gemma3": ("trl:gemma3.jinja", "<bos>", "<eos>"),
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}]

CHAT = [
    {"role": "user", "content": "Hello! Can you add 2 and 2?"},
    {"role": "assistant", "content": "  Sure: 2 + 2 = 4.\n"},
    {"role": "user", "content": "Thanks. And «3 × 3»?"},
]
REPLY = {"role": "assistant", "content": "3 × 3 = 9 — \"nine\"."}
SYSTEM = {"role": "system", "content": "You are a terse maths tutor.\nAnswer in one line."}
TOOL_CHAT = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{
        "id": "call12345", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
    {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temperature\": 22}"},
    {"role": "assistant", "content": "It is 22 °C in Paris."},
]
THINK_CHAT = [
    {"role": "user", "content": "Is 7 prime?"},
    {"role": "assistant", "content": "<think>\nDivisors of 7: only 1 and 7.\n</think>\n\nYes, 7 is prime."},
    {"role": "user", "content": "And 9?"},
    {"role": "assistant", "reasoning_content": "9 = 3 × 3.", "content": "No."},
]


def load_templates():
    older = json.load(open(os.path.join(HERE, "chat_template_cases.json")))["templates"]
    sources = {}
    with tarfile.open(SDIST) as tar:
        for name, (file, _, _) in TEMPLATES.items():
            if file is None:
                sources[name] = older[name]
            elif file.startswith("trl:"):
                import trl
                path = os.path.join(os.path.dirname(trl.__file__), "chat_templates", file[len("trl:"):])
                sources[name] = open(path, encoding="utf-8").read()
            else:
                sources[name] = tar.extractfile(TEMPLATE_DIR + file).read().decode("utf-8")
    return sources


class FixedDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


def render(source, messages, tools, add_generation_prompt, bos, eos, kwargs):
    special = {"eos_token": eos}
    if bos is not None:
        special["bos_token"] = bos
    try:
        rendered, _ = ctu.render_jinja_template(
            conversations=[messages], tools=tools, chat_template=source,
            add_generation_prompt=add_generation_prompt, **special, **kwargs)
        return {"text": rendered[0]}
    except jinja2.exceptions.TemplateError as error:
        return {"error": str(error)}


def cases_for(name, source):
    _, bos, eos = TEMPLATES[name]
    runs = []
    for system in (False, True):
        prefix = [SYSTEM] if system else []
        runs.append((prefix + CHAT, None, True, {}))
        runs.append((prefix + CHAT + [REPLY], None, False, {}))
    if "tool" in source:
        runs.append((TOOL_CHAT, TOOLS, False, {}))
        runs.append(([SYSTEM] + TOOL_CHAT[:3], TOOLS, True, {}))
    if "think" in source:
        runs.append((THINK_CHAT, None, False, {}))
        runs.append((THINK_CHAT[:3], None, True, {"enable_thinking": False}))
        runs.append((THINK_CHAT[:3], None, True, {"enable_thinking": True}))
    if name.startswith("llama3.") or name == "smollm3":
        runs.append(([SYSTEM] + CHAT, None, True, {"date_string": "01 Jan 2030"}))
    out = []
    for messages, tools, gen, kwargs in runs:
        case = {"template": name, "messages": messages, "tools": tools, "add_generation_prompt": gen,
                "bos_token": bos, "eos_token": eos, "kwargs": kwargs}
        case.update(render(source, messages, tools, gen, bos, eos, kwargs))
        out.append(case)
    return out


def main():
    ctu.datetime = FixedDatetime
    sources = load_templates()
    os.makedirs(OUT_DIR, exist_ok=True)
    cases = []
    for name, source in sources.items():
        with open(os.path.join(OUT_DIR, name + ".jinja"), "w", encoding="utf-8") as f:
            f.write(source)
        cases += cases_for(name, source)
    meta = {"transformers": transformers.__version__, "jinja2": jinja2.__version__,
            "now": FIXED_NOW.isoformat() + "Z", "source": os.path.basename(SDIST)}
    with open(os.path.join(HERE, "chat_template_render_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum("error" in c for c in cases)
    print(f"{len(cases)} cases ({errors} raise_exception) over {len(sources)} templates", file=sys.stderr)


if __name__ == "__main__":
    main()
