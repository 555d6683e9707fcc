"""The names of the measures, without numpy: the command line checks them before importing it."""

from __future__ import annotations

import re

#: compare's keys in its order (the Rényi orders are chosen by --alpha; wasserstein_1 needs --ordered).
MEASURE_KEYS = ("kl_pq", "kl_qp", "jeffreys", "js_divergence", "js_distance", "total_variation", "hellinger",
                "bhattacharyya_coefficient", "bhattacharyya_distance", "chi2_pearson", "chi2_neyman",
                "cross_entropy", "entropy_p", "entropy_q", "perplexity_p", "perplexity_q", "wasserstein_1")

ALIASES = {"kl": "kl_pq", "js": "js_divergence", "jsd": "js_distance", "tv": "total_variation",
           "bc": "bhattacharyya_coefficient", "chi2": "chi2_pearson", "psi": "jeffreys"}

#: The operands of js and compare in messages: P, Q, then R, S, … (at most 11).
ROLES = "PQRSTUVWXYZ"

RENYI = re.compile(r"renyi_(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$")


def known(key: str) -> bool:
    """A key, an alias or ``renyi_α`` with a number α > 0."""
    if key in MEASURE_KEYS or key in ALIASES:
        return True
    return bool(RENYI.match(key)) and 0 < float(key[6:]) < float("inf")
