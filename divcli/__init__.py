"""divcli: exact KL divergence, entropy and cross-entropy, from the shell or from Python.

The functions here give the same numbers as the command line::

    >>> from divcli import kl_divergence
    >>> round(kl_divergence([[9/25, 12/25, 4/25]], [[1/3, 1/3, 1/3]]), 10)
    0.0852996013

Wherever they take an array, they also take a path to a file in any format the command line reads
(``"p.csv"``, ``"x.npz:logits"``, a format added with :func:`divcli.readers.registry.register`), or a
literal such as ``"0.2,0.8"``.
"""

from __future__ import annotations

from .api import (
    compare,
    cross_entropy,
    distillation_loss,
    divergence_matrix,
    drift,
    entropy,
    js_divergence,
    kl_divergence,
    lm_report,
    mutual_information,
)

__all__ = ["kl_divergence", "cross_entropy", "entropy", "js_divergence", "compare", "divergence_matrix",
           "distillation_loss", "lm_report", "mutual_information", "drift", "DataError", "__version__"]


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
