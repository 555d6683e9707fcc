"""drift as a function: how far a current sample has moved from a reference one, column by column,
the numbers of ``divcli drift -f json`` (:mod:`divcli.computations.drift` computes them)."""

from __future__ import annotations

import math
import os

from .operands import column_choice, python_warning

def drift(reference, current, *, bins="quantile:10", categorical=None, min_share=0.0, pseudocount=None,
          epsilon=None, thresholds=(0.1, 0.25), p_values=False, bootstrap=None, seed=None, ci=None,
          binned=False, select=None, drop=None, delimiter=None) -> dict:
    """Drift between two samples, column by column: PSI, D(R‖C), D(C‖R), the JS distance, Hellinger,
    W₁ and KS (numeric columns), χ² (categorical ones) and a verdict; as ``divcli drift``.

    Numeric columns are binned at the reference's edges, categorical ones counted per category,
    missing values in a bin of their own; PSI = Σ (c − r)·ln(c/r), in nats.

    Parameters
    ----------
    reference, current : str or mapping
        Files of raw samples, a row an observation (CSV, TSV, JSON Lines, ``.npy``, Parquet), or
        mappings of column name → values (a dict of arrays or lists, a pandas ``DataFrame``): numbers
        with NaN or None where missing, or text.
    bins : str or sequence of float
        ``"quantile:10"`` (default), ``"uniform:N"``, ``"fd"``, ``"edges:E1,E2,…"``, or the edges.
    categorical : str or sequence of str, optional
        The columns counted per category (text or integer codes); text columns always are.
    min_share : float
        Fold categories below this share on both sides into ``(other)``.
    pseudocount, epsilon : float, optional
        Smooth empty bins (one of them): add A to every bin's count, or floor every share at E.
    thresholds : (float, float)
        PSI below the first is "stable", up to the second "moderate", above it "major".
    p_values : bool
        χ²'s p-value for categorical columns, Kolmogorov–Smirnov's for numeric ones (SciPy).
    bootstrap : int, optional
        Resample both samples' rows this many times: a ``<measure>_low``, ``<measure>_high`` per measure.
    seed, ci : optional
        The resamples' seed (default 0: the same seed, the same intervals) and confidence level
        (default 0.95); only with ``bootstrap``.
    binned : bool
        ``reference`` and ``current`` are histograms (``bin,count``), matched by bin name.
    select, drop : str or sequence of str, optional
        The columns to compare, or to leave out, as ``--select`` and ``--drop``.
    delimiter : str, optional
        The text files' delimiter (default: by extension, sniffed for ``.txt``).

    Returns
    -------
    dict
        Column name → its record, keyed as each of ``divcli drift -f json``'s ``columns`` (``psi``,
        ``kl_ref_cur``, …, ``verdict``, ``n_reference``, ``unsmoothed``; None for a measure a column
        has not). +inf where a bin is empty on one side only (a warning says where).
    """
    from ..computations.drift import DriftSettings
    from ..output.drift_output import document

    rule = _bin_rule(bins)
    _check(binned, categorical, min_share, pseudocount, epsilon, select, drop)
    if binned and bootstrap is not None:
        raise ValueError("bootstrap is for raw samples: binned=True reads histograms already binned")
    settings = DriftSettings(rule, _names(categorical), float(min_share), pseudocount, epsilon,
                             _thresholds(thresholds), bool(p_values), _resampling(bootstrap, seed, ci))
    report = _report(reference, current, settings, binned, column_choice(select, drop), delimiter)
    return {record["column"]: record for record in document(report)["columns"]}


def _report(reference, current, settings, binned: bool, choice, delimiter):
    """Both samples read (files whole, or a piece at a time when larger than memory; mappings as
    given), then every column's drift."""
    warn = python_warning
    if binned:
        from ..computations.drift_binned import binned_drift
        from .operands import operand

        return binned_drift(operand(reference, "reference"), operand(current, "current"), settings, warn)
    specs = [os.fspath(side) if isinstance(side, (str, os.PathLike)) else None for side in (reference, current)]
    if all(specs):
        from ..computations.drift_stream import files_drift

        return files_drift(tuple(specs), (None, None), delimiter, choice, settings, warn)
    from ..computations.drift import drift as compute_drift

    samples = [_samples(side, spec, name, delimiter, choice)
               for side, spec, name in zip((reference, current), specs, ("reference", "current"))]
    return compute_drift(samples[0], samples[1], settings, warn)


