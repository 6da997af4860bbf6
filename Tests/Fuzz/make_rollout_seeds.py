"""Writes the seed corpus of the `rollouts` fuzz target (Tests/Fuzz/corpus/rollouts/): rollout blocks
in the wire layout of Sources/OnlineRL/RolloutSample+Wire.swift (little-endian Int64 integers and
length prefixes, Float32 bit patterns, one byte per Bool). Run once: python3 Tests/Fuzz/make_rollout_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "corpus", "rollouts")


class W:
    def __init__(self):
        self.b = bytearray()

    def int(self, v): self.b += struct.pack("<q", v)
    def float(self, v): self.b += struct.pack("<f", v)
    def bool(self, v): self.b += bytes([1 if v else 0])
    def ints(self, v): self.int(len(v)); [self.int(x) for x in v]
    def floats(self, v): self.int(len(v)); [self.float(x) for x in v]
    def string(self, s): u = s.encode(); self.int(len(u)); self.b += u

    def optional_floats(self, v):
        self.bool(v is not None)
        if v is not None: self.floats(v)

    def optional_float(self, v):
        self.bool(v is not None)
        if v is not None: self.float(v)


def sample(w, prompt_index, group, prompt, ids, rewards=None, advantages=(), old=None, ref=None, values=None,
           returns=(), baseline=None, text="x", logps=None):
    n = len(ids)
    w.int(prompt_index); w.int(group); w.ints(prompt); w.ints(ids)
    w.floats(logps if logps is not None else [-1.0] * n); w.floats([0.5] * n); w.bool(False); w.string(text)
    w.floats(rewards if rewards is not None else [0.0] * n); w.floats(list(advantages)); w.optional_floats(old)
    w.optional_floats(ref); w.optional_floats(values); w.floats(list(returns)); w.optional_float(baseline); w.bool(True)


def block(samples, functions):
    w = W()
    w.int(len(samples))
    for s in samples: sample(w, **s)
    w.int(len(functions))
    for name, vals in functions:
        w.string(name); w.floats(vals)
    return bytes(w.b)


def main():
    os.makedirs(OUT, exist_ok=True)
    a = dict(prompt_index=0, group=0, prompt=[5, 6, 7], ids=[10, 11, 12], rewards=[0, 0, 1.0], text=" 42")
    b = dict(prompt_index=0, group=0, prompt=[5, 6, 7], ids=[13, 2], rewards=[0, -1.0], old=[-1.0, -2.0], ref=[-1.1, -2.1],
             values=[0.1, 0.2], returns=[0.5, -1.0], baseline=0.25)
    c = dict(prompt_index=7, group=1, prompt=[9], ids=[], rewards=[], text="")
    seeds = {
        "valid-grpo-block": block([a, b], [("exact-match", [1.0, -1.0])]),
        "valid-ppo-block": block([b, dict(b, group=1, prompt_index=3)], [("length", [0.0, 0.5]), ("exact-match", [0.0, 1.0])]),
        "valid-empty-completion": block([c], []),
        "valid-no-samples": block([], []),
        "seed-negative-count": struct.pack("<q", -3),
        "seed-prompt-index-outside": block([dict(a, prompt_index=8)], []),
        "seed-token-outside-vocabulary": block([dict(a, ids=[10, 1 << 40, 12])], []),
        "seed-lengths-disagree": block([dict(a, logps=[-1.0])], []),
        "seed-function-count-mismatch": block([a], [("exact-match", [1.0, 2.0])]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
