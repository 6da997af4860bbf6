#!/usr/bin/env python3
"""Generates and cross-checks the safetensors fixtures used by Tests/CheckpointsTests.

Run from anywhere (needs the `safetensors` and `numpy` packages; `torch` is optional):

    python Tests/Fixtures/generate_safetensors_fixture.py

(a) Writes `python_written.safetensors` with Python's safetensors: F32, F16 and BF16 tensors
    (BF16 through `safetensors.torch` when torch is installed, otherwise as numpy uint16 bit
    patterns handed to `safetensors.serialize_file`), I32/I64 tensors, a scalar, an empty tensor and
    `__metadata__`; and `python_written.expected.json` with the Float32 bit pattern every element
    must widen to. `SafeTensorsTests` loads the file and compares bit for bit.

(b) Loads `swift_written_f32.safetensors` and `swift_written_bf16.safetensors`, written by
    `SafeTensors.write` (the test `swiftWrittenFixturesAreCurrent` checks that the writer still
    produces them byte for byte; `TOKENALIGN_REGENERATE_FIXTURES=1 swift test --filter
    swiftWrittenFixturesAreCurrent` rewrites them), checks names, shapes, metadata and values against
    `SWIFT_WRITTEN` below (BF16 against PyTorch's own float32 -> bfloat16 rounding when torch is
    installed, else against an exact round-to-nearest-even computed here), and records what it saw in
    `swift_written.python-check.txt`, the committed proof that Python's safetensors reads our files.

Pass --without-torch to exercise the numpy-only path.
"""

import json
import os
import struct
import sys
from fractions import Fraction

import numpy as np
import safetensors
from safetensors import safe_open

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    if "--without-torch" in sys.argv:
        raise ImportError
    import torch
    import safetensors.torch
except ImportError:
    torch = None