def _samples(value, spec, name: str, delimiter, choice):
    """One side's samples: a file read as the command line reads it, or a mapping of columns."""
    if spec is not None:
        from ..readers.samples import read_samples

        return read_samples(spec, None, delimiter, choice)
    if not hasattr(value, "items"):
        raise ValueError(f"{name} is a file of samples or a mapping of column name → values "
                         f"(a dict, a DataFrame), not {type(value).__name__}")
    from ..readers.sample_records import SampleColumn, Samples

    columns = [SampleColumn(str(key), _cells(cells, name, key), index + 1)
               for index, (key, cells) in enumerate(value.items())]
    lengths = {len(column.cells) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"{name}'s columns are not of one length: {sorted(lengths)}")
    samples = Samples(name, columns, lengths.pop() if lengths else 0)
    picked = choice.resolve(samples.names, len(columns), name) if columns else None
    if picked is not None:
        samples = Samples(name, [columns[index] for index in picked.keep], samples.rows)
    return samples


def _cells(values, name: str, key):
    """A column as the readers keep it: float64 with NaN where missing, or objects with None there."""
    import numpy as np

    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name}[{key!r}] is one value per row, not an array of shape {array.shape}")
    if array.dtype.kind in "biuf":
        return array.astype(np.float64)
    return np.array([None if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell
                     for cell in array.tolist()], dtype=object)


def _bin_rule(bins):
    from ..numerics.binning import BinRule

    if isinstance(bins, BinRule):
        return bins
    if not isinstance(bins, str):
        bins = "edges:" + ",".join(repr(float(edge)) for edge in bins)
    return BinRule.parse(bins)  # a ValueError saying why


def _names(categorical) -> tuple[str, ...]:
    from ..readers.columns import split_items

    if categorical is None:
        return ()
    return split_items(categorical) if isinstance(categorical, str) else tuple(str(name) for name in categorical)


def _check(binned, categorical, min_share, pseudocount, epsilon, select, drop) -> None:
    """What the command line refuses before reading (exit 2 there), as ValueErrors."""
    given = {"categorical": categorical is not None, "min_share": min_share != 0, "select": select is not None,
             "drop": drop is not None}
    stray = next((name for name, present in given.items() if present), None)
    if binned and stray:
        raise ValueError(f"{stray} is for raw samples: binned=True reads histograms already binned")
    if not 0 <= min_share <= 1:
        raise ValueError(f"min_share is a share from 0 to 1, not {min_share!r}")
    if pseudocount is not None and epsilon is not None:
        raise ValueError("pseudocount and epsilon are two ways to smooth empty bins: give one of them")
    if pseudocount is not None and not pseudocount > 0:
        raise ValueError(f"pseudocount is a count > 0, such as 0.5, not {pseudocount!r}")
    if epsilon is not None and not 0 < epsilon < 1:
        raise ValueError(f"epsilon is a share in (0, 1), such as 1e-4, not {epsilon!r}")


def _thresholds(thresholds) -> tuple[float, float]:
    """PSI's two thresholds A ≤ B of the verdict, both finite and ≥ 0."""
    try:
        low, high = (float(value) for value in thresholds)
    except (TypeError, ValueError):
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
        raise ValueError(f"thresholds are two numbers A, B with 0 ≤ A ≤ B, such as (0.1, 0.25), not {thresholds!r}")
    return low, high


def _resampling(bootstrap, seed, ci):
    """The bootstrap asked for (None: none); ``seed`` and ``ci`` set it, so they need it."""
    if bootstrap is None:
        for name, value in (("seed", seed), ("ci", ci)):
            if value is not None:
                raise ValueError(f"{name} sets the bootstrap's intervals: give bootstrap=N too, such as bootstrap=1000")
        return None
    from ..computations.bootstrap import Resampling
    from ..engine.threads import available_cpus

    seed = 0 if seed is None else seed
    for name, value in (("bootstrap", bootstrap), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "bootstrap" else 0):
            raise ValueError(f"{name} is a whole number ≥ {1 if name == 'bootstrap' else 0}, not {value!r}")
    ci = 0.95 if ci is None else ci
    if not 0 < ci <= 1:
        raise ValueError(f"ci is a confidence level in (0, 1], such as 0.95, not {ci!r}")
    return Resampling(bootstrap, seed, float(ci), available_cpus())
