"""Help that reads: a command's options under headings, its operands described, examples at the end.

Click's own formatter, grouped by a command class (no Rich: ``--help`` imports neither numpy nor Rich).
"""

from __future__ import annotations

import click

from .completion import OperandArgument

#: The headings in order, and the options under each (by Python name); an option not named here is
#: the command's own and goes under Computation.
SECTIONS = {
    "Inputs": ("x_column", "y_column", "joint", "no_header", "p_as", "q_as", "base_as", "candidate_as", "labels", "normalize", "tolerance", "columns", "select", "drop", "names", "delimiter",
               "p_select", "q_select", "p_drop", "q_drop", "p_names", "q_names", "p_delimiter", "q_delimiter", "missing"),
    "Computation": (),
    "Output": ("quiet", "fmt", "output", "svg"),
    "Engine": ("engine", "threads", "scheduler", "verbose"),
}
#: Options shown on one line together, where a command has them all: (names, first column, help).
MERGED = (
    (("p_as", "q_as"), "--p-as, --q-as KIND", "probs (default), logits, log-probs, counts, samples; P: labels (0…C−1)"),
    (("base_as", "candidate_as"), "--p-as, --q-as KIND", "BASE's, CANDIDATE's: logits (default), log-probs or probs"),
    (("columns", "names"), "--columns, --names COL", "Each column a distribution, not each row; --names: row names' column"),
    (("select", "drop"), "--select, --drop COLS", "Columns to read, to leave out: names, 'a_*', numbers from 1, 2-5"),
    (("p_select", "q_select", "p_drop", "q_drop", "p_names", "q_names", "p_delimiter", "q_delimiter"),
     "--p-select, --q-drop, …", "--select, --drop, --names or --delimiter for P alone, for Q alone"),
    (("distance", "weights"), "--distance, --weights π",
     "Report √JS (SciPy's jensenshannon); π: mixture weights summing to 1"),
    (("pseudocount", "epsilon"), "--pseudocount/--epsilon",
     "A added to every count, or every share floored at E; then renormalised"),
)
#: The options under Engine that the local engine reads too; the others are read by --engine dask only.
LOCAL_ENGINE = ("engine", "threads")
#: -q's help where the command gives none of its own, by whether it has --reduction.
QUIET = {True: "Print only the value (a line per row with --reduction row or none).",
         False: "Print only the numbers, without the table."}


def _section(param: click.Parameter) -> str:
    return next((heading for heading, names in SECTIONS.items() if param.name in names), "Computation")


def operand_words(stdin: bool = True, uniform: bool = True) -> str:
    """What an operand may be: ``a file, - (stdin), a literal such as "0.2,0.8;0.5,0.5", or uniform``,
    naming - and uniform only where it takes them."""
    words = ["a file", *(["- (stdin)"] if stdin else []), 'a literal such as "0.2,0.8;0.5,0.5"',
             *(["uniform"] if uniform else [])]
    return f"{words[0]} or {words[1]}" if len(words) == 2 else f"{', '.join(words[:-1])}, or {words[-1]}"


def _operands_records(declared: list[click.Parameter], text: str | None) -> list[tuple[str, str]]:
    """The lines that say what the operands are (none for a command without any): ``text`` for them
    all, or a line for each run of operands that take the same words
    (:class:`~divcli.cli.completion.OperandArgument`)."""
    operands = [param for param in declared if isinstance(param, click.Argument)]
    if text is not None:
        return [(", ".join(param.human_readable_name for param in operands), text)] if operands else []
    runs: list[tuple[list[str], str]] = []
    for param in operands:
        words = (operand_words(param.stdin, param.uniform) if isinstance(param, OperandArgument)
                 else operand_words())
        if runs and runs[-1][1] == words:
            runs[-1][0].append(param.human_readable_name)
        else:
            runs.append(([param.human_readable_name], words))
    return [(", ".join(names), words) for names, words in runs]


class SectionedCommand(click.Command):
    """A command whose help groups its options under :data:`SECTIONS` and ends with ``examples``.

    ``operands``: what the operands are, where the line made from what each takes
    (:func:`operand_words`) would not say enough; ``helps``: a shared option's help (by Python name)
    said for this command. ``-q`` without a help of its own says what it prints by whether the
    command has ``--reduction`` (:data:`QUIET`)."""

    def __init__(self, *args, examples: tuple[str, ...] = (), operands: str | None = None,
                 helps: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.examples, self.operands = tuple(examples), operands
        reduction = any(param.name == "reduction" for param in self.params)
        for param in self.params:  # click made these options for this command alone: ours to retell
            if isinstance(param, click.Option) and param.name in (helps or {}):
                param.help = helps[param.name]
            elif isinstance(param, click.Option) and param.name == "quiet" and param.help is None:
                param.help = QUIET[reduction]

    def _records(self, ctx: click.Context) -> dict[str, list[tuple[str, str]]]:
        rows: dict[str, list[tuple[str, str]]] = {heading: [] for heading in SECTIONS}
        declared = self.get_params(ctx)
        rows["Inputs"].extend(_operands_records(declared, self.operands))
        names = {param.name for param in declared}
        groups = [(merged, first, text) for merged, first, text in MERGED if set(merged) <= names]
        for param in declared:
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is None or "--help" in param.opts or any(param.name in merged[1:] for merged, _, _ in groups):
                continue  # -h: the group's help names it, and whoever reads this has found it
            record = next(((first, text) for merged, first, text in groups if param.name == merged[0]), record)
            rows[_section(param)].append(record)
        return rows

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = self._records(ctx)
        width = max(len(term) for records in rows.values() for term, _ in records)
        titles = {"Engine": self._engine_title(ctx)}
        for heading, records in rows.items():
            if records:
                with formatter.section(titles.get(heading, heading)):  # one first column for every heading
                    formatter.write_dl([(term.ljust(width), text) for term, text in records])

    def _engine_title(self, ctx: click.Context) -> str:
        """``Engine (--scheduler and -v are read by --engine dask only)``: the options of this
        command that the local engine does not read, named in the heading."""
        dask = [param.opts[0] for param in self.get_params(ctx)
                if _section(param) == "Engine" and param.name not in LOCAL_ENGINE]
        if not dask:
            return "Engine"
        named = dask[0] if len(dask) == 1 else f"{', '.join(dask[:-1])} and {dask[-1]}"
        return f"Engine ({named} {'is' if len(dask) == 1 else 'are'} read by --engine dask only)"

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        if self.examples:
            with formatter.section("Examples"):
                for example in self.examples:  # as written: a command line is not wrapped
                    formatter.write(f"{'':>{formatter.current_indent}}{example}\n")
