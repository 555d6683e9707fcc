"""``divcli drift`` in the formats for programs: ``-f csv``, ``-f json`` and ``-q`` (the table for
people is :mod:`.drift_tables`), and the records all of them show.

- CSV: one record per column (every measure, the verdict, the counts; the measures without
  smoothing after); with ``--column`` one record per bin of that column.
- JSON: one object: what was asked, ``columns`` (a record per column, its measures without
  smoothing in ``unsmoothed``), and with ``--column`` that column's ``bins``.
- With ``--bootstrap`` every measure ``m`` of a column's record is followed by ``m_low`` and
  ``m_high``, its interval (empty or null where the column has not the measure), and JSON says how
  the intervals were made in ``bootstrap``. ``chi2_p_value`` and ``ks_p_value`` are filled with
  ``--p-values`` (SciPy; empty or null without it, and a warning says how to get it).
- ``-q``: the PSI of each column, one a line (with ``--column``, that column's).

Every number is written as the shortest text that reads back as the same float64; ``+inf`` as
``inf`` (CSV) or ``"inf"`` (JSON); a measure a column has not (W₁ of a categorical column) is
empty (CSV) or null (JSON).
"""

from __future__ import annotations

import csv

from ..computations.drift import BINNED, MEASURE_KEYS, ColumnDrift, DriftReport
from .csv import cell
from .json import dumps
from .registry import Sink
from .texts import number

#: How a value on an edge is binned, and how quantiles are taken (JSON's ``binning_rule``).
BINNING_RULE = ("closed on the right, (low, high]: a value on an edge falls in the bin below it; the outer "
                "bins are open; quantiles by numpy's default method (linear interpolation)")


def column_record(found: ColumnDrift, intervals: bool = False) -> dict:
    """A column's record: its name and kind, every measure (and its bootstrap interval, with
    ``intervals``), the p-values (None unless asked for), the verdict, the counts and bins."""
    missing = found.binning.missing
    record: dict = {"column": found.column, "kind": found.kind}
    for key in MEASURE_KEYS:
        record[key] = found.measures[key]
        if intervals:
            interval = found.intervals.get(key)
            record[f"{key}_low"] = None if interval is None else interval.low
            record[f"{key}_high"] = None if interval is None else interval.high
    record.update(chi2_p_value=found.p_values.get("chi2"), ks_p_value=found.p_values.get("ks"))
    record.update(verdict=found.verdict, n_reference=found.n_reference, n_current=found.n_current,
                  missing_reference=int(found.reference_counts[-1]) if missing else 0,
                  missing_current=int(found.current_counts[-1]) if missing else 0, n_bins=found.bins,
                  collapsed_edges=found.binning.edges.collapsed if found.binning.edges is not None else 0,
                  folded=sorted(found.binning.folded))
    return record


def bin_records(found: ColumnDrift) -> list[dict]:
    """One record per bin of a column: its label and bounds, both counts and shares, its PSI term."""
    terms = found.psi_terms()
    return [{"bin": label, "low": low, "high": high, "reference_count": int(found.reference_counts[index]),
             "current_count": int(found.current_counts[index]),
             "reference_share": float(found.reference_shares[index]),
             "current_share": float(found.current_shares[index]), "psi_term": float(terms[index])}
            for index, (label, (low, high)) in enumerate(zip(found.binning.labels(), found.binning.bounds()))]


def document(report: DriftReport) -> dict:
    """JSON's document."""
    settings = report.settings
    found = {
        "command": "drift",
        "unit": "nats",
        "psi": "Σ (c − r)·ln(c/r): Jeffreys' divergence D(R‖C) + D(C‖R), in nats",
        "reference": {"source": report.reference, "rows": report.reference_rows},
        "current": {"source": report.current, "rows": report.current_rows},
        "binning": "binned" if report.binned else settings.bins.text,
        "binning_rule": "the histograms' own bins, matched by name" if report.binned else BINNING_RULE,
        "smoothing": settings.smoothing.text,
        "thresholds": list(settings.thresholds),
    }
    if settings.bootstrap is not None:
        found["bootstrap"] = bootstrap_settings(report)
    found["columns"] = []
    for column in report.columns:
        record = column_record(column, settings.bootstrap is not None)
        record["unsmoothed"] = {key: column.unsmoothed[key] for key in BINNED}
        found["columns"].append(record)
    if report.focus is not None:
        found["column"] = report.focus
        found["bins"] = bin_records(report.column(report.focus))
    return found


def bootstrap_settings(report: DriftReport) -> dict:
    """JSON's ``bootstrap``: how the intervals were made, and the resamples that left a measure
    undefined (left out of its interval), where there were any."""
    asked = report.settings.bootstrap
    found = {"resamples": asked.resamples, "seed": asked.seed, "confidence": asked.confidence,
             "method": "percentile; both samples' rows resampled with replacement (numpy PCG64), counted in the "
                       "bins of the whole reference"}
    undefined = {column.column: {key: interval.undefined for key, interval in column.intervals.items()
                                 if interval.undefined} for column in report.columns}
    undefined = {name: counts for name, counts in undefined.items() if counts}
    if undefined:
        found["undefined"] = undefined
    return found


class DriftJson(Sink):
    def write(self, report: DriftReport) -> None:
        self.out.write(dumps(document(report)) + "\n")


class DriftCsv(Sink):
    """A record per column, or per bin of ``--column``'s column."""

    def write(self, report: DriftReport) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        if report.focus is not None:
            records = bin_records(report.column(report.focus))
        else:
            records = []
            for column in report.columns:
                record = column_record(column, report.settings.bootstrap is not None)
                record["folded"] = ";".join(record["folded"])
                record["smoothing"] = report.settings.smoothing.text or "none"
                record.update((f"{key}_unsmoothed", column.unsmoothed[key]) for key in BINNED)
                records.append(record)
        writer.writerow(list(records[0]))
        writer.writerows([cell(value) for value in record.values()] for record in records)


class DriftQuiet(Sink):
    """The PSI of each column, one a line (``--column``: that column's)."""

    def write(self, report: DriftReport) -> None:
        chosen = report.columns if report.focus is None else [report.column(report.focus)]
        self.out.write("".join(number(column.measures["psi"]) + "\n" for column in chosen))
