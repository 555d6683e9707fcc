"""Help that reads: a command's options under headings, its operands described, examples at the end.

Click's own formatter, grouped by a command class (no Rich: ``--help`` imports neither numpy nor Rich).
"""

from __future__ import annotations

import click

#: The headings in order, and the options under each (by Python name); an option not named here is
#: the command's own and goes under Computation.
SECTIONS = {
    "Inputs": ("x_column", "y_column", "joint", "no_header", "p_as", "q_as", "base_as", "candidate_as", "labels", "normalize", "tolerance", "columns", "select", "drop", "names", "delimiter",
               "p_select", "q_select", "p_drop", "q_drop", "p_names", "q_names", "p_delimiter", "q_delimiter"),
    "Computation": (),
    "Output": ("quiet", "fmt", "output", "svg"),  # and -h, --help last
    "Engine": ("engine", "threads", "scheduler", "verbose"),
}
OPERANDS_HELP = "a file, - (stdin), a literal such as \"0.2,0.8;0.5,0.5\", or uniform"
#: Options shown on one line together, where a command has them all: (names, first column, help).
MERGED = (
    (("p_as", "q_as"), "--p-as, --q-as KIND", "probs (default), logits, log-probs; P also labels (classes from 0)"),
    (("base_as", "candidate_as"), "--p-as, --q-as KIND", "BASE's, CANDIDATE's: logits (default), log-probs or probs"),
    (("columns", "names"), "--columns, --names COL", "Each column a distribution, not each row; --names: row names' column"),
    (("select", "drop"), "--select, --drop COLS", "Columns to read, to leave out: names, 'a_*', numbers from 1, 2-5"),
    (("p_select", "q_select", "p_drop", "q_drop", "p_names", "q_names", "p_delimiter", "q_delimiter"),
     "--p-select, --q-drop, …", "--select, --drop, --names or --delimiter for P alone, for Q alone"),
    (("engine", "threads"), "--engine, --threads N", "local (default) on N threads (default: every CPU), or dask"),
)
#: Headings that say more than their name.
TITLES = {"Engine": "Engine (the rest are read by --engine dask only)"}


def _section(param: click.Parameter) -> str:
    return next((heading for heading, names in SECTIONS.items() if param.name in names), "Computation")


def _operands_record(declared: list[click.Parameter], text: str | None) -> list[tuple[str, str]]:
    """The line that says what the operands are (none for a command without any): ``text``, or
    :data:`OPERANDS_HELP`."""
    operands = [param.human_readable_name for param in declared if isinstance(param, click.Argument)]
    if not operands:
        return []
    words = ", ".join(operands)
    return [(words, text or (OPERANDS_HELP if words != "FILE" else OPERANDS_HELP[:-12]))]


class SectionedCommand(click.Command):
    """A command whose help groups its options under :data:`SECTIONS` and ends with ``examples``.

    ``operands``: what the operands are, where the shared line (:data:`OPERANDS_HELP`) would not be
    true of this command; ``helps``: a shared option's help (by Python name) said for this command."""

    def __init__(self, *args, examples: tuple[str, ...] = (), operands: str | None = None,
                 helps: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.examples, self.operands = tuple(examples), operands
        for param in self.params:  # click made these options for this command alone: ours to retell
            if isinstance(param, click.Option) and param.name in (helps or {}):
                param.help = helps[param.name]

    def _records(self, ctx: click.Context) -> dict[str, list[tuple[str, str]]]:
        rows: dict[str, list[tuple[str, str]]] = {heading: [] for heading in SECTIONS}
        declared = self.get_params(ctx)
        rows["Inputs"].extend(_operands_record(declared, self.operands))
        names = {param.name for param in declared}
        groups = [(merged, first, text) for merged, first, text in MERGED if set(merged) <= names]
        for param in declared:
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is None or any(param.name in merged[1:] for merged, _, _ in groups):
                continue
            record = next(((first, text) for merged, first, text in groups if param.name == merged[0]), record)
            rows["Output" if "--help" in param.opts else _section(param)].append(record)
        return rows

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = self._records(ctx)
        width = max(len(term) for records in rows.values() for term, _ in records)
        dask = any(param.name == "engine" for param in self.get_params(ctx))  # the titles speak of --engine dask
        for heading, records in rows.items():
            if records:
                with formatter.section(TITLES.get(heading, heading) if dask else heading):  # one first column for every heading
                    formatter.write_dl([(term.ljust(width), text) for term, text in records])

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        if self.examples:
            with formatter.section("Examples"):
                for example in self.examples:  # as written: a command line is not wrapped
                    formatter.write(f"{'':>{formatter.current_indent}}{example}\n")
