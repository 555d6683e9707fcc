"""Checks of a block in the dtype it was read in: ``nan`` and ``±inf`` found without widening it.

numpy compares float16 one element at a time in software (``np.isnan`` of a float16 block takes
twice as long as widening it); its bits say the same in one integer pass: with the sign bit off, a
float16 is ``inf`` at ``0x7C00`` and ``nan`` above it. Other dtypes go to numpy as they are.

bfloat16 (a float32's upper 16 bits: what language models are run in) has no numpy dtype; a block
of it is kept as its bits, a uint16 array of the dtype :data:`BFLOAT16_BITS` (uint16 tagged in its
``metadata``, which slices, views of the block and copies keep). :func:`is_bfloat16` tells it apart
(ml_dtypes' own ``bfloat16`` too), :func:`as_float64` widens it exactly (bits << 16 read as a
float32), and the checks read its bits as they read float16's: ``inf`` at ``0x7F80``, ``nan`` above.
"""

from __future__ import annotations

import numpy as np

#: A float16 with its sign bit off: ``inf``, and the largest bits that are a number.
_HALF_MAGNITUDE, _HALF_INF = 0x7FFF, 0x7C00
#: The same for bfloat16.
_BRAIN_INF = 0x7F80

#: bfloat16 values as their bits: uint16, tagged (numpy has no bfloat16).
BFLOAT16_BITS = np.dtype(np.uint16, metadata={"divcli": "bfloat16"})


def is_bfloat16(dtype: np.dtype) -> bool:
    """True for bfloat16 values: bits of :data:`BFLOAT16_BITS`, or ml_dtypes' ``bfloat16``."""
    return dtype.name == "bfloat16" or (dtype.metadata or {}).get("divcli") == "bfloat16"


#: bfloat16 values widened at a time: their float32 (128 KiB) stays in the allocator's reused memory,
#: where one as large as a block would be fresh pages, faulted in each time (a third more CPU).
_WIDEN_CHUNK = 1 << 15


def as_float64(values: np.ndarray) -> np.ndarray:
    """``values`` in float64, exactly (``values`` itself when it is float64): bfloat16 bits widened
    as the float32 whose upper half they are."""
    if values.dtype == np.float64 or not is_bfloat16(values.dtype):
        return np.asarray(values, dtype=np.float64)
    out = np.empty(values.shape, dtype=np.float64)
    bits, flat = np.ascontiguousarray(values).reshape(-1), out.reshape(-1)
    for start in range(0, bits.size, _WIDEN_CHUNK):
        flat[start:start + _WIDEN_CHUNK] = as_float32(bits[start:start + _WIDEN_CHUNK])
    return out


def as_float32(values: np.ndarray) -> np.ndarray:
    """bfloat16 ``values`` (their bits, or ml_dtypes' dtype) as float32, exactly."""
    wide = np.ascontiguousarray(values).view(np.uint16).astype(np.uint32)
    wide <<= 16  # in place: one array of 4 bytes a value, no other
    return wide.view(np.float32)


def comparable(values: np.ndarray) -> np.ndarray:
    """``values`` as numpy compares them (``isnan``, ``== inf``): bfloat16 bits as float32, exactly;
    every other dtype as it is."""
    return as_float32(values) if values.dtype.kind == "u" and is_bfloat16(values.dtype) else values


def _top(values: np.ndarray) -> int:
    """The largest magnitude's bits among float16 or bfloat16 ``values`` (above their inf: a nan)."""
    return int(np.bitwise_and(values.view(np.uint16), _HALF_MAGNITUDE).max())


def _sixteen_bit_inf(values: np.ndarray) -> int | None:
    """The bits of inf when ``values`` are float16 or bfloat16 bits, else None."""
    if values.dtype == np.float16:
        return _HALF_INF
    return _BRAIN_INF if values.dtype.itemsize == 2 and is_bfloat16(values.dtype) else None


def has_nan(values: np.ndarray) -> bool:
    """True when ``values`` (any dtype; integers hold none) hold a nan."""
    inf = _sixteen_bit_inf(values)
    if values.size == 0 or (inf is None and values.dtype.kind != "f"):
        return False
    if inf is not None:
        return _top(values) > inf
    return bool(np.isnan(values).any())


def all_finite(values: np.ndarray) -> bool:
    """True when every one of ``values`` is a finite number (no nan, no ±inf)."""
    inf = _sixteen_bit_inf(values)
    if values.size == 0 or (inf is None and values.dtype.kind != "f"):
        return True
    if inf is not None:
        return _top(values) < inf
    return bool(np.isfinite(values).all())
