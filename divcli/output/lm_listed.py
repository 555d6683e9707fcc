"""What ``divcli lm`` says of its inputs when they are top-k log-probs
(:mod:`divcli.computations.lm_topk`): the JSON document's head and the table's heading. The
positions and the statistics are written as for full rows (:mod:`.lm_output`, :mod:`.lm_tables`)."""

from __future__ import annotations

from ..errors import printable

#: What the number is, in the JSON head and the table's heading.
FORMULA = ("D(P‖Q) = Σ p·log(p/q) per position, over the tokens both models list and one tail "
           "holding the rest of each model's mass")
#: The table's first line.
TITLE = ("language models compared, position by position, over their top-k tokens: D(P‖Q) = Σ p·log(p/q) "
         "over the tokens both list and a tail, in nats")
#: What it is not.
BOUND = "a lower bound of D(P‖Q) over the whole vocabulary, not D(P‖Q) itself"


def listed_head(context) -> dict:
    """What a JSON document of ``divcli lm`` on top-k log-probs says before its positions."""
    labels = context.labels_operand
    return {
        "command": "lm",
        "quantity": "D(P‖Q)",
        "formula": FORMULA,
        "bound": BOUND,
        "direction": "P is the base model (the reference), Q the candidate",
        "unit": "nats",
        "reduction": "row" if context.per_position else "mean",
        "p": {"source": context.p.source, "kind": "top-logprobs", "shape": context.p.shape},
        "q": {"source": context.q.source, "kind": "top-logprobs", "shape": context.q.shape},
        "labels": None if labels is None else {"source": labels.name},
        "vocabulary": None,
        "percentiles": "numpy's default: linear interpolation between the sorted values",
    }


def listed_heading(summary) -> list[str]:
    """The table's heading: what was compared, each file and its shape, the labels, the size."""
    context = summary.context
    lines = [f"  P (base): {printable(context.p.source)}, {context.p.read_as}",
             f"  Q (candidate): {printable(context.q.source)}, {context.q.read_as}"]
    labels = context.labels_operand
    if labels is not None:
        lines.append(f"  labels: {printable(labels.name)}, the next token at each position")
    positions = f"{summary.positions} position{'s' if summary.positions != 1 else ''}"
    lines.append(f"  {positions}; this D(P‖Q) is {BOUND}")
    return lines
