"""``divcli lm``'s table for people (Rich): what was compared, the positions (the first and last with
``--reduction row``, the worst with ``--top`` and the tokens behind their KL), then the statistics:
D(P‖Q) per position and its histogram (:mod:`.lm_histogram`), the same top token, with labels the
perplexities and Δp, and the other measures of ``--measures`` (:mod:`.lm_measures`). Numbers are
formatted before they go in."""

from __future__ import annotations

import json
from collections import deque

from ..computations.lm_topk import ListedContext
from ..errors import printable
from .lm_histogram import histogram_table
from .lm_measures import measures_table
from .lm_tokens import tokens_table
from .lm_listed import TITLE, listed_heading
from .records import records
from .registry import Sink
from .texts import fmt, renormalised_texts

#: Positions above this show the first and last half of them only (``--reduction row``).
TABLE_POSITIONS = 20

#: The rows of the KL table: (title, key of the statistics).
KL_ROWS = (("maximum", "kl_max"), ("99.9%", "kl_p99_9"), ("99%", "kl_p99"), ("95%", "kl_p95"), ("90%", "kl_p90"),
           ("median", "kl_median"), ("10%", "kl_p10"), ("5%", "kl_p5"), ("1%", "kl_p1"), ("0.1%", "kl_p0_1"),
           ("minimum", "kl_min"))
#: The rows of the Δp table after its mean and RMS.
DELTA_P_ROWS = (("maximum", "delta_p_max"), ("99.9%", "delta_p_p99_9"), ("99%", "delta_p_p99"),
                ("95%", "delta_p_p95"), ("90%", "delta_p_p90"), ("75%", "delta_p_p75"), ("median", "delta_p_median"),
                ("25%", "delta_p_p25"), ("10%", "delta_p_p10"), ("5%", "delta_p_p5"), ("1%", "delta_p_p1"),
                ("0.1%", "delta_p_p0_1"), ("minimum", "delta_p_min"))


def _with_error(value, error) -> str:
    """``value ± error``, or the value alone when it has no standard error (one position)."""
    return fmt(value) if error is None else f"{fmt(value)} ± {fmt(error)}"


def _percent(value) -> str:
    return "—" if value is None else f"{100 * value:.3f}%"


def _percent_with_error(value, error) -> str:
    return _percent(value) if error is None else f"{_percent(value)} ± {_percent(error)}"


def _worst_title(count: int) -> str:
    """The --top table's title: ``the position of largest D(P‖Q)``, ``the 3 positions of …``."""
    return f"the {'position' if count == 1 else f'{count} positions'} of largest D(P‖Q)"


def _table(title: str, rows: list[tuple[str, str]]):
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_edge=False, min_width=len(title))  # the title on one line
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(Text(name), Text(value))
    return table


def kl_table(statistics: dict):
    """D(P‖Q) per position: mean ± SE, the percentiles, and the share of the same top token."""
    rows = [("mean", _with_error(statistics["kl_mean"], statistics["kl_se"]))]
    rows += [(name, fmt(statistics[key])) for name, key in KL_ROWS]
    rows.append(("same top token", _percent_with_error(statistics["same_top"], statistics["same_top_se"])))
    return _table("D(P‖Q) per position, in nats", rows)


def perplexity_table(statistics: dict):
    """PPL(P), PPL(Q), the correlation of ln PPL per position, their ratio and difference."""
    s = statistics
    rows = [("PPL(P)", _with_error(s["ppl_p"], s["ppl_p_se"])), ("PPL(Q)", _with_error(s["ppl_q"], s["ppl_q_se"])),
            ("Cor(ln PPL(P), ln PPL(Q))", _percent(s["ln_ppl_correlation"])),
            ("mean ln(PPL(Q)/PPL(P))", _with_error(s["ln_ppl_ratio"], s["ln_ppl_ratio_se"])),
            ("PPL(Q)/PPL(P)", _with_error(s["ppl_ratio"], s["ppl_ratio_se"])),
            ("PPL(Q) − PPL(P)", _with_error(s["ppl_diff"], s["ppl_diff_se"]))]
    return _table("perplexity of the labels", rows)


def delta_p_table(statistics: dict):
    """Δp = q(label) − p(label), in percentage points: mean, RMS, the percentiles."""
    s = statistics
    rows = [("mean", _percent_with_error(s["delta_p_mean"], s["delta_p_se"])),
            ("RMS", _percent_with_error(s["delta_p_rms"], s["delta_p_rms_se"]))]
    rows += [(name, _percent(s[key])) for name, key in DELTA_P_ROWS]
    return _table("Δp = q(label) − p(label)", rows)


