"""Checks of a block in the dtype it was read in: ``nan`` and ``±inf`` found without widening it.

numpy compares float16 one element at a time in software (``np.isnan`` of a float16 block takes
twice as long as widening it); its bits say the same in one integer pass: with the sign bit off, a
float16 is ``inf`` at ``0x7C00`` and ``nan`` above it. Other dtypes go to numpy as they are.
"""

from __future__ import annotations

import numpy as np

#: A float16 with its sign bit off: ``inf``, and the largest bits that are a number.
_HALF_MAGNITUDE, _HALF_INF = 0x7FFF, 0x7C00


def _half_top(values: np.ndarray) -> int:
    """The largest magnitude's bits among float16 ``values`` (above :data:`_HALF_INF`: a nan)."""
    return int(np.bitwise_and(values.view(np.uint16), _HALF_MAGNITUDE).max())


def has_nan(values: np.ndarray) -> bool:
    """True when ``values`` (any dtype; integers hold none) hold a nan."""
    if values.dtype.kind != "f" or values.size == 0:
        return False
    if values.dtype == np.float16:
        return _half_top(values) > _HALF_INF
    return bool(np.isnan(values).any())


def all_finite(values: np.ndarray) -> bool:
    """True when every one of ``values`` is a finite number (no nan, no ±inf)."""
    if values.dtype.kind != "f" or values.size == 0:
        return True
    if values.dtype == np.float16:
        return _half_top(values) < _HALF_INF
    return bool(np.isfinite(values).all())
