"""The rows a measure of :mod:`divcli.measures.kernels` reads: a :class:`Pair` of P's and Q's rows, as
probabilities and logs, as the accurate kernels' rows, or as numba's fused kernel reads them
(:class:`Fused`), each made when a measure first asks for it; and what the fused kernel's passes give.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from ..numerics import accurate, fast_path
from ..numerics.distributions import Distribution


@dataclass(frozen=True)
class Fused:
    """The operands of a :class:`Pair` as numba's fused kernel reads them (where it takes them,
    :func:`~divcli.numerics.fast_path.takes`): row k of the pair is P's row ``p_rows[k]`` against
    Q's row ``q_rows[k]``."""

    p: Distribution
    q: Distribution
    p_rows: np.ndarray
    q_rows: np.ndarray

    @classmethod
    def of(cls, p: Distribution, q: Distribution, rows: int) -> "Fused | None":
        """``rows`` rows of P and Q (an operand of one row serves every row), or None where the fused
        kernel does not take them, and where a temperature softens either (its pass for the other
        measures, ``fused_mixture``, reads the rows as given: those stay on numpy's kernels)."""
        if p.tempered or q.tempered or not fast_path.takes(p, q):
            return None
        every = np.arange(rows)
        return cls(p, q, np.zeros_like(every) if p.rows == 1 else every, np.zeros_like(every) if q.rows == 1 else every)

    def swapped(self) -> "Fused":
        return Fused(self.q, self.p, self.q_rows, self.p_rows)

    def divergence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D(P‖Q), H(P) and H(P,Q) per row, in nats."""
        rows = self.p_rows.shape[0]
        kl, entropy, cross = np.zeros(rows), np.zeros(rows), np.zeros(rows)
        fast_path.divergence_rows(self.p, self.q, self.p_rows, self.q_rows, np.arange(rows), kl, entropy, cross)
        return kl, entropy, cross

    def mixture(self, orders: tuple[float, ...]) -> "Mixture":
        """JS, TV, BC, Hellinger², χ² both ways and the Rényi sums of the ``orders`` per row, in one pass."""
        return Mixture(fast_path.mixture_rows(self.p, self.q, self.p_rows, self.q_rows, orders), orders)


@dataclass(frozen=True)
class Mixture:
    """What the fused kernel's pass for compare's other measures gives (``fused_mixture``), one row per
    row pair: ``values``' columns JS (nats), TV, BC, ½ Σ (√p − √q)², χ² Pearson, χ² Neyman, then
    log Σ p^α·q^(1−α) for each of ``orders``."""

    values: np.ndarray
    orders: tuple[float, ...]

    def column(self, index: int) -> np.ndarray:
        return self.values[:, index]

    def log_sum(self, alpha: float) -> np.ndarray | None:
        """log Σ p^α·q^(1−α) per row, or None where α was not among the orders."""
        return self.values[:, _MIXTURE_COLUMNS + self.orders.index(alpha)] if alpha in self.orders else None


#: The columns of :class:`Mixture` before its Rényi sums: JS, TV, BC, Hellinger², χ² Pearson, χ² Neyman.
JS, TV, BC, HELLINGER2, CHI2_PEARSON, CHI2_NEYMAN = range(6)
_MIXTURE_COLUMNS = 6


class Pair:
    """Rows of P and Q as probabilities and logs (broadcast to the same shape), and, where the
    operands are at hand, the same rows for the accurate kernels (KL, JS, TV, H and CE use them),
    and for numba's fused kernel (``fused``: KL, H and CE come from it, all three in one pass; JS, TV,
    BC, Hellinger, χ² and the Rényi divergences of :attr:`orders` from its other pass, :attr:`mixture`).

    The rows are given, or made when a measure first asks for them (``plain``: a function that
    returns ``(p, log p, q, log q)``; ``accurate_rows``: one that returns ``(exact_p, exact_q)``), so that
    a set of measures that never reads the plain rows (``js``) never makes them."""

    def __init__(self, p: np.ndarray | None = None, log_p: np.ndarray | None = None, q: np.ndarray | None = None,
                 log_q: np.ndarray | None = None, exact_p: accurate.Rows | None = None,
                 exact_q: accurate.Rows | None = None, fused: Fused | None = None, *,
                 plain: Callable[[], tuple] | None = None, accurate_rows: Callable[[], tuple] | None = None):
        self._plain = plain or (lambda: (p, log_p, q, log_q))
        self._accurate = accurate_rows or (None if exact_p is None else lambda: (exact_p, exact_q))
        self.fused = fused
        #: the Rényi orders the fused kernel's :attr:`mixture` computes (½ always: the Bhattacharyya distance)
        self.orders: tuple[float, ...] = (0.5,)

    @cached_property
    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self._plain()

    @property
    def p(self) -> np.ndarray:
        return self._rows[0]

    @property
    def log_p(self) -> np.ndarray:
        return self._rows[1]

    @property
    def q(self) -> np.ndarray:
        return self._rows[2]

    @property
    def log_q(self) -> np.ndarray:
        return self._rows[3]

    @property
    def exact(self) -> bool:
        """True when the rows for the accurate kernels are at hand."""
        return self._accurate is not None

    @cached_property
    def _exact_rows(self) -> tuple[accurate.Rows, accurate.Rows]:
        return self._accurate()

    @property
    def exact_p(self) -> accurate.Rows | None:
        return self._exact_rows[0] if self.exact else None

    @property
    def exact_q(self) -> accurate.Rows | None:
        return self._exact_rows[1] if self.exact else None

    @cached_property
    def ratio(self) -> np.ndarray:
        """log(p/q) per element, accurately."""
        return accurate.log_ratio(self.exact_p, self.exact_q)

    @cached_property
    def swapped(self) -> "Pair":
        """The same rows with P and Q swapped; its own :attr:`swapped` is this pair, so that what either
        computes (D(Q‖P) for Jeffreys and the reverse KL, H(Q) for its perplexity) is computed once."""
        other = Pair(fused=None if self.fused is None else self.fused.swapped(),
                     plain=lambda: (self.q, self.log_q, self.p, self.log_p),
                     accurate_rows=(lambda: (self.exact_q, self.exact_p)) if self.exact else None)
        other.__dict__["swapped"] = self  # what the cached property would have stored
        return other

    def release(self) -> None:
        """Drop the link to :attr:`swapped`, which holds this pair in turn: a cycle that only Python's
        garbage collector would free, keeping every block's arrays (2.4 GB for compare on 2000 ×
        32000 logits) until it ran; without it, the pair's arrays go as soon as it is dropped."""
        self.__dict__.pop("swapped", None)

    @cached_property
    def divergence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D(P‖Q), H(P) and H(P,Q) per row from the fused kernel (only where :attr:`fused` is given)."""
        return self.fused.divergence()

    @cached_property
    def mixture(self) -> Mixture:
        """JS, TV, BC, Hellinger², χ² and the Rényi sums of :attr:`orders` from the fused kernel (only where
        :attr:`fused` is given), all in one pass."""
        return self.fused.mixture(self.orders)

    @cached_property
    def inside(self) -> bool:
        """True when every probability of both rows is above 0 and every log finite (no class is 0 or
        underflows on either side): χ² and Rényi then need none of their zero conventions."""
        with np.errstate(invalid="ignore"):
            return bool((self.p > 0).all() and (self.q > 0).all()
                        and (self.log_p > -np.inf).all() and (self.log_q > -np.inf).all())

    @cached_property
    def squared_difference(self) -> np.ndarray:
        """(p − q)² per element, for both χ² (the same numbers as (q − p)²)."""
        return np.square(self.p - self.q)

    @cached_property
    def known(self) -> dict[str, np.ndarray]:
        """The values of the :func:`~divcli.measures.kernels.shared` kernels computed for this pair so far, by name."""
        return {}