def _token(token) -> str:
    """A token id as it is; a token's text (top-k inputs) quoted, so that its spaces show."""
    return str(token) if isinstance(token, int) else printable(json.dumps(token, ensure_ascii=False))


def positions_table(title: str, rows: list[dict | None], labels: bool, left_out: int = 0, ranked: bool = False,
                    measures: tuple = ()):
    """The positions given (None: the ``left_out`` ones in between), with the ``measures``' values."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_edge=False, min_width=len(title))
    batched = any(record is not None and "batch" in record for record in rows)  # a 3-D input's
    names = (["rank"] if ranked else []) + ["position"] + (["batch", "sequence"] if batched else [])
    names += ["D(P‖Q)", "top P", "top Q", "same"]
    names += ["label", "p(label)", "q(label)", "Δp"] if labels else []
    names += [measure.key for measure in measures]
    for name in names:
        table.add_column(name, justify="left" if name == "same" else "right")
    for rank, record in enumerate(rows, start=1):
        if record is None:
            table.add_row(f"⋮ {left_out} positions", *[""] * (len(names) - 1))
            continue
        cells = ([str(rank)] if ranked else []) + [str(record["position"])]
        cells += [str(record["batch"]), str(record["sequence"])] if batched else []
        cells += [fmt(record["kl_divergence"]), _token(record["p_top"]), _token(record["q_top"]),
                  "yes" if record["same_top"] else "no"]
        if labels:
            cells += [_token(record["label"]), fmt(record["p_label"]), fmt(record["q_label"]), fmt(record["delta_p"])]
        cells += [fmt(record[measure.key]) for measure in measures]
        table.add_row(*map(Text, cells))
    return table


class LmTable(Sink):
    """The table: the heading, the positions shown, the statistics. Keeps only the positions shown
    (the first and last :data:`TABLE_POSITIONS` ÷ 2), so a table of any input fits in memory."""

    for_people = True

    def __init__(self, out, console):
        super().__init__(out, console)
        self.head: list[dict] = []
        self.tail: deque = deque(maxlen=TABLE_POSITIONS // 2)

    def rows(self, block) -> None:
        if not block.per_position:
            return
        self.head += records(block, range(min(block.rows, TABLE_POSITIONS - len(self.head))))
        self.tail.extend(records(block, range(max(0, block.rows - self.tail.maxlen), block.rows)))

    def finish(self, summary) -> None:
        console, context, statistics = self.console, summary.context, summary.statistics
        labels = context.labels is not None
        _heading(summary, console)
        if context.per_position:
            shown, left_out = self.head, 0
            if summary.positions > TABLE_POSITIONS:
                half = TABLE_POSITIONS // 2
                shown, left_out = self.head[:half] + [None] + list(self.tail), summary.positions - TABLE_POSITIONS
            console.print()
            console.print(positions_table("per position, in nats", shown, labels, left_out,
                                          measures=context.measures))
        if summary.worst is not None:
            console.print()
            worst = records(summary.worst)
            console.print(positions_table(_worst_title(summary.worst.rows),
                                          worst, labels, ranked=True, measures=context.measures))
            if summary.tokens is not None:
                console.print()
                console.print(tokens_table(worst, summary.tokens))
        tables = [kl_table(statistics)] + ([histogram_table(summary.histogram)] if summary.histogram else [])
        tables += [perplexity_table(statistics), delta_p_table(statistics)] if labels else []
        tables += [measures_table(context.measures, statistics)] if context.measures else []
        for table in tables:
            console.print()
            console.print(table)


def _heading(summary, console) -> None:
    """What was compared: each model's file and how it was read, the labels, the size."""
    from rich.text import Text

    context = summary.context
    if isinstance(context, ListedContext):  # top-k log-probs: no vocabulary, a tail
        console.print(Text(TITLE, style="bold"))
        for line in listed_heading(summary):
            console.print(Text(line))
        return
    console.print(Text("language models compared, position by position: D(P‖Q) = Σ p·log(p/q), in nats", style="bold"))
    console.print(Text(f"  P (base): {printable(context.p.source)} read as {context.p.kind.value}"))
    console.print(Text(f"  Q (candidate): {printable(context.q.source)} read as {context.q.kind.value}"))
    if context.labels_operand is not None:
        console.print(Text(f"  labels: {printable(context.labels_operand.name)}, the next token at each position"))
    positions = f"{summary.positions} position{'s' if summary.positions != 1 else ''}"
    console.print(Text(f"  {positions}, a vocabulary of {context.vocabulary} tokens"))
    for line in renormalised_texts(summary.deviations):
        console.print(Text(f"  {line}"))
