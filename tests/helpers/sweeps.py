"""The reference sweeps thinned for ``make test-fast``: tests marked ``sweep`` run every case of a
reference fixture under ``make test``, one case of each family under ``make test-fast``."""

from __future__ import annotations

import os

#: Set to ``sample`` (``make test-fast``): each test marked ``sweep`` runs its first case of each family
#: (the first word of the case's id: ``near``, ``kl``, ``large``…), not every case of the reference
#: fixtures; ``make test`` runs them all.
SWEEPS = "DIVCLI_TEST_SWEEPS"


def sampled() -> bool:
    """Whether the environment asks for one case of each family (:data:`SWEEPS` is ``sample``)."""
    return os.environ.get(SWEEPS) == "sample"


def sample(items) -> tuple[list, list]:
    """``items`` (collected tests) split into those kept, in their order, and those left out: of the
    parametrized tests marked ``sweep``, only the first case of each family of each test is kept."""
    kept, seen, left_out = [], set(), []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("sweep") is None or callspec is None:
            kept.append(item)
            continue
        family = (item.path, item.originalname, callspec.id.split("-")[0])
        (left_out if family in seen else kept).append(item)
        seen.add(family)
    return kept, left_out
