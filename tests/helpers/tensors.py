"""``.safetensors`` files written by tests: float64, float32 and float16 tensors by the safetensors
package's numpy API, bfloat16 (which numpy has no dtype for) and hostile headers byte by byte, in the
layout the format defines (an 8-byte little-endian header length, the JSON header, the data)."""

from __future__ import annotations

import json
import struct

import numpy as np

from helpers.extras import needs


def bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to bfloat16 (through float32, to nearest, ties to even, as torch rounds):
    their 16 bits."""
    wide = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((wide + 0x7FFF + ((wide >> 16) & 1)) >> 16).astype(np.uint16)


def bfloat16_values(bits: np.ndarray) -> np.ndarray:
    """The float64 value of each bfloat16 of ``bits``: the float32 whose upper half they are."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def raw_file(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    """A .safetensors file's bytes: ``header`` as JSON (padded with spaces to 8 bytes, as the
    package writes it), its ``length`` (or a wrong one), then ``data``."""
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def write_bfloat16(path, tensors: dict[str, np.ndarray]) -> str:
    """Write ``tensors`` (name → bfloat16 bits of any shape) as BF16 tensors; checked to read back as
    BF16 of that shape with the safetensors package's own reader."""
    header, data, offset = {}, b"", 0
    for name, bits in tensors.items():
        raw = np.ascontiguousarray(bits, dtype="<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(bits.shape), "data_offsets": [offset, offset + len(raw)]}
        data, offset = data + raw, offset + len(raw)
    with open(path, "wb") as handle:
        handle.write(raw_file(header, data))
    with needs("safetensors").safe_open(str(path), framework="numpy") as opened:
        for name, bits in tensors.items():
            part = opened.get_slice(name)
            assert (part.get_dtype(), tuple(part.get_shape())) == ("BF16", bits.shape)
    return str(path)


def write_tensors(path, tensors: dict[str, np.ndarray]) -> str:
    """Write numpy ``tensors`` (float64, float32, float16, integers) with safetensors' numpy API."""
    needs("safetensors.numpy").save_file({name: np.ascontiguousarray(array) for name, array in tensors.items()},
                                         str(path))
    return str(path)
