"""``divcli matrix`` and :func:`divcli.divergence_matrix`: a measure between every pair of rows of
one operand, computed here for both."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..measures.catalogue import Measure, check_matrix_size
from ..measures.kernels import pairwise
from ..numerics.distributions import to_distribution
from ..numerics.plain import log_base
from ..readers.operand import Operand
from ..vocabulary import Options


def pairwise_matrix(operand: Operand, measure: Measure, options: Options, max_terms: float | None = None,
                    warn: Callable[[str], None] = lambda message: None) -> tuple[np.ndarray, float]:
    """The N × N matrix of ``measure`` between the rows of ``operand`` (read as ``options.p_kind``)
    and the largest |Σ − 1| of the rows divided by their sums. A matrix of more than ``max_terms``
    terms is refused before anything is computed (:func:`~divcli.measures.catalogue.check_matrix_size`);
    the operand's warnings go to ``warn`` once it is read as distributions, before the long part."""
    check_matrix_size(operand.rows, operand.shape[1], operand.where(), max_terms)
    distribution = to_distribution(operand, options.p_kind, "P", options.conversion)
    for message in operand.warnings:
        warn(message)
    values = pairwise(distribution.p, distribution.log_p, measure, log_base(options.base.value),
                      distribution.exact_rows(), distribution)
    return values, distribution.deviation
