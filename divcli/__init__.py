"""divcli: exact KL divergence, entropy and cross-entropy, from the shell or from Python.

The functions here give the same numbers as the command line::

    >>> from divcli import kl_divergence
    >>> round(kl_divergence([[9/25, 12/25, 4/25]], [[1/3, 1/3, 1/3]]), 10)
    0.0852996013
"""

from __future__ import annotations


__all__ = ["kl_divergence", "cross_entropy", "entropy", "DataError", "__version__"]


def _operand(values, name: str):
    import numpy as np

    from .inputs import Operand

    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be one row or a 2-D array of rows, not {array.ndim}-D")
    return Operand(array, name)


def _options(p_as, q_as, reduction, base, tolerance, normalize, temperature, ignore_index=None,
             label_smoothing=0.0):
    import math

    from .core import Options
    from .kinds import Conversion, Kind
    from .numerics import Reduction
    from .report import LogBase

    base_value = math.e if base == "e" else float(base)
    return Options(
        p_kind=Kind(p_as), q_kind=Kind(q_as),
        reduction=Reduction(reduction) if reduction else None,
        base=LogBase(str(base), base_value),
        conversion=Conversion(tolerance=tolerance, normalize=normalize, temperature=temperature,
                              ignore_index=ignore_index),
        label_smoothing=label_smoothing,
    )


def kl_divergence(p, q, *, p_as="probs", q_as="probs", reduction="batchmean", base="e",
                  tolerance=1e-6, normalize=False, temperature=1.0):
    """D(P‖Q) = Σ p·log(p/q), reduced as torch's ``KLDivLoss(reduction=...)``; as ``divcli kl``."""
    from .core import compute
    from .report import Command

    options = _options(p_as, q_as, reduction, base, tolerance, normalize, temperature)
    return compute(Command.KL, _operand(p, "p"), _operand(q, "q"), options).value


def cross_entropy(p, q, *, p_as="probs", q_as="probs", reduction="mean", base="e", weight=None,
                  ignore_index=-100, label_smoothing=0.0, tolerance=1e-6, normalize=False, temperature=1.0):
    """H(P,Q) = −Σ p·log q as torch's ``F.cross_entropy``; as ``divcli ce``."""
    import numpy as np

    from .core import compute
    from .report import Command

    options = _options(p_as, q_as, reduction, base, tolerance, normalize, temperature,
                       ignore_index=ignore_index, label_smoothing=label_smoothing)
    weights = None if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    return compute(Command.CE, _operand(p, "p"), _operand(q, "q"), options, weights).value


def entropy(p, *, p_as="probs", reduction="mean", base="e", tolerance=1e-6, normalize=False, temperature=1.0):
    """H(P) = −Σ p·log p per row, as ``scipy.stats.entropy(P, axis=1)``; as ``divcli entropy``."""
    from .core import compute
    from .report import Command

    options = _options(p_as, "probs", reduction, base, tolerance, normalize, temperature)
    return compute(Command.ENTROPY, _operand(p, "p"), None, options).value


def __getattr__(name):
    if name == "__version__":  # read lazily: importlib.metadata costs more than the rest of start-up
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("divcli")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    if name == "DataError":
        from .errors import DataError

        return DataError
    raise AttributeError(name)