def f32_from_bits(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def f32_bits(values):
    return np.asarray(values, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


# --------------------------------------------------------------------------------------------
# (a) A file written by Python's safetensors.

F16_BITS = [
    0x3C00,  # 1.0
    0xC000,  # -2.0
    0x7BFF,  # 65504, the largest half
    0x0001,  # 2^-24, the smallest subnormal
    0x03FF,  # the largest subnormal
    0x0400,  # 2^-14, the smallest normal
    0x8000,  # -0.0
    0x7C00,  # +inf
    0xFC00,  # -inf
    0x7E00,  # quiet NaN
    0x3555,  # 0.333251953125
    0x8200,  # negative subnormal
]
BF16_BITS = [
    0x3F80,  # 1.0
    0x8000,  # -0.0
    0x4049,  # 3.140625
    0x7F7F,  # the largest bfloat16
    0xFF7F,  # its negative
    0x0001,  # the smallest subnormal (2^-133)
    0x0080,  # the smallest normal (2^-126)
    0x7F80,  # +inf
    0xFF80,  # -inf
    0x7FC0,  # quiet NaN
    0x3DCD,  # 0.10009765625
    0xC2F7,  # -123.5
]
F32_VALUES = np.array([[0.0, -1.5, 0.1], [1e-3, -65504.0, 3.4028234663852886e38]], dtype=np.float32)
I32_VALUES = np.array([[1, 2], [-3, 2147483647]], dtype=np.int32)
I64_VALUES = np.array([0, 1, -5, 2**40, -(2**62)], dtype=np.int64)
# One key only: the Rust serializer keeps __metadata__ in a hash map, so the order of several keys
# (and with it the file's bytes) would change from run to run.
PY_METADATA = {"format": "pt"}


def write_python_fixture():
    f16 = np.array(F16_BITS, dtype=np.uint16).view(np.float16).reshape(3, 4)
    bf16_bits = np.array(BF16_BITS, dtype=np.uint16).reshape(2, 6)
    scalar = np.array(42.5, dtype=np.float32)
    empty = np.zeros((0, 3), dtype=np.float32)
    path = os.path.join(HERE, "python_written.safetensors")

    if torch is not None:
        tensors = {
            "f32.weight": torch.from_numpy(F32_VALUES),
            "f16.values": torch.from_numpy(f16.copy()),
            "bf16.values": torch.from_numpy(bf16_bits.astype(np.int16)).view(torch.bfloat16),
            "i32.ids": torch.from_numpy(I32_VALUES),
            "i64.positions": torch.from_numpy(I64_VALUES),
            "scalar": torch.from_numpy(scalar),
            "empty": torch.from_numpy(empty),
        }
        safetensors.torch.save_file(tensors, path, metadata=PY_METADATA)
    else:
        # numpy has no bfloat16: hand the raw bit patterns to the Rust serializer with dtype bfloat16.
        arrays = {
            "f32.weight": (F32_VALUES, "float32"),
            "f16.values": (f16, "float16"),
            "bf16.values": (bf16_bits, "bfloat16"),
            "i32.ids": (I32_VALUES, "int32"),
            "i64.positions": (I64_VALUES, "int64"),
            "scalar": (scalar, "float32"),
            "empty": (empty, "float32"),
        }
        arrays = {k: (a.copy(order="C"), d) for k, (a, d) in arrays.items()}  # keeps 0-d arrays 0-d
        specs = {
            k: safetensors.TensorSpec(dtype=d, shape=a.shape, data_ptr=a.ctypes.data, data_len=a.nbytes)
            for k, (a, d) in arrays.items()
        }
        safetensors.serialize_file(specs, path, metadata=PY_METADATA)

    expected = {
        "metadata": PY_METADATA,
        "tensors": {
            "f32.weight": {"dtype": "F32", "shape": [2, 3], "f32_bits": f32_bits(F32_VALUES)},
            "f16.values": {"dtype": "F16", "shape": [3, 4], "f32_bits": f32_bits(f16.astype(np.float32))},
            "bf16.values": {"dtype": "BF16", "shape": [2, 6], "f32_bits": [b << 16 for b in BF16_BITS]},
            "scalar": {"dtype": "F32", "shape": [], "f32_bits": f32_bits(scalar)},
            "empty": {"dtype": "F32", "shape": [0, 3], "f32_bits": []},
            "i32.ids": {"dtype": "I32", "shape": [2, 2], "integers": I32_VALUES.reshape(-1).tolist()},
            "i64.positions": {"dtype": "I64", "shape": [5], "integers": I64_VALUES.tolist()},
        },
    }
    for name, entry in expected["tensors"].items():
        if "f32_bits" in entry:  # readable values, for humans only; tests use the bits
            entry["values"] = [repr(f32_from_bits(b)) for b in entry["f32_bits"]]
    with open(os.path.join(HERE, "python_written.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes) with {'torch' if torch else 'numpy'}")


# --------------------------------------------------------------------------------------------
# (b) Files written by TokenAlign's SafeTensors.write. Keep in sync with `SwiftWrittenFixture` in
# Tests/CheckpointsTests/SafeTensorsTests.swift.

SWIFT_WRITTEN = {
    "a.weight": ([2, 3], [0.0, 1.0, -2.5, 0.1, 1e-3, -65504.0]),
    # 1 + 2^-8 and 1 + 3 * 2^-8 lie halfway between bfloat16 neighbours (ties go to even);
    # 1 + 2^-8 + 2^-23 lies just above halfway.
    "b.ties": ([4], [1.00390625, 1.01171875, -1.00390625, 1.0 + 2**-8 + 2**-23]),
    "c.special": ([5], [float("inf"), float("-inf"), float("nan"), -0.0, 3.4028234663852886e38]),
    # Float32 subnormals with bit patterns 0x00018000, 0x00008000 (both halfway) and 0x00000001.
    "d.subnormal": ([3], [f32_from_bits(0x00018000), f32_from_bits(0x00008000), f32_from_bits(1)]),
    "e.step": ([], [42.0]),
    "f.empty": ([0, 3], []),
}
SWIFT_METADATA = {
    "producer": "TokenAlign",
    "escapes": 'quote " backslash \\ newline \n tab \t bell \x07 accents é ✓',
}


def bf16_round_exact(value):
    """float32 -> bfloat16 bits, rounding to nearest with ties to even, by exact arithmetic."""
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    if value != value:
        return (bits >> 16) | 0x0040
    sign = bits & 0x80000000
    magnitude = abs(Fraction(value)) if value not in (float("inf"), float("-inf")) else None
    if magnitude is None:
        return bits >> 16
    lower = (bits & 0x7FFFFFFF) >> 16  # truncation toward zero, a bfloat16 magnitude pattern
    lower_value = abs(Fraction(f32_from_bits(lower << 16)))
    upper = lower + 1
    upper_value = Fraction(2) ** 128 if upper == 0x7F80 else abs(Fraction(f32_from_bits(upper << 16)))
    if magnitude - lower_value < upper_value - magnitude or (
        magnitude - lower_value == upper_value - magnitude and lower % 2 == 0
    ):
        chosen = lower
    else:
        chosen = upper
    return (sign >> 16) | chosen


def check_swift_written():
    lines = [
        f"Python {sys.version.split()[0]}, safetensors {safetensors.__version__}, numpy {np.__version__}, "
        + (f"torch {torch.__version__}" if torch else "no torch"),
    ]
    ok = True
    for dtype in ("f32", "bf16"):
        name = f"swift_written_{dtype}.safetensors"
        path = os.path.join(HERE, name)
        with open(path, "rb") as f:
            data = f.read()
        header_len = struct.unpack("<Q", data[:8])[0]
        lines.append(f"\n{name}: {len(data)} bytes, header {header_len} bytes (multiple of 8: {header_len % 8 == 0})")
        ok &= header_len % 8 == 0

        with safe_open(path, framework="np") as f:
            metadata = f.metadata()
            keys = list(f.keys())
        lines.append(f"  metadata: {json.dumps(metadata, sort_keys=True, ensure_ascii=False)}")
        ok &= metadata == SWIFT_METADATA and keys == sorted(SWIFT_WRITTEN)

        # deserialize() validates the whole file (offsets, coverage) and hands back raw bytes.
        raw = dict(safetensors.deserialize(data))
        for tensor_name, (shape, values) in sorted(SWIFT_WRITTEN.items()):
            entry = raw[tensor_name]
            expected_f32 = np.array(values, dtype=np.float32).reshape(shape)
            if dtype == "f32":
                got = np.frombuffer(bytes(entry["data"]), dtype="<f4").reshape(entry["shape"])
                match = entry["dtype"] == "F32" and got.view(np.uint32).tolist() == expected_f32.view(np.uint32).tolist()
                shown = [repr(float(x)) for x in got.reshape(-1)]
            else:
                got_bits = np.frombuffer(bytes(entry["data"]), dtype="<u2").reshape(-1).tolist()
                exact = [bf16_round_exact(float(v)) for v in expected_f32.reshape(-1)]
                match = entry["dtype"] == "BF16" and got_bits == exact
                if torch is not None:
                    via_torch = torch.from_numpy(expected_f32.copy()).to(torch.bfloat16).view(torch.int16)
                    torch_bits = [b & 0xFFFF for b in via_torch.reshape(-1).tolist()]
                    # torch's NaN pattern varies with its code path (0x7fc0 or 0xffff): any NaN will do.
                    is_nan = lambda b: (b & 0x7F80) == 0x7F80 and (b & 0x7F) != 0  # noqa: E731
                    match &= all(g == t or (is_nan(g) and is_nan(t)) for g, t in zip(got_bits, torch_bits))
                    loaded = safetensors.torch.load_file(path)[tensor_name].float().reshape(-1).tolist()
                    shown = [repr(x) for x in loaded]
                else:
                    shown = [repr(f32_from_bits(b << 16)) for b in got_bits]
                shown = [f"{s} (0x{b:04x})" for s, b in zip(shown, got_bits)]
            match &= list(entry["shape"]) == shape
            ok &= match
            lines.append(f"  {tensor_name} {entry['dtype']} {list(entry['shape'])}: [{', '.join(shown)}] {'ok' if match else 'MISMATCH'}")
    lines.append("\nall checks passed" if ok else "\nCHECKS FAILED")
    report = "\n".join(lines) + "\n"
    print(report, end="")
    with open(os.path.join(HERE, "swift_written.python-check.txt"), "w") as f:
        f.write(report)
    return ok


if __name__ == "__main__":
    write_python_fixture()
    if all(os.path.exists(os.path.join(HERE, f"swift_written_{d}.safetensors")) for d in ("f32", "bf16")):
        sys.exit(0 if check_swift_written() else 1)
    print("swift_written_*.safetensors not found: run the Swift tests with TOKENALIGN_REGENERATE_FIXTURES=1 first")
